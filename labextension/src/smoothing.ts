/**
 * Exponential moving average with debiasing (as TensorBoard's smoothing
 * slider): `weight` 0 leaves the series as it is, 0.99 is very smooth.
 * Non-finite points are passed through and do not disturb the average.
 */
export function smooth(values: ArrayLike<number>, weight: number): number[] {
  const out = new Array<number>(values.length);
  if (weight <= 0) {
    for (let i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }
  const w = Math.min(weight, 0.999);
  let last = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * w + (1 - w) * v;
    count++;
    out[i] = last / (1 - Math.pow(w, count));
  }
  return out;
}
