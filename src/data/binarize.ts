/**
 * Binarisation of images in [0, 1] for Bernoulli likelihoods. Browser-safe.
 *
 * - `none`: the values as they are (a copy).
 * - `threshold`: 1 where v > threshold, else 0 (deterministic).
 * - `static`: one Bernoulli(v) sample per pixel, drawn once with a seeded Rng; the caller keeps
 *   the result for the whole run (the usual "statically binarised MNIST").
 * - `dynamic`: the same sampling, but the caller calls `binarize` again every epoch with that
 *   epoch's Rng, so the model sees fresh samples each time.
 */
import { Rng } from '../math/rng.js';
import { DataError } from './dataset.js';

export const BINARIZE_MODES = ['none', 'threshold', 'static', 'dynamic'] as const;
/** How grey images become 0/1 for a Bernoulli likelihood: none, a threshold (0.5 by default), one seeded sample (static) or a new sample every batch (dynamic). */
export type BinarizeMode = (typeof BINARIZE_MODES)[number];

/** Options of `binarize`. */
export interface BinarizeOptions {
  /** Threshold of the `threshold` mode (default 0.5). */
  threshold?: number;
  /** Random source of the `static` and `dynamic` modes (required for them). */
  rng?: Rng;
}

/** A new Float32Array of 0/1 values (or a copy, for `none`). */
export function binarize(images: Float32Array, mode: BinarizeMode, opts: BinarizeOptions = {}): Float32Array {
  const out = new Float32Array(images.length);
  switch (mode) {
    case 'none':
      out.set(images);
      return out;
    case 'threshold': {
      const t = opts.threshold ?? 0.5;
      for (let i = 0; i < images.length; i++) out[i] = images[i] > t ? 1 : 0;
      return out;
    }
    case 'static':
    case 'dynamic': {
      const rng = opts.rng;
      if (!rng) throw new Error(`binarize: mode '${mode}' needs an rng`);
      // P(1) = v: uniform() is in [0, 1), so v = 0 always gives 0 and v = 1 always gives 1.
      for (let i = 0; i < images.length; i++) out[i] = rng.uniform() < images[i] ? 1 : 0;
      return out;
    }
    default:
      throw new Error(`binarize: unknown mode '${String(mode)}'`);
  }
}

/** Parses a binarisation mode (e.g. a CLI option); anything else throws DataError. */
export function parseBinarizeMode(s: string): BinarizeMode {
  if ((BINARIZE_MODES as readonly string[]).includes(s)) return s as BinarizeMode;
  throw new DataError(`unknown binarisation mode '${s}': expected one of ${BINARIZE_MODES.join(', ')}`);
}
