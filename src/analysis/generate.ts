/**
 * Generation and inference on plain arrays: sample, decode any z, encode any images, reconstruct,
 * interpolate. Each call runs in tf.tidy and returns Float32Arrays, so callers hold no tensors.
 */
import * as tf from '../engine/tfjs.js';
import { Rng } from '../math/rng.js';
import type { Vae } from '../models/vae.js';

const BATCH = 256;

/** Decodes n latent points (n*latent values) into images (means), NHWC in [0,1]. */
export function decodeZ(vae: Vae, z: Float32Array, n: number): Float32Array {
  const d = vae.config.latent;
  if (z.length !== n * d) throw new Error(`decodeZ: expected ${n * d} values, got ${z.length}`);
  const size = vae.imageShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * size);
  for (let s = 0; s < n; s += BATCH) {
    const b = Math.min(BATCH, n - s);
    const vals = tf.tidy(() => vae.decodeMean(tf.tensor2d(z.subarray(s * d, (s + b) * d), [b, d])).dataSync());
    out.set(vals, s * size);
  }
  return out;
}

/** z ~ p(z) (N(0, I), or the run's mixture prior) drawn from a seeded Rng, and their decodings. */
export function sampleImages(vae: Vae, n: number, seed: number): { z: Float32Array; images: Float32Array } {
  const z = vae.prior.sample(new Rng(seed), n);
  return { z, images: decodeZ(vae, z, n) };
}

/** q(z|x) parameters for n images: mu and logvar, n*latent values each. */
export function encodeImages(vae: Vae, images: Float32Array, n: number): { mu: Float32Array; logvar: Float32Array } {
  const d = vae.config.latent;
  const shape = vae.imageShape;
  const size = shape[0] * shape[1] * shape[2];
  const mu = new Float32Array(n * d);
  const logvar = new Float32Array(n * d);
  for (let s = 0; s < n; s += BATCH) {
    const b = Math.min(BATCH, n - s);
    const [m, lv] = tf.tidy(() => {
      const q = vae.encode(tf.tensor4d(images.subarray(s * size, (s + b) * size), [b, ...shape]));
      return [q.mu.dataSync(), q.logvar.dataSync()];
    });
    mu.set(m, s * d);
    logvar.set(lv, s * d);
  }
  return { mu, logvar };
}

/** Reconstructions: decode the encoder means (deterministic). */
export function reconstructImages(vae: Vae, images: Float32Array, n: number): Float32Array {
  return decodeZ(vae, encodeImages(vae, images, n).mu, n);
}

/** Interpolation lives in interpolate.ts (linear and spherical); re-exported for existing callers. */
export { interpolateLinear } from './interpolate.js';
