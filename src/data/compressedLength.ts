/**
 * L(x) for the input-complexity score (src/analysis/ood.ts): the length in bits of each image
 * losslessly compressed by sharp, 8-bit quantised as it would be saved, gray for one channel, RGB
 * for three. Two compressors, one function each:
 *
 * - png: libspng/zlib at maximum compression (compressionLevel 9, adaptive row filtering, no
 *   palette quantisation).
 * - webp: lossless WebP (libwebp, effort 6 = its slowest, smallest setting).
 *   WebP has no gray mode, so a one-channel image is coded as RGB with three equal channels
 *   (its colour transforms make the copies nearly free). 42-46% shorter codes than PNG on
 *   MNIST/Fashion-MNIST, and Serrà et al. 2020 found that the better the compressor, the better
 *   the complexity score; the README's tables measure both.
 *
 * Every container adds a constant (PNG: signature, IHDR, IEND; WebP: RIFF and VP8L headers) to
 * every image of a shape, which shifts every score equally and so changes no ranking. Node only.
 */
import sharp, { type Sharp, type WebpOptions } from 'sharp';

export const COMPRESSORS = ['png', 'webp'] as const;
export type Compressor = (typeof COMPRESSORS)[number];

type Encode = (img: Sharp) => Promise<Buffer>;

/** Quantises each image to 8 bits, hands it to `encode` (64 in flight at once) and returns the bits. */
async function codeLengths(name: string, encode: Encode, images: Float32Array, n: number, shape: [number, number, number], onProgress?: (done: number) => void): Promise<Float64Array> {
  const [h, w, c] = shape;
  if (c !== 1 && c !== 3) throw new Error(`${name}: images must have 1 or 3 channels, got ${c}`);
  const size = h * w * c;
  const bits = new Float64Array(n);
  const one = async (i: number): Promise<void> => {
    const raw = Buffer.alloc(size);
    for (let j = 0; j < size; j++) {
      const v = images[i * size + j];
      raw[j] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
    }
    let img = sharp(raw, { raw: { width: w, height: h, channels: c } });
    if (c === 1) img = img.toColourspace('b-w');
    bits[i] = (await encode(img)).length * 8;
  };
  const chunk = 64; // images in flight at once (sharp's thread pool works through them)
  for (let s = 0; s < n; s += chunk) {
    await Promise.all(Array.from({ length: Math.min(chunk, n - s) }, (_, k) => one(s + k)));
    onProgress?.(Math.min(n, s + chunk));
  }
  return bits;
}

/** Bits of the PNG of each of n HWC images in [0, 1]. */
export function pngBits(images: Float32Array, n: number, shape: [number, number, number], onProgress?: (done: number) => void): Promise<Float64Array> {
  return codeLengths('pngBits', (img) => img.png({ compressionLevel: 9, adaptiveFiltering: true, palette: false }).toBuffer(), images, n, shape, onProgress);
}

/** The lossless WebP options of webpBits (exported for the round-trip test). */
export const WEBP_OPTIONS: WebpOptions = { lossless: true, effort: 6 };

/** Bits of the lossless WebP of each of n HWC images in [0, 1]. */
export function webpBits(images: Float32Array, n: number, shape: [number, number, number], onProgress?: (done: number) => void): Promise<Float64Array> {
  return codeLengths('webpBits', (img) => img.webp(WEBP_OPTIONS).toBuffer(), images, n, shape, onProgress);
}

/** L(x) in bits under `compressor`. */
export function compressedBits(compressor: Compressor, images: Float32Array, n: number, shape: [number, number, number], onProgress?: (done: number) => void): Promise<Float64Array> {
  return (compressor === 'webp' ? webpBits : pngBits)(images, n, shape, onProgress);
}
