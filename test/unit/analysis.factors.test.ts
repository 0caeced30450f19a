import { describe, expect, it } from 'vitest';
import {
  dci, discretize, entropy, factorMetrics, knnR2, lasso, linearFit, matrix, mutualInformation, mutualInformationGap,
} from '../../src/analysis/factors.js';
import { Rng } from '../../src/math/rng.js';

/** n rows of (size, hue) drawn like the faces dataset: size ~ U(0.4, 1.4), hue ~ U(0.3, 0.8). */
function facesFactors(n: number, seed = 1): Float64Array {
  const rng = new Rng(seed);
  const v = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    v[2 * i] = rng.uniformIn(0.4, 1.4);
    v[2 * i + 1] = rng.uniformIn(0.3, 0.8);
  }
  return v;
}

/** Codes made row by row from the factors (size s, hue h). */
function codesFrom(v: Float64Array, d: number, f: (s: number, h: number, out: number[]) => void): Float64Array {
  const n = v.length / 2;
  const z = new Float64Array(n * d);
  const row: number[] = new Array(d).fill(0);
  for (let i = 0; i < n; i++) {
    f(v[2 * i], v[2 * i + 1], row);
    z.set(row, i * d);
  }
  return z;
}

const N = 2000;
const NAMES = ['size', 'hue'];

describe('factor metrics on codes with known answers', () => {
  const v = facesFactors(N);
  const factors = matrix(v, N, 2);

  it('a perfect code (the factors permuted and scaled) scores R² = 1, MIG near 1, DCI near 1', () => {
    // z0 = 5·hue − 2, z1 = −3·size (a reflection is still one factor per dimension)
    const z = codesFrom(v, 2, (s, h, o) => { o[0] = 5 * h - 2; o[1] = -3 * s; });
    const m = factorMetrics(matrix(z, N, 2), factors, NAMES);
    for (const r2 of m.r2) expect(r2).toBeCloseTo(1, 10);
    expect(m.mig.perFactor.map((f) => f.top)).toEqual([1, 0]);
    // the matching dimension carries all of H(v) (same equal-width bins); the other only the
    // plug-in bias of two independent variables, about (bins−1)²/(2n) = 0.09 nats of ~3
    for (const f of m.mig.perFactor) expect(f.mi[f.top]).toBeCloseTo(f.entropy, 10);
    expect(m.mig.mig).toBeGreaterThan(0.9);
    expect(m.dci.disentanglement).toBeGreaterThan(0.95);
    expect(m.dci.completeness).toBeGreaterThan(0.95);
    expect(m.dci.informativeness).toBeCloseTo(1, 6);
  });

  it('a random code independent of the factors scores about 0', () => {
    const rng = new Rng(7);
    const z = codesFrom(v, 3, (_s, _h, o) => { o[0] = rng.normal(); o[1] = rng.uniform(); o[2] = rng.normal() * 10; });
    const m = factorMetrics(matrix(z, N, 3), factors, NAMES);
    // in-sample OLS R² of pure noise is about d/n = 0.0015
    for (const r2 of m.r2) expect(Math.abs(r2)).toBeLessThan(0.01);
    expect(m.mig.mig).toBeLessThan(0.05);
    for (const r2 of m.knnR2) expect(Math.abs(r2)).toBeLessThan(0.15);
    expect(m.dci.informativeness).toBeLessThan(0.01);
    // chance correlations (about 1/√n = 0.02) stay under the lasso penalty: no importance at all
    expect(m.dci.importance.flat().every((w) => w === 0)).toBe(true);
    expect(m.dci.disentanglement).toBe(0);
    expect(m.dci.completeness).toBe(0);
  });

  it('a code that mixes both factors in each dimension is informative but not disentangled', () => {
    // standardised factors rotated by 45 degrees: every dimension carries both equally
    const z = codesFrom(v, 2, (s, h, o) => {
      const a = (s - 0.9) / 0.5;
      const b = (h - 0.55) / 0.25;
      o[0] = a + b;
      o[1] = a - b;
    });
    const m = factorMetrics(matrix(z, N, 2), factors, NAMES);
    for (const r2 of m.r2) expect(r2).toBeCloseTo(1, 10);
    expect(m.dci.informativeness).toBeCloseTo(1, 6);
    expect(m.dci.disentanglement).toBeLessThan(0.05);
    expect(m.dci.completeness).toBeLessThan(0.05);
    expect(m.mig.mig).toBeLessThan(0.15);
  });

  it('a code laid out in polar form (size the angle, hue the radius): hue linearly unreadable, both read by k-NN', () => {
    const z = codesFrom(v, 2, (s, h, o) => {
      const angle = ((s - 0.4) / 1.0) * 1.8 * Math.PI;
      const radius = 1 + 4 * (h - 0.3);
      o[0] = radius * Math.cos(angle);
      o[1] = radius * Math.sin(angle);
    });
    const m = factorMetrics(matrix(z, N, 2), factors, NAMES);
    expect(m.r2[1]).toBeLessThan(0.1);
    expect(m.knnR2[0]).toBeGreaterThan(0.95);
    expect(m.knnR2[1]).toBeGreaterThan(0.9);
  });

  it('one informative dimension among dead ones: complete, and the dead ones carry no weight', () => {
    const z = codesFrom(v, 3, (s, _h, o) => { o[0] = 0.25; o[1] = 2 * s; o[2] = 0.25; });
    const r = dci(matrix(z, N, 3), matrix(v.filter((_, i) => i % 2 === 0), N, 1));
    expect(r.codeWeights).toEqual([0, 1, 0]);
    expect(r.perFactor[0]).toBeCloseTo(1, 12);
    expect(r.disentanglement).toBe(1); // one factor: nothing to spread over
    expect(linearFit(matrix(z, N, 3), v.filter((_, i) => i % 2 === 0)).r2).toBeCloseTo(1, 10);
  });
});

