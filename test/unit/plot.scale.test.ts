import { describe, expect, it } from 'vitest';
import { finiteExtent, formatTick, formatValue, linearScale, MINUS, niceAxis, tickStep, ticksInside } from '../../src/analysis/plotScale.js';

describe('plot scales', () => {
  it('finds the extent of finite values only', () => {
    expect(finiteExtent([3, NaN, -1, Infinity, 2])).toEqual([-1, 3]);
    expect(finiteExtent([NaN])).toBeNull();
    expect(finiteExtent([])).toBeNull();
  });

  it('picks steps of 1, 2 or 5 times a power of ten', () => {
    expect(tickStep(0, 100, 5)).toBe(20);
    expect(tickStep(0, 1, 10)).toBeCloseTo(0.1, 12);
    expect(tickStep(0, 7, 3)).toBe(2);
    expect(tickStep(0, 3, 10, true)).toBe(1);
    for (const [lo, hi, n] of [
      [0.013, 0.9, 4],
      [101.2, 181.7, 6],
      [-3e7, 5e7, 5],
    ] as const) {
      const step = tickStep(lo, hi, n);
      const mantissa = step / Math.pow(10, Math.floor(Math.log10(step) + 1e-9));
      expect([1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-9)).toBe(true);
    }
  });

  it('extends a y range to whole ticks with clean decimal values', () => {
    const axis = niceAxis(101.2, 181.7, 9, { extend: true });
    expect(axis.domain).toEqual([100, 190]);
    expect(axis.ticks).toEqual([100, 110, 120, 130, 140, 150, 160, 170, 180, 190]);
    const coarse = niceAxis(101.2, 181.7, 6, { extend: true });
    expect(coarse.ticks[0]).toBe(coarse.domain[0]);
    expect(coarse.ticks[coarse.ticks.length - 1]).toBe(coarse.domain[1]);
    expect(coarse.domain[0]).toBeLessThanOrEqual(101.2);
    expect(coarse.domain[1]).toBeGreaterThanOrEqual(181.7);
    expect(coarse.ticks.length).toBeGreaterThanOrEqual(4);
    expect(coarse.ticks.length).toBeLessThanOrEqual(10);
    const small = niceAxis(0, 0.3, 3, { extend: true });
    expect(small.ticks).toEqual([0, 0.1, 0.2, 0.3]);
    expect(ticksInside(0.05, 0.75, 0.1)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
  });

  it('gives a single value an axis around it', () => {
    expect(niceAxis(5, 5, 4, { integer: true }).ticks).toEqual([4, 5, 6]);
    expect(niceAxis(0, 0, 4, { extend: true }).domain).toEqual([0, 1]);
    const around = niceAxis(180, 180, 4, { extend: true });
    expect(around.domain[0]).toBeLessThan(180);
    expect(around.domain[1]).toBeGreaterThan(180);
  });

  it('keeps integer axes on whole numbers', () => {
    const axis = niceAxis(1, 3, 10, { integer: true });
    expect(axis.ticks).toEqual([1, 2, 3]);
  });

  it('formats tick labels by their step, with a real minus sign and exponents for huge values', () => {
    expect(formatTick(0.30000000000000004, 0.1)).toBe('0.3');
    expect(formatTick(120, 20)).toBe('120');
    expect(formatTick(-2.5, 0.5)).toBe(`${MINUS}2.5`);
    expect(formatTick(0, 0.5)).toBe('0');
    expect(formatTick(2e6, 1e6)).toBe('2e6');
    expect(formatTick(2500000, 500000)).toBe('2.5e6');
    expect(formatValue(105.6789)).toBe('105.7');
    expect(formatValue(-2822.98)).toBe(`${MINUS}2823`);
  });

  it('maps linearly, and a zero-width domain to the middle', () => {
    const s = linearScale([0, 10], [100, 0]);
    expect(s(0)).toBe(100);
    expect(s(10)).toBe(0);
    expect(s(2.5)).toBe(75);
    expect(linearScale([3, 3], [0, 10])(3)).toBe(5);
  });
});
