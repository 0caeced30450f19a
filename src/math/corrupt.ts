/**
 * Input corruptions for denoising VAEs (seed 004: train on noisy inputs, score the clean image).
 * Pure JavaScript on Float32Array images with values in [0, 1], seeded by our `Rng`.
 *
 * - `gaussian:σ`  additive noise, x̃ = clip(x + σ·eps, 0, 1), eps ~ N(0, 1) per value.
 * - `mask:p`      masking noise (Vincent et al. 2008): each pixel (all its channels together) is set
 *                 to 0 with probability p, independently.
 */
import type { Rng } from './rng.js';

/** Input corruption for denoising: Gaussian noise of std `sigma`, or pixels masked with probability `p`. */
export type Corruption = { kind: 'gaussian'; sigma: number } | { kind: 'mask'; p: number };

/** Parses `gaussian:SIGMA` (SIGMA > 0) or `mask:P` (0 < P < 1); throws an Error naming the problem. */
export function parseCorruption(s: string): Corruption {
  const m = /^(gaussian|mask):([0-9.eE+-]+)$/.exec(s.trim());
  const v = m ? Number(m[2]) : NaN;
  if (m && m[1] === 'gaussian' && Number.isFinite(v) && v > 0) return { kind: 'gaussian', sigma: v };
  if (m && m[1] === 'mask' && Number.isFinite(v) && v > 0 && v < 1) return { kind: 'mask', p: v };
  throw new Error(`noise must be gaussian:SIGMA (SIGMA > 0) or mask:P (0 < P < 1), e.g. gaussian:0.3 or mask:0.5 (got '${s}')`);
}

/** The inverse of `parseCorruption`, e.g. `gaussian:0.3`. */
export function formatCorruption(c: Corruption): string {
  return c.kind === 'gaussian' ? `gaussian:${c.sigma}` : `mask:${c.p}`;
}

/**
 * A corrupted copy of `images` (the input is not changed). `channels` is the last (NHWC) axis:
 * masking drops whole pixels. Draw order: one normal per value (gaussian) or one uniform per pixel
 * (mask), in memory order.
 */
export function corrupt(images: Float32Array, c: Corruption, rng: Rng, channels = 1): Float32Array {
  const out = new Float32Array(images.length);
  if (c.kind === 'gaussian') {
    for (let i = 0; i < images.length; i++) {
      const v = images[i] + c.sigma * rng.normal();
      out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
    return out;
  }
  const pixels = Math.floor(images.length / channels);
  for (let p = 0; p < pixels; p++) {
    const keep = rng.uniform() >= c.p;
    for (let ch = 0; ch < channels; ch++) out[p * channels + ch] = keep ? images[p * channels + ch] : 0;
  }
  return out;
}
