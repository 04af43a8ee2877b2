/**
 * Pure data shaping for the Media view (no DOM): which selected runs are shown,
 * the media names and steps of several runs merged, the summary line, the size
 * of an image's thumbnail, and a histogram's bins over steps resampled onto one
 * common grid of value bins (rows = steps) for a heat strip.
 */
import { IHistogramStep, IMediaItem, IMediaName } from './mediaApi';

/** At most this many selected runs are compared side by side (the panel is narrow). */
export const MAX_MEDIA_RUNS = 4;

/** The side of a thumbnail's box, in CSS pixels. */
export const THUMB = 128;

/** The first `cap` selected runs, and how many selected runs are left out. */
export function mediaRuns<T>(selected: readonly T[], cap = MAX_MEDIA_RUNS): { shown: T[]; left: number } {
  const shown = selected.slice(0, cap);
  return { shown, left: selected.length - shown.length };
}

/** The names any of the runs logged, by name; a name keeps the first kind seen. */
export function unionNames(lists: readonly IMediaName[][]): IMediaName[] {
  const byName = new Map<string, IMediaName>();
  for (const list of lists) {
    for (const n of list) {
      const seen = byName.get(n.name);
      if (!seen) {
        byName.set(n.name, { ...n });
      } else {
        seen.count += n.count;
        seen.last_step = Math.max(seen.last_step ?? 0, n.last_step ?? 0);
      }
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The distinct steps of a name's items, ascending. */
export function stepsOf(items: readonly { step: number }[]): number[] {
  return [...new Set(items.map(i => i.step))].sort((a, b) => a - b);
}

/** Every step any of the lists holds, ascending: the shared slider's stops. */
export function unionSteps(lists: readonly number[][]): number[] {
  return [...new Set(lists.flat())].sort((a, b) => a - b);
}

/** The Media view's summary line. */
export function summaryText(total: number, shown: number, selected: number): string {
  if (selected <= 1) {
    return `Media (${total})`;
  }
  const runs = shown < selected ? `the first ${shown} of ${selected} selected runs` : `${shown} runs`;
  return `Media of ${runs} (${total})`;
}

/** The size an image shows at: its own, scaled down to fit a THUMB box. */
export function thumbSize(item: IMediaItem, box = THUMB): { width: number; height: number } {
  const w = item.meta.width ?? box;
  const h = item.meta.height ?? box;
  const scale = Math.min(1, box / Math.max(w, h, 1));
  return { width: Math.max(1, Math.round(w * scale)), height: Math.max(1, Math.round(h * scale)) };
}

export interface IHistogramGrid {
  /** The value range the columns cover. */
  lo: number;
  hi: number;
  /** One row per step, in step order. */
  steps: number[];
  /** rows[i][j]: the share of step i's values in column j, scaled so a row's largest is 1. */
  rows: number[][];
}

/**
 * Put every step's histogram on one grid of `columns` equal value bins from
 * the smallest edge to the largest, spreading each logged bin's count over the
 * columns it overlaps (in proportion to the overlap). Rows are scaled to their
 * own largest column, so a step with fewer values still shows its shape.
 */
export function histogramGrid(steps: readonly IHistogramStep[], columns = 48): IHistogramGrid {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of steps) {
    if (s.edges.length) {
      lo = Math.min(lo, s.edges[0]);
      hi = Math.max(hi, s.edges[s.edges.length - 1]);
    }
  }
  if (!Number.isFinite(lo)) {
    lo = 0;
    hi = 1;
  }
  if (hi <= lo) {
    // One value everywhere: a range around it, the value in the middle column.
    const half = Math.abs(lo) > 0 ? Math.abs(lo) / 2 : 0.5;
    lo -= half;
    hi += half;
  }
  const width = (hi - lo) / columns;
  const column = (x: number) => Math.min(columns - 1, Math.max(0, Math.floor((x - lo) / width)));
  const rows = steps.map(s => {
    const row = new Array<number>(columns).fill(0);
    s.counts.forEach((count, k) => {
      const a = s.edges[k];
      const b = s.edges[k + 1];
      if (!count || a === undefined || b === undefined) {
        return;
      }
      if (b <= a) {
        row[column(a)] += count;
        return;
      }
      for (let j = column(a); j <= column(b); j++) {
        const overlap = Math.min(b, lo + (j + 1) * width) - Math.max(a, lo + j * width);
        if (overlap > 0) {
          row[j] += (count * overlap) / (b - a);
        }
      }
    });
    const max = Math.max(0, ...row);
    return max > 0 ? row.map(v => v / max) : row;
  });
  return { lo, hi, steps: steps.map(s => s.step), rows };
}

/** A number in few characters for axis labels and summaries. */
export function short(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '–';
  }
  const a = Math.abs(value);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) {
    return value.toExponential(2);
  }
  return String(Number(value.toPrecision(4)));
}
