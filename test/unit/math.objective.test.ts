import * as tf from '../../src/engine/tfjs.js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  elboSingleSample, freeBitsKl, klAnalytic, klAnalyticPerDim, klMonteCarlo, klMonteCarloPerDim, negElboLoss, reparameterize,
  sampleEps, trainingObjective,
} from '../../src/math/index.js';
import { Rng } from '../../src/math/rng.js';
import { warmupBeta } from '../../src/train/trainer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const mu = [[0.1, -2, 0.02], [0.5, 1.5, -0.01], [-0.3, 2.5, 0]];
const logvar = [[-0.2, -1, 0.01], [0.3, -0.5, -0.02], [0.1, -1.5, 0]];

describe('per-dimension KL, free bits and the training objective', () => {
  it('per-dimension KLs sum to the per-example KLs', () => {
    const m = tf.tensor2d(mu);
    const lv = tf.tensor2d(logvar);
    const z = reparameterize(m, lv, sampleEps(new Rng(1), [3, 3]));
    const a = tf.sum(klAnalyticPerDim(m, lv), -1).arraySync() as number[];
    const b = klAnalytic(m, lv).arraySync() as number[];
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
    const c = tf.sum(klMonteCarloPerDim(z, m, lv), -1).arraySync() as number[];
    const d = klMonteCarlo(z, m, lv).arraySync() as number[];
    c.forEach((v, i) => expect(v).toBeCloseTo(d[i], 4));
  });

  it('free bits: Σ_j max(λ, batch-mean KL_j), and no KL gradient for dimensions under the floor', () => {
    const perDim = mu.map((row, i) => row.map((m, j) => 0.5 * (m * m + Math.exp(logvar[i][j]) - logvar[i][j] - 1)));
    const lambda = 0.5;
    const means = [0, 1, 2].map((j) => (perDim[0][j] + perDim[1][j] + perDim[2][j]) / 3);
    expect(means[0]).toBeLessThan(lambda); // the test needs one dimension under and two over the floor
    expect(means[1]).toBeGreaterThan(lambda);
    const expected = means.reduce((s, v) => s + Math.max(lambda, v), 0);
    const m = tf.variable(tf.tensor2d(mu));
    const lv = tf.variable(tf.tensor2d(logvar));
    expect(freeBitsKl(klAnalyticPerDim(m, lv), lambda).dataSync()[0]).toBeCloseTo(expected, 5);
    expect(freeBitsKl(klAnalyticPerDim(m, lv), 0).dataSync()[0]).toBeCloseTo(klAnalytic(m, lv).mean().dataSync()[0], 5);
    const { grads } = tf.variableGrads(() => freeBitsKl(klAnalyticPerDim(m, lv), lambda), [m, lv]);
    const g = grads[m.name].arraySync() as number[][];
    for (let i = 0; i < 3; i++) {
      expect(Math.abs(g[i][0])).toBe(0);
      expect(Math.abs(g[i][2])).toBe(0);
      expect(g[i][1]).toBeCloseTo(mu[i][1] / 3, 5); // ∂/∂mu of ½mu²/B
    }
    tf.dispose([m, lv, ...Object.values(grads)]);
  });

  it('trainingObjective: without free bits the old loss exactly; with them β·floored KL, but the true terms', () => {
    const m = tf.tensor2d(mu);
    const lv = tf.tensor2d(logvar);
    const x = tf.tensor2d([[1, 0, 1, 1], [0, 0, 1, 0], [1, 1, 1, 0]]);
    const W = tf.tensor2d([[0.5, -1, 0.2, 0.3], [1, 0.4, -0.6, 0], [0.1, 0.1, 0.3, -0.2]]);
    const decode = (z: tf.Tensor2D): tf.Tensor => tf.matMul(z, W);
    const likelihood = { kind: 'bernoulli' as const };
    const eps = sampleEps(new Rng(2), [3, 3]);
    const base = { x, mu: m, logvar: lv, decode, likelihood, eps };
    const old = negElboLoss(elboSingleSample({ ...base, beta: 4 })).dataSync()[0];
    expect(trainingObjective({ ...base, beta: 4 }).loss.dataSync()[0]).toBe(old);
    const fb = trainingObjective({ ...base, beta: 4, freeBits: 0.5 });
    const plain = elboSingleSample(base);
    const recon = plain.reconstruction.arraySync() as number[];
    const floored = freeBitsKl(klAnalyticPerDim(m, lv), 0.5).dataSync()[0];
    expect(fb.loss.dataSync()[0]).toBeCloseTo(-(recon[0] + recon[1] + recon[2]) / 3 + 4 * floored, 4);
    (fb.terms.kl.arraySync() as number[]).forEach((v, i) => expect(v).toBeCloseTo((plain.kl.arraySync() as number[])[i], 5));
    (fb.terms.reconstruction.arraySync() as number[]).forEach((v, i) => expect(v).toBeCloseTo(recon[i], 5));
    expect(() => trainingObjective({ ...base, freeBits: 0.5, logPz: (z) => tf.sum(z, -1) })).toThrow(/factorised prior/);
  });

  it('warm-up: β ramps linearly per step from 0 to β over the warm-up epochs, then stays', () => {
    expect(warmupBeta(4, undefined, 3, 7, 10)).toBe(4);
    expect(warmupBeta(4, 0, 1, 0, 10)).toBe(4);
    expect(warmupBeta(4, 2, 1, 0, 10)).toBe(0);
    expect(warmupBeta(4, 2, 1, 5, 10)).toBeCloseTo(1, 12);
    expect(warmupBeta(4, 2, 2, 0, 10)).toBeCloseTo(2, 12);
    expect(warmupBeta(4, 2, 2, 9, 10)).toBeCloseTo(3.8, 12);
    expect(warmupBeta(4, 2, 3, 0, 10)).toBe(4);
    expect(warmupBeta(1, 0.5, 1, 5, 10)).toBe(1);
    expect(warmupBeta(1, 0.5, 1, 4, 10)).toBeCloseTo(0.8, 12);
  });
});
