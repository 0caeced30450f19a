/**
 * The likelihoods for real-valued images: the σ-VAE Gaussian with the optimal variance per image
 * and the continuous Bernoulli, against closed forms and numerical integration in doubles.
 */
import * as tf from '../../src/engine/tfjs.js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CB_TAYLOR_LOGIT, MIN_LOG_SIGMA, continuousBernoulliMean, likelihoodMean, logContinuousBernoulliFromLogits,
  logContinuousBernoulliNormalizer, logGaussianFixedVariance, logGaussianOptimalVariance, logPxGivenZ,
} from '../../src/math/likelihood.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const LOG2PI = Math.log(2 * Math.PI);
const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

/** Composite Simpson's rule of f on [0, 1] with n (even) intervals, in doubles. */
function simpson(f: (x: number) => number, n = 20000): number {
  const h = 1 / n;
  let s = f(0) + f(1);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(i * h);
  return (s * h) / 3;
}

// logits on both sides of the Taylor threshold, at 0, and far out (λ near 0 and 1)
const LOGITS = [-30, -8, -1.5, -0.2, -CB_TAYLOR_LOGIT, -0.0999, -0.03, 0, 1e-4, 0.05, 0.0999, CB_TAYLOR_LOGIT, 0.1001, 0.7, 3, 12, 40];

describe('continuous Bernoulli (Loaiza-Ganem & Cunningham 2019)', () => {
  it('C(λ) normalises the density: ∫₀¹ λ^x (1−λ)^(1−x) C(λ) dx = 1 for logits across both branches', () => {
    const logC = values(logContinuousBernoulliNormalizer(tf.tensor1d(LOGITS)));
    LOGITS.forEach((l, i) => {
      // log λ^x (1−λ)^(1−x) = x·l − softplus(l), in doubles
      const softplus = l > 0 ? l + Math.log1p(Math.exp(-l)) : Math.log1p(Math.exp(l));
      const integral = simpson((x) => Math.exp(x * l - softplus + logC[i]));
      expect(Math.abs(integral - 1), `l = ${l}`).toBeLessThan(2e-6);
    });
  });

  it('the Taylor branch near λ = ½ matches the exact formula (in doubles) on both sides of the switch', () => {
    const exact = (l: number): number => (l === 0 ? Math.LN2 : Math.log(Math.abs(l)) - Math.log(Math.abs(Math.tanh(l / 2))));
    const ls = [-0.1, -0.09999, -0.05, -1e-3, 1e-6, 1e-3, 0.05, 0.09999, 0.1, 0.10001];
    const got = values(logContinuousBernoulliNormalizer(tf.tensor1d(ls)));
    ls.forEach((l, i) => expect(Math.abs(got[i] - exact(l)), `l = ${l}`).toBeLessThan(2e-7));
    // continuity across the threshold: just below (series) vs just above (exact), both in float32
    const [below, above] = values(logContinuousBernoulliNormalizer(tf.tensor1d([0.0999999, 0.1])));
    expect(Math.abs(below - above)).toBeLessThan(1e-6);
    expect(got[4]).toBeCloseTo(Math.LN2, 6); // C(½) = 2
  });

  it('log-likelihood = Σ x·l − softplus(l) + log C(l); gradients are finite at λ = ½ exactly', () => {
    const x = tf.tensor2d([[0.2, 0.9, 0.5], [0, 1, 0.31]]);
    const l = tf.tensor2d([[0, 1.7, -0.05], [-4, 9, 0.12]]);
    const got = values(logContinuousBernoulliFromLogits(x, l));
    const xs = x.arraySync();
    const ls = l.arraySync();
    xs.forEach((row, b) => {
      let s = 0;
      row.forEach((xv, j) => {
        const lv = ls[b][j];
        const lam = 1 / (1 + Math.exp(-lv));
        const C = Math.abs(lv) < 1e-12 ? 2 : (2 * Math.atanh(1 - 2 * lam)) / (1 - 2 * lam); // the paper's form
        s += xv * Math.log(lam) + (1 - xv) * Math.log(1 - lam) + Math.log(C);
      });
      expect(got[b]).toBeCloseTo(s, 4);
    });
    expect(values(logPxGivenZ({ kind: 'continuous-bernoulli' }, x, l))).toEqual(got);
    const g = tf.grad((t: tf.Tensor) => tf.sum(logContinuousBernoulliFromLogits(tf.tensor2d([[0.3, 0.3, 0.3]]), t)))(tf.tensor2d([[0, 1e-3, 0.1]]));
    for (const v of values(g)) expect(Number.isFinite(v)).toBe(true);
    // d/dl [x·l − softplus(l) + log C(l)] at l = 0: x − ½ + 0 (log C is even in l)
    expect(values(g)[0]).toBeCloseTo(0.3 - 0.5, 5);
  });

  it('its mean is ∫ x p(x) dx (not λ), on both branches', () => {
    const mean = values(continuousBernoulliMean(tf.tensor1d(LOGITS)));
    const logC = values(logContinuousBernoulliNormalizer(tf.tensor1d(LOGITS)));
    LOGITS.forEach((l, i) => {
      const softplus = l > 0 ? l + Math.log1p(Math.exp(-l)) : Math.log1p(Math.exp(l));
      const m = simpson((x) => x * Math.exp(x * l - softplus + logC[i]));
      expect(Math.abs(mean[i] - m), `l = ${l}`).toBeLessThan(3e-6);
    });
    // e.g. λ = σ(3) ≈ 0.953 but the mean is ≈ 0.719
    expect(mean[LOGITS.indexOf(3)]).toBeCloseTo(1 / (1 + Math.exp(-3)) / Math.tanh(1.5) - 1 / 3, 5);
    expect(values(likelihoodMean({ kind: 'continuous-bernoulli' }, tf.tensor1d([3])))[0]).toBeCloseTo(0.7191, 3);
  });
});

