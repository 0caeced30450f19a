/**
 * Variance of two estimators of ∇_φ ELBO, the gradient w.r.t. the encoder's parameters φ, for a
 * fixed minibatch and fixed φ (seed 001):
 *
 *   f(x, z) = log p(x|z) + log p(z) − log q_φ(z|x),   ELBO = E_q[f],   L = 1/B Σ_i f(x_i, z_i).
 *
 * - score function (REINFORCE, seed 001's derivation): z ~ q held fixed,
 *     ĝ = 1/B Σ_i f(x_i, z_i) · ∇_φ log q_φ(z_i|x_i)
 *   (seed 001 derives it for ∇(−ELBO) = E_q[(log q − log p(x, z)) ∇ log q]; the term E_q[∇_φ log q] = 0
 *   is dropped, as there);
 * - reparameterised: z = mu_φ(x) + exp(½ logvar_φ(x)) ⊙ eps, ĝ = ∇_φ L(eps).
 *
 * Each draw r uses fresh eps for the whole minibatch. The encoder output (mu, logvar) is
 * deterministic in φ, so ∇_φ L_r = J_φᵀ [∂L_r/∂mu, ∂L_r/∂logvar]: the upstream gradients of many
 * draws are computed in one batched pass (the minibatch tiled per draw), then one encoder
 * vector-Jacobian product per draw gives its parameter gradient. Moments are kept in doubles.
 */
import * as tf from '../engine/tfjs.js';
import type { NamedVariableMap } from '@tensorflow/tfjs-core/dist/tensor_types.js';
import type { Decode } from '../math/elbo.js';
import { logNormalDiag, logStandardNormal, reparameterize, sampleEps } from '../math/gaussian.js';
import { logPxGivenZ, type Likelihood } from '../math/likelihood.js';
import type { LogDensity } from '../math/prior.js';
import { Rng } from '../math/rng.js';

export type Estimator = 'score' | 'reparam';

/** What the gradient is taken of: a fixed minibatch, an encoder with variables φ, a fixed decoder. */
export interface GradientProblem {
  /** The fixed minibatch [B, ...]. */
  x: tf.Tensor;
  /** q_φ(z|x): mu, logvar [B, D], differentiable in `groups`' variables. */
  encode: (x: tf.Tensor) => { mu: tf.Tensor; logvar: tf.Tensor };
  /** The parameter groups φ (e.g. each encoder layer's kernel and bias). */
  groups: { name: string; variable: tf.Variable }[];
  decode: Decode;
  likelihood: Likelihood;
  /** log p(z); default N(0, I). */
  logPz?: LogDensity;
}

/** Per parameter group: the mean and variance over draws of each coordinate, and summaries. */
export interface GroupMoments {
  name: string;
  size: number;
  /** Mean over draws of each gradient coordinate. */
  mean: Float64Array;
  /** Unbiased variance over draws of each coordinate. */
  variance: Float64Array;
  /** ‖mean‖₂. */
  meanNorm: number;
  /** Σ_coordinates variance (trace of the covariance of one draw's gradient). */
  totalVariance: number;
}

/** f(x, z) per example and draw: z [R, B, D] against mu, logvar [B, D] or [R, B, D] → [R, B]. */
function integrand(p: GradientProblem, xTiled: tf.Tensor, z: tf.Tensor, mu: tf.Tensor, logvar: tf.Tensor): tf.Tensor {
  const [r, b, d] = z.shape;
  const logPxz = tf.reshape(logPxGivenZ(p.likelihood, xTiled, p.decode(tf.reshape(z, [r * b, d]) as tf.Tensor2D)), [r, b]);
  return tf.sub(tf.add(logPxz, (p.logPz ?? logStandardNormal)(z)), logNormalDiag(z, mu, logvar));
}

/**
 * ∂L_r/∂mu and ∂L_r/∂logvar for r = 1..R draws at once, eps [R, B, D] → two [R, B, D] tensors.
 * mu and logvar are tiled per draw so each draw's gradient lands in its own slot.
 */
export function upstreamGradients(
  p: GradientProblem, mu: tf.Tensor, logvar: tf.Tensor, eps: tf.Tensor, estimator: Estimator,
): { gMu: tf.Tensor; gLogvar: tf.Tensor } {
  return tf.tidy(() => {
    const [r, b] = eps.shape;
    const muT = tf.tile(tf.expandDims(mu, 0), [r, 1, 1]);
    const lvT = tf.tile(tf.expandDims(logvar, 0), [r, 1, 1]);
    const xTiled = tf.tile(p.x, [r, ...p.x.shape.slice(1).map(() => 1)]);
    let grads: tf.Tensor[];
    if (estimator === 'reparam') {
      grads = tf.grads((m: tf.Tensor, lv: tf.Tensor) => {
        const z = reparameterize(m, lv, eps);
        return tf.div(tf.sum(integrand(p, xTiled, z, m, lv)), b);
      })([muT, lvT]);
    } else {
      const z = reparameterize(muT, lvT, eps); // held fixed below
      const f = integrand(p, xTiled, z, muT, lvT); // a constant weight: no gradient flows through it
      grads = tf.grads((m: tf.Tensor, lv: tf.Tensor) => tf.div(tf.sum(tf.mul(f, logNormalDiag(z, m, lv))), b))([muT, lvT]);
    }
    return { gMu: grads[0], gLogvar: grads[1] };
  });
}

