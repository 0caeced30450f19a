/**
 * Active latent units (Burda, Grosse & Salakhutdinov 2015, "Importance Weighted Autoencoders",
 * section 5.2): a latent dimension u is active when
 *
 *   A_u = Cov_x( E_{u ~ q(u|x)}[u] ) > 10⁻²,
 *
 * i.e. when the encoder mean of that dimension varies across the data. An inactive unit has
 * collapsed to (nearly) the same posterior for every x, so the decoder cannot use it.
 */
import type { Vae } from '../models/vae.js';
import { encodeImages } from './generate.js';

/** Burda et al.'s threshold on the variance of the encoder mean. */
export const ACTIVE_UNIT_THRESHOLD = 0.01;

/** Result of `activeUnitsOf`: per latent dimension the variance of the encoder mean, and which dimensions are active. */
export interface ActiveUnits {
  /** Per latent dimension: the variance over examples of the encoder mean (population variance, 1/n). */
  variances: Float64Array;
  /** Dimensions whose variance exceeds the threshold, ascending. */
  active: number[];
  threshold: number;
}

/**
 * Active units from encoder means: `mu` holds n rows of d values (row-major). Variances are
 * accumulated in doubles with a two-pass mean / squared deviation.
 */
export function activeUnits(mu: Float32Array, n: number, d: number, threshold = ACTIVE_UNIT_THRESHOLD): ActiveUnits {
  if (mu.length !== n * d) throw new Error(`activeUnits: expected ${n}×${d} = ${n * d} values, got ${mu.length}`);
  if (n < 1) throw new Error('activeUnits: needs at least one example');
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += mu[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const variances = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const dev = mu[i * d + j] - mean[j];
      variances[j] += dev * dev;
    }
  }
  const active: number[] = [];
  for (let j = 0; j < d; j++) {
    variances[j] /= n;
    if (variances[j] > threshold) active.push(j);
  }
  return { variances, active, threshold };
}

/** Encodes n images (NHWC, model-ready) and counts the active units of the encoder means. */
export function activeUnitsOf(vae: Vae, images: Float32Array, n: number, threshold = ACTIVE_UNIT_THRESHOLD): ActiveUnits {
  return activeUnits(encodeImages(vae, images, n).mu, n, vae.config.latent, threshold);
}
