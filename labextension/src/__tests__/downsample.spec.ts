import { downsample, pickIndices, take } from '../downsample';
import { smooth } from '../smoothing';

describe('downsample', () => {
  it('leaves short series alone', () => {
    const s = { x: [0, 1, 2], y: [3, 2, 1] };
    expect(downsample(s, 10)).toBe(s);
    expect(pickIndices([1, 2, 3], 3)).toBeNull();
  });

  it('keeps at most about maxPoints, in order, with first and last', () => {
    const n = 1_000_000;
    const y = Array.from({ length: n }, (_, i) => Math.sin(i / 1000));
    const keep = pickIndices(y, 2000) as number[];
    expect(keep.length).toBeLessThanOrEqual(2000);
    expect(keep.length).toBeGreaterThan(1000);
    expect(keep[0]).toBe(0);
    expect(keep[keep.length - 1]).toBe(n - 1);
    for (let i = 1; i < keep.length; i++) {
      expect(keep[i]).toBeGreaterThan(keep[i - 1]);
    }
  });

  it('keeps spikes and non-finite values', () => {
    const y = Array.from({ length: 10000 }, () => 1);
    y[4321] = 1000;
    y[777] = -50;
    y[9000] = NaN;
    const keep = pickIndices(y, 100) as number[];
    expect(keep).toContain(4321);
    expect(keep).toContain(777);
    expect(keep).toContain(9000);
    const s = downsample({ x: y.map((_, i) => i), y }, 100);
    expect(Math.max(...s.y.filter(Number.isFinite))).toBe(1000);
    expect(s.x.length).toBe(s.y.length);
  });

  it('takes values at indices', () => {
    expect(take(['a', 'b', 'c'], [0, 2])).toEqual(['a', 'c']);
  });
});

describe('smooth', () => {
  it('is the identity at weight 0', () => {
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3]);
  });

  it('debiases the start and converges to a constant', () => {
    const out = smooth([5, 5, 5, 5], 0.9);
    out.forEach(v => expect(v).toBeCloseTo(5));
  });

  it('passes non-finite points through without disturbing the average', () => {
    const out = smooth([1, NaN, 1, Infinity, 1], 0.5);
    expect(out[0]).toBeCloseTo(1);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(out[2]).toBeCloseTo(1);
    expect(out[3]).toBe(Infinity);
    expect(out[4]).toBeCloseTo(1);
  });
});