/**
 * Mean and variance over `draws` independent eps draws of the estimator's gradient w.r.t. each
 * parameter group. eps come from `rng` in order draw, example, latent dimension (so a test can
 * regenerate them); `chunk` draws share one batched upstream pass.
 */
export async function gradientMoments(
  p: GradientProblem, estimator: Estimator, rng: Rng, draws: number,
  { chunk = 50, onProgress }: { chunk?: number; onProgress?: (done: number) => void } = {},
): Promise<GroupMoments[]> {
  if (!(draws >= 2)) throw new Error(`draws must be ≥ 2 to estimate a variance, got ${draws}`);
  const { mu, logvar } = tf.tidy(() => p.encode(p.x));
  const [b, d] = mu.shape;
  const vars = p.groups.map((g) => g.variable);
  const sums = p.groups.map((g) => new Float64Array(g.variable.size));
  const squares = p.groups.map((g) => new Float64Array(g.variable.size));
  try {
    for (let r0 = 0; r0 < draws; r0 += chunk) {
      const c = Math.min(chunk, draws - r0);
      const up = tf.tidy(() => upstreamGradients(p, mu, logvar, sampleEps(rng, [c, b, d]), estimator));
      try {
        for (let r = 0; r < c; r++) {
          const values = tf.tidy(() => {
            const gm = tf.squeeze(tf.slice(up.gMu, [r, 0, 0], [1, b, d]), [0]);
            const gl = tf.squeeze(tf.slice(up.gLogvar, [r, 0, 0], [1, b, d]), [0]);
            // vector-Jacobian product: ∇_φ Σ (mu_φ ⊙ gMu + logvar_φ ⊙ gLogvar) = J_φᵀ g
            const { grads } = tf.variableGrads(() => {
              const q = p.encode(p.x);
              return tf.add(tf.sum(tf.mul(q.mu, gm)), tf.sum(tf.mul(q.logvar, gl))) as tf.Scalar;
            }, vars);
            return vars.map((v) => (grads as NamedVariableMap)[v.name].dataSync());
          });
          values.forEach((g, k) => {
            const s = sums[k];
            const q = squares[k];
            for (let i = 0; i < g.length; i++) {
              s[i] += g[i];
              q[i] += g[i] * g[i];
            }
          });
        }
      } finally {
        tf.dispose([up.gMu, up.gLogvar]);
      }
      onProgress?.(r0 + c);
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
    }
  } finally {
    tf.dispose([mu, logvar]);
  }
  return p.groups.map((g, k) => {
    const mean = sums[k].map((s) => s / draws);
    const variance = squares[k].map((q, i) => Math.max(0, (q - draws * mean[i] * mean[i]) / (draws - 1)));
    return {
      name: g.name, size: mean.length, mean, variance,
      meanNorm: Math.sqrt(mean.reduce((a, v) => a + v * v, 0)),
      totalVariance: variance.reduce((a, v) => a + v, 0),
    };
  });
}

/** One row of the comparison table. */
export interface GradVarRow {
  name: string;
  size: number;
  score: { meanNorm: number; totalVariance: number };
  reparam: { meanNorm: number; totalVariance: number };
  /** totalVariance(score) / totalVariance(reparam). */
  varianceRatio: number;
  /**
   * ‖mean_score − mean_reparam‖ / sqrt((totalVariance_score + totalVariance_reparam) / draws):
   * about 1 when both estimate the same gradient (independent draws), much larger when they do not.
   */
  agreement: number;
}

export interface GradVarResult {
  draws: number;
  batch: number;
  rows: GradVarRow[];
  /** All groups together. */
  total: GradVarRow;
}

function row(name: string, s: GroupMoments[], r: GroupMoments[], draws: number): GradVarRow {
  let diff2 = 0;
  let size = 0;
  const sum = (ms: GroupMoments[]): { meanNorm: number; totalVariance: number } => ({
    meanNorm: Math.sqrt(ms.reduce((a, m) => a + m.meanNorm * m.meanNorm, 0)),
    totalVariance: ms.reduce((a, m) => a + m.totalVariance, 0),
  });
  s.forEach((m, k) => {
    size += m.size;
    for (let i = 0; i < m.size; i++) diff2 += (m.mean[i] - r[k].mean[i]) ** 2;
  });
  const score = sum(s);
  const reparam = sum(r);
  return {
    name, size, score, reparam,
    varianceRatio: score.totalVariance / reparam.totalVariance,
    agreement: Math.sqrt(diff2) / Math.sqrt((score.totalVariance + reparam.totalVariance) / draws),
  };
}

/**
 * The score-function and reparameterised estimators side by side, each over `draws` independent
 * eps draws (score from Rng(seed), reparameterised from Rng(seed + 1)).
 */
export async function compareEstimators(
  p: GradientProblem, { draws, seed = 0, chunk, onProgress }: { draws: number; seed?: number; chunk?: number; onProgress?: (done: number, total: number) => void },
): Promise<GradVarResult> {
  const score = await gradientMoments(p, 'score', new Rng(seed), draws, { chunk, onProgress: (d) => onProgress?.(d, 2 * draws) });
  const reparam = await gradientMoments(p, 'reparam', new Rng(seed + 1), draws, { chunk, onProgress: (d) => onProgress?.(draws + d, 2 * draws) });
  return {
    draws, batch: p.x.shape[0] ?? 0,
    rows: score.map((m, k) => row(m.name, [m], [reparam[k]], draws)),
    total: row('all', score, reparam, draws),
  };
}
