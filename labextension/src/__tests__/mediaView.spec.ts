/**
 * @jest-environment jsdom
 */
import './domShim'; // before Lumino

import { heat, stepsOf } from '../mediaView';

describe('media view helpers', () => {
  it('shades heat-map cells by their share of the largest count', () => {
    expect(heat(5, 10)).toBe(0.5);
    expect(heat(0, 0)).toBe(0);
    expect(heat(12, 10)).toBe(1);
  });

  it('lists the distinct steps of a name in order', () => {
    const item = (step: number) => ({ step }) as never;
    expect(stepsOf([item(3), item(0), item(3), item(1)])).toEqual([0, 1, 3]);
  });
});
