import * as tf from '../../src/engine/tfjs.js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  gaussianConstant,
  logBernoulliFromLogits,
  logGaussianFixedVariance,
  logNormalDiag,
  logPxGivenZ,
  logStandardNormal,
} from '../../src/math/index.js';
import { Rng } from '../../src/math/rng.js';

// Reference formulas in plain JS doubles, written independently of src/math.
const LOG2PI = Math.log(2 * Math.PI);
function refLogNormal(z: number[], mu: number[], logvar: number[]): number {
  let s = 0;
  for (let j = 0; j < z.length; j++) {
    const v = Math.exp(logvar[j]);
    s += -0.5 * Math.log(2 * Math.PI * v) - ((z[j] - mu[j]) ** 2) / (2 * v);
  }
  return s;
}
function refSoftplus(l: number): number {
  return Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l)));
}
function rows(a: Float32Array | number[], width: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.length; i += width) out.push(Array.from(a.slice(i, i + width)));
  return out;
}
function randn(rng: Rng, n: number, scale = 1, shift = 0): Float32Array {
  return Float32Array.from({ length: n }, () => shift + scale * rng.normal());
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('logNormalDiag and logStandardNormal', () => {
  const rng = new Rng(1);
  const B = 5;
  const D = 3;
  const z = randn(rng, B * D, 1.5);
  const mu = randn(rng, B * D);
  const logvar = randn(rng, B * D, 0.8);

  it('log q(z|x) for [B, D] matches the formula', () => {
    const got = tf.tidy(() => logNormalDiag(tf.tensor2d(z, [B, D]), tf.tensor2d(mu, [B, D]), tf.tensor2d(logvar, [B, D])));
    expect(got.shape).toEqual([B]);
    const zr = rows(z, D);
    const mr = rows(mu, D);
    const lr = rows(logvar, D);
    const values = got.dataSync();
    for (let i = 0; i < B; i++) expect(values[i]).toBeCloseTo(refLogNormal(zr[i], mr[i], lr[i]), 4);
    got.dispose();
  });

  it('broadcasts z [k, B, D] against mu, logvar [B, D] to [k, B]', () => {
    const k = 4;
    const zk = randn(rng, k * B * D, 2);
    const got = tf.tidy(() => logNormalDiag(tf.tensor3d(zk, [k, B, D]), tf.tensor2d(mu, [B, D]), tf.tensor2d(logvar, [B, D])));
    expect(got.shape).toEqual([k, B]);
    const values = got.dataSync();
    const zr = rows(zk, D);
    const mr = rows(mu, D);
    const lr = rows(logvar, D);
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < B; i++) expect(values[j * B + i]).toBeCloseTo(refLogNormal(zr[j * B + i], mr[i], lr[i]), 4);
    }
    got.dispose();
  });

  it('log p(z) is the standard normal, including the −½·D·log 2π constant', () => {
    const got = tf.tidy(() => logStandardNormal(tf.tensor2d(z, [B, D])));
    expect(got.shape).toEqual([B]);
    const values = got.dataSync();
    const zr = rows(z, D);
    for (let i = 0; i < B; i++) expect(values[i]).toBeCloseTo(refLogNormal(zr[i], [0, 0, 0], [0, 0, 0]), 4);
    const zero = tf.tidy(() => logStandardNormal(tf.zeros([1, D])).dataSync()[0]);
    expect(zero).toBeCloseTo(-0.5 * D * LOG2PI, 5);
    got.dispose();
  });
});

describe('logGaussianFixedVariance (seed 000)', () => {
  const rng = new Rng(2);
  const shape = [3, 4, 2, 3]; // [B, H, W, C]: sums over all non-batch axes
  const d = 4 * 2 * 3;
  const x = Float32Array.from({ length: 3 * d }, () => rng.uniform());
  const mean = Float32Array.from({ length: 3 * d }, () => rng.uniform());

  for (const sigma2 of [1, 0.3, 2.5]) {
    it(`matches −½[d·log 2π + d·log σ² + ‖x − μ‖²/σ²] for σ² = ${sigma2}`, () => {
      const got = tf.tidy(() => logGaussianFixedVariance(tf.tensor(x, shape), tf.tensor(mean, shape), sigma2));
      expect(got.shape).toEqual([3]);
      const values = got.dataSync();
      for (let i = 0; i < 3; i++) {
        let ref = 0;
        for (let p = 0; p < d; p++) ref += -0.5 * (LOG2PI + Math.log(sigma2)) - (x[i * d + p] - mean[i * d + p]) ** 2 / (2 * sigma2);
        expect(values[i]).toBeCloseTo(ref, 3);
      }
      got.dispose();
    });
  }

  it('gaussianConstant is −½·d·log 2πσ² (≈ −2822.98 for 3×32×32, σ² = 1)', () => {
    expect(gaussianConstant(3072, 1)).toBeCloseTo(-2822.9792, 3);
    expect(gaussianConstant(10, 0.5)).toBeCloseTo(-5 * Math.log(Math.PI), 10);
    // and it is what logGaussianFixedVariance gives at x = mean
    const atMean = tf.tidy(() => logGaussianFixedVariance(tf.ones([2, 7]), tf.ones([2, 7]), 0.2).dataSync());
    expect(atMean[0]).toBeCloseTo(gaussianConstant(7, 0.2), 4);
  });
});

