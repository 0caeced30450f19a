import * as tf from '../../src/engine/tfjs.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareEstimators, gradientMoments, type GradientProblem } from '../../src/analysis/gradvar.js';
import { logNormalDiag, logPxGivenZ, logStandardNormal, reparameterize } from '../../src/math/index.js';
import { Rng } from '../../src/math/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * A linear-Gaussian VAE where the ELBO has a closed form: q(z|x) = N(xA + c, diag exp(xL + d)),
 * p(z) = N(0, I), p(x|z) = N(zW + b, s2·I). Then
 *   E_q log p(x|z) = −½[n log 2π s2 + (‖x − μW − b‖² + Σ_j σ_j² ‖W_j‖²)/s2],
 *   KL = ½ Σ_j (μ_j² + σ_j² − log σ_j² − 1).
 */
function linearProblem(): { problem: GradientProblem; closedForm: () => tf.Scalar; dispose: () => void } {
  const x = tf.tensor2d([[0.5, -1, 0.3], [1.2, 0.4, -0.7], [-0.3, 0.8, 0.1], [0, -0.5, 1]]);
  const A = tf.variable(tf.tensor2d([[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2]]));
  const c = tf.variable(tf.tensor1d([0.1, -0.3]));
  const L = tf.variable(tf.tensor2d([[0.2, -0.1], [-0.3, 0.1], [0.1, 0.2]]));
  const d = tf.variable(tf.tensor1d([-0.5, 0.2]));
  const W = tf.tensor2d([[1, -0.5, 0.3], [0.2, 0.8, -1]]);
  const b = tf.tensor1d([0.1, 0, -0.2]);
  const s2 = 0.5;
  const encode = (xx: tf.Tensor): { mu: tf.Tensor; logvar: tf.Tensor } => ({
    mu: tf.add(tf.matMul(xx as tf.Tensor2D, A), c), logvar: tf.add(tf.matMul(xx as tf.Tensor2D, L), d),
  });
  const problem: GradientProblem = {
    x, encode, decode: (z) => tf.add(tf.matMul(z, W), b), likelihood: { kind: 'gaussian', sigma2: s2 },
    groups: [{ name: 'A', variable: A }, { name: 'c', variable: c }, { name: 'L', variable: L }, { name: 'd', variable: d }],
  };
  const closedForm = (): tf.Scalar => {
    const { mu, logvar } = encode(x);
    const v = tf.exp(logvar);
    const resid = tf.sum(tf.square(tf.sub(tf.sub(x, tf.matMul(mu as tf.Tensor2D, W)), b)), 1);
    const spread = tf.sum(tf.mul(v, tf.sum(tf.square(W), 1)), 1);
    const n = 3;
    const recon = tf.mul(tf.add(n * Math.log(2 * Math.PI * s2), tf.div(tf.add(resid, spread), s2)), -0.5);
    const kl = tf.mul(tf.sum(tf.sub(tf.sub(tf.add(tf.square(mu), v), logvar), 1), 1), 0.5);
    return tf.mean(tf.sub(recon, kl)) as tf.Scalar;
  };
  return { problem, closedForm, dispose: () => tf.dispose([x, A, c, L, d, W, b]) };
}

