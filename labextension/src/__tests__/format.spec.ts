import {
  formatDelta,
  formatDuration,
  formatNumber,
  formatTime,
  formatValue,
  integerIncrements,
  liveDuration,
  runLabels,
  xRange,
  toNumber
} from '../format';

describe('format', () => {
  it('reads the non-finite strings of strict JSON', () => {
    expect(Number.isNaN(toNumber('NaN'))).toBe(true);
    expect(toNumber('Infinity')).toBe(Infinity);
    expect(toNumber('-Infinity')).toBe(-Infinity);
    expect(toNumber(0.5)).toBe(0.5);
    expect(Number.isNaN(toNumber('hello'))).toBe(true);
  });

  it('formats numbers compactly', () => {
    expect(formatNumber(3)).toBe('3');
    expect(formatNumber(0.123456)).toBe('0.1235');
    expect(formatNumber(123.456)).toBe('123.5');
    expect(formatNumber(1e-5)).toBe('1e-5');
    expect(formatNumber(2.5e7)).toBe('2.5e+7');
    expect(formatNumber(NaN)).toBe('NaN');
    expect(formatNumber(Infinity)).toBe('∞');
    expect(formatNumber(-Infinity)).toBe('-∞');
    expect(formatNumber(null)).toBe('');
    expect(formatNumber(0)).toBe('0');
  });

  it('signs deltas', () => {
    expect(formatDelta(0.25)).toBe('+0.25');
    expect(formatDelta(-1)).toBe('-1');
    expect(formatDelta(null)).toBe('');
  });

  it('formats durations', () => {
    // The rule of nbtrack/format.py's format_duration: 0.1s, 12s, 3m 04s, 1h 02m.
    expect(formatDuration(0.05)).toBe('0.1s');
    expect(formatDuration(0.85)).toBe('0.8s');
    expect(formatDuration(4.26)).toBe('4.3s');
    expect(formatDuration(9.97)).toBe('10s');
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(59.6)).toBe('1m 00s');
    expect(formatDuration(184)).toBe('3m 04s');
    expect(formatDuration(3720)).toBe('1h 02m');
    expect(formatDuration(93600)).toBe('26h 00m');
    expect(formatDuration(null)).toBe('');
    expect(formatDuration(-3)).toBe('0.0s');
  });

  it('formats start times, short on the same day', () => {
    const t = new Date(2024, 10, 22, 9, 5, 7).getTime() / 1000;
    expect(formatTime(t, new Date(2024, 10, 22, 18, 0, 0))).toBe('09:05:07');
    expect(formatTime(t, new Date(2024, 10, 23, 1, 0, 0))).toBe('2024-11-22 09:05');
    expect(formatTime(null)).toBe('');
  });

  it('formats param values as one line', () => {
    expect(formatValue('adam')).toBe('adam');
    expect(formatValue(0.001)).toBe('0.001');
    expect(formatValue([64, 32])).toBe('[64,32]');
    expect(formatValue({ a: true })).toBe('{"a":true}');
    expect(formatValue(null)).toBe('null');
    expect(formatValue(undefined)).toBe('');
  });

  it('ticks the duration of a running run', () => {
    expect(liveDuration({ status: 'running', start: 100, duration: 3 }, 110)).toBe(10);
    expect(liveDuration({ status: 'finished', start: 100, duration: 3 }, 110)).toBe(3);
    expect(liveDuration({ status: 'crashed', start: 100, duration: null }, 110)).toBeNull();
  });

  it('labels runs by ref only where names repeat', () => {
    expect(
      runLabels([
        { name: 'train', ref: 'train#3' },
        { name: 'eval', ref: 'eval#1' },
        { name: 'train', ref: 'train#4' }
      ])
    ).toEqual(['train#3', 'eval', 'train#4']);
    expect(runLabels([{ name: 'a', ref: 'nb#1' }, { name: 'b', ref: 'nb#2' }])).toEqual(['a', 'b']);
  });

  it('gives step axes whole-number ticks and a one-point chart a visible range', () => {
    const incrs = integerIncrements(1000);
    expect(incrs.every(Number.isInteger)).toBe(true);
    expect(incrs.slice(0, 4)).toEqual([1, 2, 5, 10]);
    expect(xRange(0, 0)).toEqual([-1, 1]);
    expect(xRange(3, 7)).toEqual([3, 7]);
    expect(xRange(null, null)).toEqual([0, 1]);
  });
});
