/**
 * The pure parts of the Sweeps view: linear scales, the best-so-far path,
 * parallel-coordinates axes and one polyline per trial, and each trial's
 * class (pruned greyed, failed dashed). No DOM here: tested by jest.
 */
import type { ISweepTrial } from './sweepApi';

export type Scale = (value: number) => number;

/** Map [lo, hi] onto [a, b]; a flat domain maps to the middle. */
export function linearScale(lo: number, hi: number, a: number, b: number): Scale {
  if (!(hi > lo)) {
    return () => (a + b) / 2;
  }
  return v => a + ((v - lo) / (hi - lo)) * (b - a);
}

/** One axis of the parallel-coordinates plot: a param (or the metric). */
export interface IAxis {
  name: string;
  /** Where a trial's value sits on this axis, 0 (bottom) to 1 (top); null when unset. */
  position(value: unknown): number | null;
  /** The labels at the bottom and top. */
  low: string;
  high: string;
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** An axis over the values trials took: numeric axes scale, others are categories. */
export function makeAxis(name: string, values: unknown[]): IAxis {
  const present = values.filter(v => v !== undefined && v !== null);
  if (present.length && present.every(finite)) {
    const nums = present as number[];
    const lo = Math.min(...nums);
    const hi = Math.max(...nums);
    const scale = linearScale(lo, hi, 0, 1);
    return {
      name,
      position: v => (finite(v) ? scale(v) : null),
      low: formatValue(lo),
      high: formatValue(hi)
    };
  }
  const cats = Array.from(new Set(present.map(v => String(v)))).sort();
  const scale = linearScale(0, cats.length - 1, 0, 1);
  return {
    name,
    position: v => (v === undefined || v === null ? null : scale(cats.indexOf(String(v)))),
    low: cats[0] ?? '',
    high: cats[cats.length - 1] ?? ''
  };
}

export function formatValue(v: unknown): string {
  if (typeof v === 'number') {
    return Number.isInteger(v) ? String(v) : v.toPrecision(3);
  }
  return String(v);
}

/** The params the trials set, sorted, then the metric's axis last. */
export function axesOf(trials: ISweepTrial[], metric: string | null): IAxis[] {
  const names = Array.from(new Set(trials.flatMap(t => Object.keys(t.params)))).sort();
  const axes = names.map(n => makeAxis(n, trials.map(t => t.params[n])));
  axes.push(makeAxis(metric ?? 'value', trials.map(t => t.value)));
  return axes;
}

/** The SVG `points` of a trial's polyline across `axes` in a width × height box. */
export function polylinePoints(
  trial: ISweepTrial,
  axes: IAxis[],
  width: number,
  height: number,
  pad = 12
): string {
  const x = linearScale(0, Math.max(axes.length - 1, 1), pad, width - pad);
  const y = linearScale(0, 1, height - pad, pad);
  const points: string[] = [];
  axes.forEach((axis, i) => {
    const last = i === axes.length - 1;
    const p = axis.position(last ? trial.value : trial.params[axis.name]);
    if (p !== null) {
      points.push(`${round(x(i))},${round(y(p))}`);
    }
  });
  return points.join(' ');
}

/** The SVG path `d` of the best-so-far curve (a step per improvement). */
export function bestPath(
  points: { best: number }[],
  width: number,
  height: number,
  pad = 12
): string {
  if (!points.length) {
    return '';
  }
  const bests = points.map(p => p.best);
  const x = linearScale(0, Math.max(points.length - 1, 1), pad, width - pad);
  const y = linearScale(Math.min(...bests), Math.max(...bests), height - pad, pad);
  return bests
    .map((b, i) => `${i ? 'L' : 'M'}${round(x(i))},${round(y(b))}`)
    .join(' ');
}

/** The class of a trial's line and row: pruned greyed, failed dashed. */
export function trialClass(state: string): string {
  if (state === 'pruned') {
    return 'nbtrack-mod-pruned';
  }
  if (state === 'failed' || state === 'crashed' || state === 'interrupted') {
    return 'nbtrack-mod-failed';
  }
  if (state === 'running') {
    return 'nbtrack-mod-running';
  }
  return 'nbtrack-mod-finished';
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
