/**
 * Importance-weighted bounds and log p(x) estimates (Burda et al.'s IWAE bound):
 *
 *   log p(x) ≥ IWAE_k(x) = E[ log 1/k Σ_j w_j ],   w_j = p(x|z_j)·p(z_j) / q(z_j|x),   z_j ~ q(z|x).
 *
 * IWAE_1 is the ELBO; IWAE_k is non-decreasing in k and tends to log p(x) as k → ∞.
 */
import * as tf from '../engine/tfjs.js';
import { logImportanceWeights, type Decode, type ElboInputs } from './elbo.js';
import { sampleEps } from './gaussian.js';
import type { Likelihood } from './likelihood.js';
import type { LogDensity } from './prior.js';
import type { Rng } from './rng.js';

/**
 * log( 1/n Σ_i exp(logw_i) ) along `axis`, stably: m + log Σ exp(logw_i − m) − log n, m = max.
 * An all −∞ slice gives −∞ (not NaN).
 */
export function logMeanExp(logw: tf.Tensor, axis = 0): tf.Tensor {
  return tf.tidy(() => {
    const rawMax = tf.max(logw, axis, true);
    const m = tf.where(tf.isFinite(rawMax), rawMax, tf.zerosLike(rawMax));
    const sumExp = tf.sum(tf.exp(tf.sub(logw, m)), axis);
    const n = logw.shape[axis < 0 ? logw.rank + axis : axis];
    return tf.add(tf.log(sumExp), tf.sub(tf.squeeze(m, [axis]), Math.log(n)));
  });
}

/**
 * IWAE_k = log 1/k Σ_j w_j with log w_j = log p(x|z_j) + log p(z_j) − log q(z_j|x),
 * z_j = mu + exp(½·logvar)·eps_j. eps [k, B, D] → [B].
 */
export function iwaeBound(args: ElboInputs & { eps: tf.Tensor }): tf.Tensor {
  return tf.tidy(() => logMeanExp(logImportanceWeights(args), 0));
}

/** Inputs of `estimateLogPx`: the data, the model's functions and the number of importance samples. */
export interface EstimateLogPxOptions {
  /** n examples, each of `shape`, concatenated (e.g. NHWC images). */
  x: Float32Array;
  /** Per-example shape, e.g. [32, 32, 3] or [784]. */
  shape: number[];
  /** The encoder: x [B, ...shape] → mu, logvar [B, D]. */
  encode: (x: tf.Tensor) => { mu: tf.Tensor; logvar: tf.Tensor };
  decode: Decode;
  likelihood: Likelihood;
  /** K, importance samples per example (e.g. 5000). */
  samples: number;
  /** log p(z), z [..., D] → [...]; default the standard normal N(0, I). */
  logPz?: LogDensity;
  /** Source of eps; draws are in order batch, sample, example, latent dim. */
  rng: Rng;
  /** Examples encoded at once. Default 100. */
  batchSize?: number;
  /** Most samples decoded at once. Default 500 (lowered by `maxChunkValues`). */
  chunk?: number;
  /** Upper bound on chunk·batch·d, the values of one decoded chunk. Default 2^22 (16 MB float32). */
  maxChunkValues?: number;
  /** Called after each chunk with examples·samples done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** Per-example results of `estimateLogPx`, in nats. */
export interface LogPxEstimate {
  /** IWAE_K per example: log 1/K Σ_j w_j, an estimate (stochastic lower bound) of log p(x), nats. */
  logPx: Float32Array;
  /** K-sample ELBO per example: 1/K Σ_j log w_j, nats. */
  elbo: Float32Array;
}

/** Lets the event loop run (a progress bar repaint) between chunks; not throttled in hidden tabs. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const g = globalThis as { setImmediate?: (f: () => void) => unknown };
    if (typeof g.setImmediate === 'function') g.setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}

/**
 * Estimates log p(x) for each example with K importance samples from q(z|x):
 *   log p(x) ≈ log 1/K Σ_j w_j,   w_j = p(x|z_j)·p(z_j) / q(z_j|x).
 * Each batch is encoded once; the K samples are decoded in chunks, and a running log-sum-exp per
 * example is kept in JS doubles, so memory stays bounded for any K. Chunking does not change which
 * eps are drawn (only batchSize does), so results depend on the seed and batchSize alone.
 */
export async function estimateLogPx(opts: EstimateLogPxOptions): Promise<LogPxEstimate> {
  const { x, shape, encode, decode, likelihood, samples: K, rng, onProgress, logPz } = opts;
  const d = shape.reduce((a, b) => a * b, 1);
  const n = Math.floor(x.length / d);
  if (n * d !== x.length) throw new Error(`x has ${x.length} values, not a multiple of ${d} (shape ${shape.join('×')})`);
  if (!(K >= 1)) throw new Error(`samples must be ≥ 1, got ${K}`);
  const batchSize = Math.max(1, opts.batchSize ?? 100);
  const logPx = new Float32Array(n);
  const elbo = new Float32Array(n);
  let done = 0;

  for (let start = 0; start < n; start += batchSize) {
    const bs = Math.min(batchSize, n - start);
    const chunk = Math.max(1, Math.min(opts.chunk ?? 500, Math.floor((opts.maxChunkValues ?? 2 ** 22) / (bs * d))));
    const xb = tf.tensor(x.subarray(start * d, (start + bs) * d), [bs, ...shape], 'float32');
    const { mu, logvar } = tf.tidy(() => encode(xb));
    const latentDim = mu.shape[mu.rank - 1];
    // Running log Σ_j w_j and Σ_j log w_j per example, in doubles.
    const logSumW = new Float64Array(bs).fill(-Infinity);
    const sumLogW = new Float64Array(bs);
    try {
      for (let k0 = 0; k0 < K; k0 += chunk) {
        const kc = Math.min(chunk, K - k0);
        const stats = tf.tidy(() => {
          const eps = sampleEps(rng, [kc, bs, latentDim]);
          const logw = logImportanceWeights({ x: xb, mu, logvar, decode, likelihood, eps, logPz });
          return tf.stack([logMeanExp(logw, 0), tf.sum(logw, 0)]); // [2, bs]
        });
        const values = await stats.data();
        stats.dispose();
        for (let i = 0; i < bs; i++) {
          logSumW[i] = logAddExp(logSumW[i], values[i] + Math.log(kc));
          sumLogW[i] += values[bs + i];
        }
        done += kc * bs;
        onProgress?.(done, n * K);
        await yieldToEventLoop();
      }
    } finally {
      tf.dispose([xb, mu, logvar]);
    }
    for (let i = 0; i < bs; i++) {
      logPx[start + i] = logSumW[i] - Math.log(K);
      elbo[start + i] = sumLogW[i] / K;
    }
  }
  return { logPx, elbo };
}

/** log(e^a + e^b) in doubles, stable, with −∞ as the identity. */
function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}
