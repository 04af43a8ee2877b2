/**
 * Client-side decimation of a metric series, for live series that grow past
 * the chart's point budget (the server downsamples the initial read).
 *
 * Min-max bucketing: the points are split into equal index ranges and each
 * range keeps its first point, its minimum, its maximum and its last point,
 * in order, so spikes survive and the curve's shape does not shift.
 * Non-finite values are always kept (NaN marks a gap, ±Infinity is drawn
 * clipped): they are information.
 */

/** Indices of the points to keep, ascending; null when all fit. */
export function pickIndices(values: ArrayLike<number>, maxPoints: number): number[] | null {
  const n = values.length;
  if (n <= maxPoints || maxPoints < 4) {
    return null;
  }
  const buckets = Math.max(1, Math.floor(maxPoints / 4));
  const size = n / buckets;
  const out: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = b === buckets - 1 ? n : Math.floor((b + 1) * size);
    if (end <= start) {
      continue;
    }
    let lo = -1;
    let hi = -1;
    const keep: number[] = [start, end - 1];
    for (let i = start; i < end; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) {
        keep.push(i);
        continue;
      }
      if (lo < 0 || v < values[lo]) {
        lo = i;
      }
      if (hi < 0 || v > values[hi]) {
        hi = i;
      }
    }
    if (lo >= 0) {
      keep.push(lo, hi);
    }
    keep.sort((p, q) => p - q);
    for (let k = 0; k < keep.length; k++) {
      if (k === 0 || keep[k] !== keep[k - 1]) {
        out.push(keep[k]);
      }
    }
  }
  return out;
}

/** The values at `indices`. */
export function take<T>(values: ArrayLike<T>, indices: readonly number[]): T[] {
  const out = new Array<T>(indices.length);
  for (let k = 0; k < indices.length; k++) {
    out[k] = values[indices[k]];
  }
  return out;
}

export interface ISeries {
  x: number[];
  y: number[];
}

/** A series of at most `maxPoints` points (about; min-max buckets). */
export function downsample(series: ISeries, maxPoints: number): ISeries {
  const keep = pickIndices(series.y, maxPoints);
  return keep ? { x: take(series.x, keep), y: take(series.y, keep) } : series;
}
