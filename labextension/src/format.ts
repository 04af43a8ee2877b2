/**
 * Pure formatting helpers: how numbers, times, durations and param values
 * read in the panel. No DOM, no Jupyter imports (tested in jest).
 */

/** A JSON value as the API sends it. */
export type JSONValue =
  | string
  | number
  | boolean
  | null
  | JSONValue[]
  | { [key: string]: JSONValue };

/**
 * The server sends non-finite floats as the strings "NaN", "Infinity" and
 * "-Infinity" (strict JSON). Turn such a value back into a number; other
 * numbers pass through; anything else is NaN.
 */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') {
    return value;
  }
  if (value === 'NaN') {
    return NaN;
  }
  if (value === 'Infinity') {
    return Infinity;
  }
  if (value === '-Infinity') {
    return -Infinity;
  }
  return NaN;
}

/** Like `toNumber`, but null/undefined stay null (a missing value). */
export function toNumberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}

/** A metric value: 4 significant digits, exponent form for very large/small. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (Number.isNaN(value)) {
    return 'NaN';
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? '∞' : '-∞';
  }
  if (Number.isInteger(value) && Math.abs(value) < 1e6) {
    return String(value);
  }
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) {
    return value.toExponential(3).replace(/\.?0+e/, 'e');
  }
  return String(Number(value.toPrecision(4)));
}

/** A signed difference, e.g. "+0.12" or "-3"; empty for a missing delta. */
export function formatDelta(value: number | null | undefined): string {
  if (value === null || value === undefined) {
    return '';
  }
  const text = formatNumber(value);
  return value > 0 ? `+${text}` : text;
}

/** A duration in seconds: "850 ms", "12 s", "3 m 05 s", "2 h 04 m", "3 d 01 h". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return '';
  }
  if (seconds < 0) {
    seconds = 0;
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 60) {
    return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  }
  const s = Math.round(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) {
    return `${Math.floor(s / 60)} m ${pad(s % 60)} s`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} m`;
  }
  return `${Math.floor(s / 86400)} d ${pad(Math.floor((s % 86400) / 3600))} h`;
}

/**
 * A start time in epoch seconds as local "YYYY-MM-DD HH:MM"; when `now` is the
 * same day, only "HH:MM:SS".
 */
export function formatTime(
  epochSeconds: number | null | undefined,
  now: Date = new Date()
): string {
  if (epochSeconds === null || epochSeconds === undefined) {
    return '';
  }
  const d = new Date(epochSeconds * 1000);
  if (Number.isNaN(d.getTime())) {
    return '';
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (
    d.getFullYear() === now.getFullYear() &&
    d.getMonth() === now.getMonth() &&
    d.getDate() === now.getDate()
  ) {
    return `${hm}:${pad(d.getSeconds())}`;
  }
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
}

/** A param value as one line of text: strings bare, the rest as JSON. */
export function formatValue(value: JSONValue | undefined): string {
  if (value === undefined) {
    return '';
  }
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  return JSON.stringify(value);
}

/** The run's duration: while running, now - start (ticks between reads); else its own. */
export function liveDuration(
  run: { duration: number | null; start: number; status: string },
  nowSeconds: number
): number | null {
  if (run.status === 'running' && Number.isFinite(run.start)) {
    return Math.max(0, nowSeconds - run.start);
  }
  return run.duration ?? null;
}
