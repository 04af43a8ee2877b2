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

/**
 * A duration in seconds, one rule shared with `nbtrack/format.py` (the CLI,
 * the summary line and the finished-run picture): tenths below 10 s, then
 * whole seconds, minutes with seconds, hours with minutes:
 * "0.1s", "4.3s", "12s", "3m 04s", "1h 02m", "26h 00m".
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return '';
  }
  if (seconds < 0) {
    seconds = 0;
  }
  if (seconds < 9.95) {
    return `${seconds.toFixed(1)}s`;
  }
  const s = Math.round(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 60) {
    return `${s}s`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  }
  return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
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

/**
 * How runs are named where several are shown together (legends): by name,
 * or by ref (`train#4`) for every run whose name another run shares. A run
 * without a ref (an older server) keeps its name.
 */
export function runLabels(runs: readonly { name: string; ref?: string }[]): string[] {
  const counts = new Map<string, number>();
  runs.forEach(r => counts.set(r.name, (counts.get(r.name) ?? 0) + 1));
  return runs.map(r => ((counts.get(r.name) ?? 0) > 1 && r.ref ? r.ref : r.name));
}

/** Tick increments for an integer axis (steps): 1, 2, 5, 10, 20, 50, … */
export function integerIncrements(max = 1e12): number[] {
  const incrs: number[] = [];
  for (let p = 1; p <= max; p *= 10) {
    incrs.push(p, 2 * p, 5 * p);
  }
  return incrs;
}

/**
 * The x range of a chart: the data's, widened to one unit either side when
 * every point has the same x (a one-point metric), so the point is in view.
 */
export function xRange(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) {
    return [0, 1];
  }
  if (min === max) {
    const pad = Math.max(1, Math.abs(min) * 0.05);
    return [min - pad, max + pad];
  }
  return [min, max];
}

/** `1 version`, `2 versions`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
