/**
 * Anomaly scores from a trained VAE (seed 001: "we can estimate the likelihood of new observations,
 * which can be used for anomaly detection"). An input the model finds unlikely is atypical:
 *
 *   score_iwae(x) = −IWAE_K(x) ≈ −log p(x)   (importance-weighted estimate, K samples)
 *   score_elbo(x) = −ELBO_K(x)               (the K-sample mean of log w; a looser bound)
 *
 * Both come from one pass over the same K importance samples (`estimateLogPx`).
 */
import * as tf from '../engine/tfjs.js';
import { estimateLogPx, type LogPxEstimate } from '../math/iwae.js';
import { Rng } from '../math/rng.js';
import type { Vae } from '../models/vae.js';

export type AnomalyScoreKind = 'iwae' | 'elbo';

/** Per-input scores of `anomalyScores`, in nats: higher is more anomalous. */
export interface AnomalyScores {
  /** −log p(x) estimate (IWAE-K) per input, nats. */
  negLogPx: Float32Array;
  /** −ELBO (mean over the K samples) per input, nats. */
  negElbo: Float32Array;
}

/** Options of `anomalyScores`. */
export interface ScoreOptions {
  /** Importance samples per input (K). */
  samples: number;
  seed: number;
  /** Inputs encoded at once (default 100). */
  batchSize?: number;
  /** Called as inputs are scored, with the work done and the total. */
  onProgress?: (done: number, total: number) => void;
  /**
   * The log p(x) estimator (e.g. the native engine's, src/train/evaluate.ts); default
   * `estimateLogPx` on tfjs. Both draw the same eps from Rng(seed).
   */
  estimate?: (o: { x: Float32Array; samples: number; rng: Rng; batchSize?: number; onProgress?: (done: number, total: number) => void }) => Promise<LogPxEstimate>;
}

/** Scores n model-ready images (NHWC). Higher = more anomalous. */
export async function anomalyScores(vae: Vae, images: Float32Array, n: number, opts: ScoreOptions): Promise<AnomalyScores> {
  const size = vae.imageShape.reduce((a, b) => a * b, 1);
  const x = images.subarray(0, n * size);
  const est = opts.estimate ? await opts.estimate({ x, samples: opts.samples, rng: new Rng(opts.seed), batchSize: opts.batchSize, onProgress: opts.onProgress }) : await estimateLogPx({
    x: images.subarray(0, n * size), shape: vae.imageShape, samples: opts.samples, rng: new Rng(opts.seed),
    batchSize: opts.batchSize, onProgress: opts.onProgress,
    encode: (x) => vae.encode(x as tf.Tensor4D), decode: (z) => vae.decode(z), likelihood: vae.config.likelihood,
    logPz: vae.logPz, // the run's prior (standard normal or mixture)
  });
  return { negLogPx: est.logPx.map((v) => -v), negElbo: est.elbo.map((v) => -v) };
}

/** Indices sorted by score, most anomalous (highest) first; ties keep the lower index first. */
export function rankByScore(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b);
}