describe('logBernoulliFromLogits', () => {
  function refBernoulli(x: number[], l: number[]): number {
    // Σ x·log σ(l) + (1 − x)·log(1 − σ(l)), with log σ(l) = −softplus(−l), log(1 − σ(l)) = −softplus(l)
    let s = 0;
    for (let p = 0; p < x.length; p++) s += -x[p] * refSoftplus(-l[p]) - (1 - x[p]) * refSoftplus(l[p]);
    return s;
  }

  it('matches Σ x·log σ(l) + (1−x)·log(1−σ(l)) for moderate logits and fractional x', () => {
    const rng = new Rng(3);
    const B = 4;
    const d = 10;
    const x = Float32Array.from({ length: B * d }, () => (rng.uniform() < 0.3 ? rng.uniform() : rng.int(2)));
    const l = randn(rng, B * d, 3);
    const got = tf.tidy(() => logBernoulliFromLogits(tf.tensor2d(x, [B, d]), tf.tensor2d(l, [B, d])).dataSync());
    const xr = rows(x, d);
    const lr = rows(l, d);
    for (let i = 0; i < B; i++) expect(got[i]).toBeCloseTo(refBernoulli(xr[i], lr[i]), 4);
  });

  it('stays finite and exact at |logits| = 50, 100, 1000, where log(sigmoid) is −Infinity', () => {
    const l = [50, -50, 100, -100, 1000, -1000, 50, -50];
    const x = [0, 1, 0, 1, 0, 1, 1, 0]; // first six: the "wrong" label, costs |l| nats; last two: ~0
    const got = tf.tidy(() => logBernoulliFromLogits(tf.tensor2d(x, [8, 1]), tf.tensor2d(l, [8, 1])).dataSync());
    for (let i = 0; i < 8; i++) {
      expect(Number.isFinite(got[i])).toBe(true);
      expect(got[i]).toBeCloseTo(refBernoulli([x[i]], [l[i]]), 3);
    }
    expect(got[0]).toBeCloseTo(-50, 4);
    expect(got[4]).toBeCloseTo(-1000, 2);
    expect(got[6]).toBeCloseTo(0, 6);
    // The naive formula breaks on this backend: log(1 − sigmoid(50)) = log(0) in float32.
    const naive = tf.tidy(() => tf.log(tf.sub(1, tf.sigmoid(tf.scalar(50)))).dataSync()[0]);
    expect(naive).toBe(-Infinity);
  });

  it('has finite gradient x − σ(l) at large logits', () => {
    const l = tf.tensor2d([50, -50, 0, 3], [1, 4]);
    const x = tf.tensor2d([0, 1, 1, 0.25], [1, 4]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(logBernoulliFromLogits(x, t)))(l);
    const values = g.dataSync();
    const ref = [0 - 1, 1 - 0, 1 - 0.5, 0.25 - 1 / (1 + Math.exp(-3))];
    for (let i = 0; i < 4; i++) expect(values[i]).toBeCloseTo(ref[i], 5);
    tf.dispose([l, x, g]);
  });
});

describe('logPxGivenZ', () => {
  it('dispatches on the likelihood kind', () => {
    const rng = new Rng(4);
    const x = tf.tensor2d(Float32Array.from({ length: 12 }, () => rng.int(2)), [3, 4]);
    const out = tf.tensor2d(randn(rng, 12), [3, 4]);
    const g = tf.tidy(() => tf.sub(logPxGivenZ({ kind: 'gaussian', sigma2: 0.7 }, x, out), logGaussianFixedVariance(x, out, 0.7)).abs().max().dataSync()[0]);
    const b = tf.tidy(() => tf.sub(logPxGivenZ({ kind: 'bernoulli' }, x, out), logBernoulliFromLogits(x, out)).abs().max().dataSync()[0]);
    expect(g).toBe(0);
    expect(b).toBe(0);
    // and the two kinds really differ
    const diff = tf.tidy(() => tf.sub(logPxGivenZ({ kind: 'gaussian', sigma2: 1 }, x, out), logPxGivenZ({ kind: 'bernoulli' }, x, out)).abs().max().dataSync()[0]);
    expect(diff).toBeGreaterThan(0.1);
    tf.dispose([x, out]);
  });
});