describe('σ-VAE Gaussian with the optimal variance per image (Rybkin et al. 2021)', () => {
  it('equals the fixed-variance Gaussian at σ² = the image MSE, which is its maximum over σ²', () => {
    const x = tf.tensor2d([[0.1, 0.5, 0.9, 0.3], [0.2, 0.2, 0.8, 0.6]]);
    const m = tf.tensor2d([[0.2, 0.4, 0.7, 0.3], [0.25, 0.1, 0.9, 0.4]]);
    const got = values(logGaussianOptimalVariance(x, m));
    const xs = x.arraySync();
    const ms = m.arraySync();
    xs.forEach((row, b) => {
      const mse = row.reduce((s, v, j) => s + (v - ms[b][j]) ** 2, 0) / row.length;
      expect(got[b]).toBeCloseTo(-0.5 * row.length * (LOG2PI + Math.log(mse) + 1), 4);
      const xb = tf.tensor2d([row]);
      const mb = tf.tensor2d([ms[b]]);
      expect(values(logGaussianFixedVariance(xb, mb, mse))[0]).toBeCloseTo(got[b], 4);
      for (const f of [0.8, 1.25]) expect(values(logGaussianFixedVariance(xb, mb, mse * f))[0]).toBeLessThan(got[b]);
    });
    expect(values(logPxGivenZ({ kind: 'gaussian-learned' }, x, m))).toEqual(got);
  });

  it('a perfect reconstruction is finite: σ² is floored at exp(2·MIN_LOG_SIGMA)', () => {
    const x = tf.tensor2d([[0.3, 0.6]]);
    const got = values(logGaussianOptimalVariance(x, x))[0];
    expect(got).toBeCloseTo(-0.5 * 2 * (LOG2PI + 2 * MIN_LOG_SIGMA + 1), 4);
    expect(values(likelihoodMean({ kind: 'gaussian-learned' }, x))).toEqual(values(x));
  });
});
