/**
 * kSampleObjective (src/math/elbo.ts) against independent computations: the k-sample ELBO is the
 * mean over samples of single-sample terms; IWAE_1 is the Monte-Carlo ELBO; IWAE_k is the log of
 * the mean of the importance weights computed by hand, and bounds the k-sample ELBO from above
 * (Jensen); k = 1 with eps [1, B, D] gives trainingObjective's loss (also with free bits).
 */
import * as tf from '../../src/engine/tfjs.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { elboSingleSample, kSampleObjective, trainingObjective } from '../../src/math/elbo.js';
import { logNormalDiag, logStandardNormal } from '../../src/math/gaussian.js';
import { logPxGivenZ, type Likelihood } from '../../src/math/likelihood.js';
import { Rng } from '../../src/math/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const B = 3;
const D = 2;
const likelihood: Likelihood = { kind: 'bernoulli' };
const W = tf.tensor2d([[0.5, -1, 0.3, 2], [-0.7, 0.2, 1.1, -0.4]]); // a linear decoder: logits = z·W
const decode = (z: tf.Tensor2D): tf.Tensor => tf.matMul(z, W);
const x = tf.tensor2d([[1, 0, 1, 1], [0, 0, 1, 0], [1, 1, 0, 1]]);
const mu = tf.tensor2d([[0.1, -0.5], [0.8, 0.2], [-0.3, 0.4]]);
const logvar = tf.tensor2d([[-0.3, 0.1], [0.2, -0.8], [0, -0.1]]);
const base = { x, mu, logvar, decode, likelihood };

function eps(k: number, seed = 1): tf.Tensor3D {
  return tf.tensor3d(new Rng(seed).normals(k * B * D), [k, B, D]);
}

describe('kSampleObjective', () => {
  it('the k-sample ELBO is the mean over samples of the single-sample terms (analytic and Monte-Carlo KL, β)', () => {
    const k = 4;
    const e = eps(k);
    for (const kl of ['analytic', 'monte-carlo'] as const) {
      const got = kSampleObjective({ ...base, eps: e, beta: 0.7, kl });
      const singles = Array.from({ length: k }, (_, j) => elboSingleSample({ ...base, eps: e.slice([j, 0, 0], [1, B, D]).reshape([B, D]), beta: 0.7, kl }));
      const recon = Array.from(tf.mean(tf.stack(singles.map((s) => s.reconstruction)), 0).dataSync());
      const klv = Array.from(tf.mean(tf.stack(singles.map((s) => s.kl)), 0).dataSync());
      got.terms.reconstruction.dataSync().forEach((v, i) => expect(v).toBeCloseTo(recon[i], 4));
      got.terms.kl.dataSync().forEach((v, i) => expect(v).toBeCloseTo(klv[i], 4));
      const loss = -(recon.reduce((a, b) => a + b, 0) / B) + 0.7 * (klv.reduce((a, b) => a + b, 0) / B);
      expect(got.loss.dataSync()[0]).toBeCloseTo(loss, 4);
    }
  });

  it('IWAE_k is log mean_j w_j computed by hand, ≥ the k-sample ELBO; IWAE_1 is the Monte-Carlo ELBO', () => {
    const k = 5;
    const e = eps(k, 2);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), e)); // [k, B, D]
    const logw = tf.tidy(() => {
      const lpx = logPxGivenZ(likelihood, tf.tile(x, [k, 1]), decode(z.reshape([k * B, D]) as tf.Tensor2D)).reshape([k, B]);
      return tf.sub(tf.add(lpx, logStandardNormal(z)), logNormalDiag(z, mu, logvar));
    });
    const lw = logw.arraySync() as number[][];
    const iwae = Array.from({ length: B }, (_, i) => {
      const m = Math.max(...lw.map((r) => r[i]));
      return m + Math.log(lw.reduce((s, r) => s + Math.exp(r[i] - m), 0) / k);
    });
    const got = kSampleObjective({ ...base, eps: e, objective: 'iwae' });
    expect(got.loss.dataSync()[0]).toBeCloseTo(-iwae.reduce((a, b) => a + b, 0) / B, 4);
    const elboK = kSampleObjective({ ...base, eps: e, kl: 'monte-carlo' });
    expect(-got.loss.dataSync()[0]).toBeGreaterThanOrEqual(-elboK.loss.dataSync()[0]);
    const e1 = eps(1, 3);
    const one = kSampleObjective({ ...base, eps: e1, objective: 'iwae' });
    const mc = trainingObjective({ ...base, eps: e1.reshape([B, D]), kl: 'monte-carlo' });
    expect(one.loss.dataSync()[0]).toBeCloseTo(mc.loss.dataSync()[0], 4);
  });

  it('k = 1 with eps [1, B, D] is trainingObjective, also with free bits', () => {
    const e1 = eps(1, 4);
    for (const o of [{ kl: 'analytic' as const }, { kl: 'monte-carlo' as const, freeBits: 0.3, beta: 2 }, { kl: 'analytic' as const, freeBits: 0.2 }]) {
      const a = kSampleObjective({ ...base, eps: e1, ...o }).loss.dataSync()[0];
      const b = trainingObjective({ ...base, eps: e1.reshape([B, D]), ...o }).loss.dataSync()[0];
      expect(a).toBeCloseTo(b, 4);
    }
    expect(() => kSampleObjective({ ...base, eps: e1, objective: 'iwae', freeBits: 0.5 })).toThrow(/free bits/);
  });
});