describe('building blocks', () => {
  it('linearFit recovers intercept and slopes of an exact linear relation, and R² matches 1 − SSres/SStot', () => {
    const rng = new Rng(3);
    const n = 50;
    const x = Float64Array.from({ length: n * 2 }, () => rng.normal());
    const y = Float64Array.from({ length: n }, (_, i) => 1.5 + 2 * x[2 * i] - 0.5 * x[2 * i + 1]);
    const fit = linearFit(matrix(x, n, 2), y);
    expect(fit.intercept).toBeCloseTo(1.5, 10);
    expect(fit.coefficients[0]).toBeCloseTo(2, 10);
    expect(fit.coefficients[1]).toBeCloseTo(-0.5, 10);
    // a hand-checkable case: y = x on three points plus noise in one: slope, R² by the closed form
    const simple = linearFit(matrix([0, 1, 2], 3, 1), [0, 2, 1]);
    // slope = cov/var = (0·(−1) + 1·0 ... ) : x̄ = 1, ȳ = 1, Σ(x−x̄)(y−ȳ) = 1, Σ(x−x̄)² = 2
    expect(simple.coefficients[0]).toBeCloseTo(0.5, 12);
    expect(simple.intercept).toBeCloseTo(0.5, 12);
    // residuals −0.5, 1, −0.5 → SSres = 1.5; SStot = 2 → R² = 0.25
    expect(simple.r2).toBeCloseTo(0.25, 12);
  });

  it('discretize, entropy and mutual information follow their definitions', () => {
    expect(Array.from(discretize([0, 0.5, 1, 0.25], 2))).toEqual([0, 1, 1, 0]);
    expect(Array.from(discretize([3, 3], 5))).toEqual([0, 0]);
    const a = Int32Array.from([0, 0, 1, 1]);
    const b = Int32Array.from([0, 1, 0, 1]);
    expect(entropy(a, 2)).toBeCloseTo(Math.log(2), 12);
    expect(mutualInformation(a, a, 2, 2)).toBeCloseTo(Math.log(2), 12);
    expect(mutualInformation(a, b, 2, 2)).toBeCloseTo(0, 12);
    // joint p = [[1/2, 0], [1/4, 1/4]]: I = ½·log(½/(½·¾)) + ¼·log(¼/(½·¾)) + ¼·log(¼/(½·¼))
    const c = Int32Array.from([0, 0, 1, 1]);
    const e = Int32Array.from([0, 0, 0, 1]);
    const expected = 0.5 * Math.log(0.5 / (0.5 * 0.75)) + 0.25 * Math.log(0.25 / (0.5 * 0.75)) + 0.25 * Math.log(0.25 / (0.5 * 0.25));
    expect(mutualInformation(c, e, 2, 2)).toBeCloseTo(expected, 12);
  });

  it('MIG with one code dimension is I(z; v)/H(v) (the second-best is 0)', () => {
    const z = [0, 1, 2, 3, 0, 1, 2, 3];
    const f = [0, 0, 1, 1, 0, 0, 1, 1];
    const r = mutualInformationGap(matrix(z, 8, 1), matrix(f, 8, 1), 4);
    expect(r.perFactor[0].gap).toBeCloseTo(1, 12);
  });

  it('lasso: the soft-thresholded correlation for one standardised column, zero below alpha', () => {
    const rng = new Rng(5);
    const n = 400;
    const raw = Float64Array.from({ length: n }, () => rng.normal());
    const m = raw.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(raw.reduce((a, b) => a + (b - m) ** 2, 0) / n);
    const x = raw.map((t) => (t - m) / sd);
    const y = x.map((t) => 0.3 * t);
    expect(lasso([x], y, 0.1)[0]).toBeCloseTo(0.2, 9);
    expect(lasso([x], y, 0.5)[0]).toBe(0);
  });

  it('knnR2 matches a brute-force leave-one-out k-NN on standardised codes', () => {
    const rng = new Rng(11);
    const n = 60;
    const d = 3;
    const z = Float64Array.from({ length: n * d }, () => rng.normal() * (1 + rng.int(3)));
    const y = Float64Array.from({ length: n }, (_, i) => z[i * d] ** 2 + rng.normal() * 0.1);
    const cols = Array.from({ length: d }, (_, j) => {
      const c = Array.from({ length: n }, (_, i) => z[i * d + j]);
      const mu = c.reduce((a, b) => a + b, 0) / n;
      const sd = Math.sqrt(c.reduce((a, b) => a + (b - mu) ** 2, 0) / n);
      return c.map((t) => (t - mu) / sd);
    });
    const k = 4;
    let res = 0;
    const yMean = y.reduce((a, b) => a + b, 0) / n;
    for (let i = 0; i < n; i++) {
      const others = Array.from({ length: n }, (_, o) => o).filter((o) => o !== i)
        .map((o) => ({ o, dist: cols.reduce((a, c) => a + (c[i] - c[o]) ** 2, 0) }))
        .sort((a, b) => a.dist - b.dist || a.o - b.o)
        .slice(0, k);
      const pred = others.reduce((a, { o }) => a + y[o], 0) / k;
      res += (y[i] - pred) ** 2;
    }
    const expected = 1 - res / y.reduce((a, b) => a + (b - yMean) ** 2, 0);
    expect(knnR2(matrix(z, n, d), y, k)).toBeCloseTo(expected, 12);
    expect(() => knnR2(matrix(z, n, d), y, n)).toThrow(RangeError);
  });

  it('rejects mismatched shapes', () => {
    expect(() => matrix([1, 2, 3], 2, 2)).toThrow(RangeError);
    expect(() => factorMetrics(matrix([1, 2], 2, 1), matrix([1, 2, 3, 4], 2, 2), ['a'])).toThrow(RangeError);
  });
});
