/**
 * Input corruptions for denoising VAEs (seed 004: train on noisy inputs, score the clean image).
 * Pure JavaScript on Float32Array images with values in [0, 1], seeded by our `Rng`.
 *
 * - `gaussian:σ`  additive noise, x̃ = clip(x + σ·eps, 0, 1), eps ~ N(0, 1) per value.
 * - `mask:p`      masking noise (Vincent et al. 2008): each pixel (all its channels together) is set
 *                 to 0 with probability p, independently.
 * - `replace:μ`   the perturbation of Ren et al. 2019 (likelihood-ratio background models): each
 *                 pixel is, with probability μ, replaced by uniform random values U(0, 1) (one per
 *                 channel).
 */
import type { Rng } from './rng.js';

/** Input corruption for denoising: Gaussian noise of std `sigma`, pixels masked with probability `p`, or pixels replaced by uniform noise with probability `p`. */
export type Corruption = { kind: 'gaussian'; sigma: number } | { kind: 'mask'; p: number } | { kind: 'replace'; p: number };

/** Parses `gaussian:SIGMA` (SIGMA > 0) or `mask:P` (0 < P < 1); throws an Error naming the problem. */
export function parseCorruption(s: string): Corruption {
  const m = /^(gaussian|mask|replace):([0-9.eE+-]+)$/.exec(s.trim());
  const v = m ? Number(m[2]) : NaN;
  if (m && m[1] === 'gaussian' && Number.isFinite(v) && v > 0) return { kind: 'gaussian', sigma: v };
  if (m && m[1] === 'mask' && Number.isFinite(v) && v > 0 && v < 1) return { kind: 'mask', p: v };
  if (m && m[1] === 'replace' && Number.isFinite(v) && v > 0 && v <= 1) return { kind: 'replace', p: v };
  throw new Error(`noise must be gaussian:SIGMA (SIGMA > 0), mask:P (0 < P < 1) or replace:P (0 < P ≤ 1), e.g. gaussian:0.3, mask:0.5 or replace:0.2 (got '${s}')`);
}

/** The inverse of `parseCorruption`, e.g. `gaussian:0.3`. */
export function formatCorruption(c: Corruption): string {
  return c.kind === 'gaussian' ? `gaussian:${c.sigma}` : `${c.kind}:${c.p}`;
}

/**
 * A corrupted copy of `images` (the input is not changed). `channels` is the last (NHWC) axis:
 * masking drops whole pixels. Draw order: one normal per value (gaussian), one uniform per pixel
 * (mask), or one uniform per pixel and, for a replaced pixel, one uniform per channel (replace),
 * in memory order.
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
  if (c.kind === 'replace') {
    for (let p = 0; p < pixels; p++) {
      const replace = rng.uniform() < c.p;
      for (let ch = 0; ch < channels; ch++) out[p * channels + ch] = replace ? rng.uniform() : images[p * channels + ch];
    }
    return out;
  }
  for (let p = 0; p < pixels; p++) {
    const keep = rng.uniform() >= c.p;
    for (let ch = 0; ch < channels; ch++) out[p * channels + ch] = keep ? images[p * channels + ch] : 0;
  }
  return out;
}
