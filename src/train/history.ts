/**
 * One row per epoch of a run's history (stored in run.json). Losses are in nats per example:
 * `loss = -elbo = reconstruction + kl`, where `reconstruction = -E[log p(x|z)]`.
 */
export interface EpochRecord {
  epoch: number;
  train: { loss: number; reconstruction: number; kl: number };
  validation: { loss: number; reconstruction: number; kl: number };
  /** Seconds of wall time for the epoch (training + validation). */
  seconds: number;
  /** Training images per second during the epoch. */
  imagesPerSecond: number;
  /** The engine that ran the epoch's steps and validation: 'native', 'tfjs-wasm' or 'tfjs-cpu' (absent in older runs). */
  engine?: string;
}