describe('gradient estimators (score function vs reparameterisation)', () => {
  it('both estimate the closed-form ELBO gradient of a linear-Gaussian model (within 4.5 standard errors), the score one with more variance', async () => {
    const { problem, closedForm, dispose } = linearProblem();
    const vars = problem.groups.map((g) => g.variable);
    const { grads } = tf.variableGrads(closedForm, vars);
    const truth = vars.map((v) => Array.from(grads[v.name].dataSync()));
    tf.dispose(Object.values(grads));
    const R = 3000;
    for (const estimator of ['score', 'reparam'] as const) {
      const moments = await gradientMoments(problem, estimator, new Rng(estimator === 'score' ? 1 : 2), R, { chunk: 500 });
      moments.forEach((m, k) => {
        for (let i = 0; i < m.size; i++) {
          const se = Math.sqrt(m.variance[i] / R);
          expect(se).toBeGreaterThan(0);
          // 40 coordinates are tested: 4.5 standard errors is a two-sided Bonferroni bound at overall α ≈ 3e-4
          expect(Math.abs(m.mean[i] - truth[k][i]), `${estimator} ${m.name}[${i}]`).toBeLessThan(4.5 * se);
        }
      });
    }
    const table = await compareEstimators(problem, { draws: 1000, seed: 5, chunk: 250 });
    expect(table.total.varianceRatio).toBeGreaterThan(1);
    for (const r of table.rows) expect(r.score.totalVariance).toBeGreaterThan(r.reparam.totalVariance);
    expect(table.total.agreement).toBeLessThan(3);
    // the statistic does notice a wrong gradient: the true gradient of a shifted decoder bias
    const shifted = { ...problem, decode: (z: tf.Tensor2D) => tf.add(problem.decode(z), 1.5) };
    const off = await gradientMoments(shifted, 'reparam', new Rng(2), 200, { chunk: 200 });
    const moved = off.some((m, k) => Array.from(m.mean).some((v, i) => Math.abs(v - truth[k][i]) > 8 * Math.sqrt(m.variance[i] / 200)));
    expect(moved).toBe(true);
    dispose();
  });

  it('the batched upstream pass + one encoder vector-Jacobian product per draw equals per-draw backprop', async () => {
    const { problem, dispose } = linearProblem();
    const vars = problem.groups.map((g) => g.variable);
    const R = 4;
    const [B, D] = [4, 2];
    const eps = new Rng(9).normals(R * B * D);
    for (const estimator of ['score', 'reparam'] as const) {
      const direct = Array.from({ length: R }, (_, r) => {
        const e = tf.tensor2d(eps.subarray(r * B * D, (r + 1) * B * D), [B, D]);
        const frozen = tf.tidy(() => {
          const q = problem.encode(problem.x);
          const z = reparameterize(q.mu, q.logvar, e);
          const f = tf.sub(tf.add(logPxGivenZ(problem.likelihood, problem.x, problem.decode(z as tf.Tensor2D)), logStandardNormal(z)), logNormalDiag(z, q.mu, q.logvar));
          return { z, f };
        });
        const { grads } = tf.variableGrads(() => {
          const q = problem.encode(problem.x);
          if (estimator === 'score') return tf.mean(tf.mul(frozen.f, logNormalDiag(frozen.z, q.mu, q.logvar))) as tf.Scalar;
          const z = reparameterize(q.mu, q.logvar, e);
          return tf.mean(tf.sub(tf.add(logPxGivenZ(problem.likelihood, problem.x, problem.decode(z as tf.Tensor2D)), logStandardNormal(z)), logNormalDiag(z, q.mu, q.logvar))) as tf.Scalar;
        }, vars);
        const out = vars.map((v) => Array.from(grads[v.name].dataSync()));
        tf.dispose([e, frozen.z, frozen.f, ...Object.values(grads)]);
        return out;
      });
      const m = await gradientMoments(problem, estimator, new Rng(9), R, { chunk: 3 }); // 3 + 1: chunking keeps the draw order
      m.forEach((g, k) => {
        for (let i = 0; i < g.size; i++) {
          const xs = direct.map((dr) => dr[k][i]);
          const mean = xs.reduce((a, b) => a + b, 0) / R;
          const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (R - 1);
          expect(g.mean[i]).toBeCloseTo(mean, 4);
          expect(g.variance[i]).toBeCloseTo(variance, 3);
        }
      });
    }
    const before = tf.memory().numTensors;
    await gradientMoments(problem, 'score', new Rng(1), 6, { chunk: 4 });
    await gradientMoments(problem, 'reparam', new Rng(1), 6, { chunk: 4 });
    expect(tf.memory().numTensors).toBe(before);
    dispose();
  });
});
