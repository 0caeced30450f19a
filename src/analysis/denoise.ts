/**
 * Denoising with a VAE (seed 004): corrupt clean images with seeded noise, encode the noisy ones,
 * decode the encoder means; compare noisy and denoised with the clean images by PSNR.
 */
import { corrupt, type Corruption } from '../math/corrupt.js';
import { Rng } from '../math/rng.js';
import type { Vae } from '../models/vae.js';
import { reconstructImages } from './generate.js';

/** Mean squared error of two equally long arrays. */
export function mse(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length || a.length === 0) throw new Error(`mse: lengths ${a.length} and ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

/** Peak signal-to-noise ratio in dB: 10·log10(peak² / MSE); +∞ for identical images. */
export function psnr(a: Float32Array, b: Float32Array, peak = 1): number {
  return 10 * Math.log10((peak * peak) / mse(a, b));
}

export interface DenoiseResult {
  noisy: Float32Array;
  denoised: Float32Array;
  /** Per image: PSNR of the noisy and the denoised image against the clean one, dB. */
  psnrNoisy: number[];
  psnrDenoised: number[];
}

/** Corrupts `n` clean images (seeded), and decodes the encoder means of the noisy ones. */
export function denoiseImages(vae: Vae, clean: Float32Array, n: number, noise: Corruption, seed: number): DenoiseResult {
  const [, , c] = vae.imageShape;
  const size = clean.length / n;
  const noisy = corrupt(clean, noise, new Rng(seed), c);
  const denoised = reconstructImages(vae, noisy, n);
  const per = (imgs: Float32Array): number[] =>
    Array.from({ length: n }, (_, i) => psnr(imgs.subarray(i * size, (i + 1) * size), clean.subarray(i * size, (i + 1) * size)));
  return { noisy, denoised, psnrNoisy: per(noisy), psnrDenoised: per(denoised) };
}
