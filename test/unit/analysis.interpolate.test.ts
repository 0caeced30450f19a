import { describe, expect, it } from 'vitest';
import { interpolate, interpolateLinear, interpolateSlerp } from '../../src/analysis/interpolate.js';
import { linspace, traverseLatent } from '../../src/analysis/traverse.js';
import { Rng } from '../../src/math/rng.js';

const norm = (v: ArrayLike<number>): number => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((s, x, i) => s + x * b[i], 0);
const angle = (a: ArrayLike<number>, b: ArrayLike<number>): number => Math.acos(Math.min(1, Math.max(-1, dot(a, b) / (norm(a) * norm(b)))));
const row = (x: Float32Array, i: number, d: number): Float32Array => x.subarray(i * d, (i + 1) * d);

describe('interpolateLinear', () => {
  it('gives (1 − t)·a + t·b at t = i/(steps − 1)', () => {
    const a = Float32Array.from([1, -2, 0]);
    const b = Float32Array.from([3, 2, 4]);
    const z = interpolateLinear(a, b, 5);
    expect(Array.from(row(z, 0, 3))).toEqual([1, -2, 0]);
    expect(Array.from(row(z, 2, 3))).toEqual([2, 0, 2]);
    expect(Array.from(row(z, 4, 3))).toEqual([3, 2, 4]);
  });
});

describe('interpolateSlerp', () => {
  it('equals the textbook slerp sin((1−t)Ω)/sinΩ·a + sin(tΩ)/sinΩ·b for equal norms', () => {
    const rng = new Rng(3);
    const d = 8;
    const a = rng.normals(d);
    const braw = rng.normals(d);
    const b = braw.map((v) => (v * norm(a)) / norm(braw));
    const steps = 7;
    const z = interpolateSlerp(a, b, steps);
    const omega = angle(a, b);
    for (let i = 0; i < steps; i++) {
      const t = i / (steps - 1);
      for (let j = 0; j < d; j++) {
        const expected = (Math.sin((1 - t) * omega) * a[j] + Math.sin(t * omega) * b[j]) / Math.sin(omega);
        expect(z[i * d + j]).toBeCloseTo(expected, 5);
      }
    }
  });

  it('hits both endpoints, turns by equal angles, and moves the norm linearly from |a| to |b|', () => {
    const a = Float32Array.from([3, 0, 0, 0]);
    const b = Float32Array.from([0, 0, 1, 1]); // 90° apart, |b| = √2
    const steps = 6;
    const z = interpolateSlerp(a, b, steps);
    for (let j = 0; j < 4; j++) {
      expect(z[j]).toBeCloseTo(a[j], 6);
      expect(z[(steps - 1) * 4 + j]).toBeCloseTo(b[j], 6);
    }
    for (let i = 0; i < steps; i++) {
      const t = i / (steps - 1);
      expect(norm(row(z, i, 4))).toBeCloseTo((1 - t) * 3 + t * Math.SQRT2, 5);
      expect(angle(a, row(z, i, 4))).toBeCloseTo((t * Math.PI) / 2, 5);
      if (i > 0) expect(angle(row(z, i - 1, 4), row(z, i, 4))).toBeCloseTo(Math.PI / 2 / (steps - 1), 5);
    }
    // the straight line's midpoint is shorter than both ends; slerp's is not
    const mid = row(interpolateLinear(a, Float32Array.from([0, 3, 0, 0]), 3), 1, 4);
    expect(norm(mid)).toBeCloseTo(3 / Math.SQRT2, 5);
    expect(norm(row(interpolateSlerp(a, Float32Array.from([0, 3, 0, 0]), 3), 1, 4))).toBeCloseTo(3, 5);
  });

  it('falls back to a straight path for parallel endpoints and handles zero vectors', () => {
    const a = Float32Array.from([1, 2]);
    const b = Float32Array.from([2, 4]);
    const z = interpolateSlerp(a, b, 3);
    expect(z[2]).toBeCloseTo(1.5, 6);
    expect(z[3]).toBeCloseTo(3, 6);
    const zero = interpolateSlerp(new Float32Array(2), b, 3);
    expect(Array.from(zero)).toEqual(Array.from(interpolateLinear(new Float32Array(2), b, 3)));
    expect(Array.from(interpolate('linear', a, b, 3))).toEqual(Array.from(interpolateLinear(a, b, 3)));
    expect(() => interpolateSlerp(a, Float32Array.from([1]), 3)).toThrow(/dimensions/);
  });
});

describe('traverseLatent', () => {
  it('sets one dimension per row to each value and keeps the others at the base point', () => {
    const base = Float32Array.from([0.5, -1, 2]);
    const values = linspace(-3, 3, 4);
    expect(values).toEqual([-3, -1, 1, 3]);
    const z = traverseLatent(base, [2, 0], values);
    expect(z.length).toBe(2 * 4 * 3);
    for (let c = 0; c < 4; c++) {
      expect(Array.from(row(z, c, 3))).toEqual([0.5, -1, values[c]]);
      expect(Array.from(row(z, 4 + c, 3))).toEqual([values[c], -1, 2]);
    }
    expect(() => traverseLatent(base, [3], values)).toThrow(/outside 0..2/);
  });
});
