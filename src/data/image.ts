/**
 * Reading one image file into a model-ready HWC Float32Array (Node, sharp).
 *
 * sharp (libvips) decodes PNG, JPEG, WebP, GIF (first frame), TIFF (first page) and AVIF, applies
 * the EXIF orientation, composites any alpha channel over a background, resizes with its Lanczos-3
 * filter (JPEG and WebP are shrunk while they are decoded) and converts to 8-bit sRGB or gray
 * (libvips' luminance). Safety: the file must be a regular file of at most MAX_IMAGE_BYTES
 * (readRegularFile: FIFOs, devices and oversize files are refused before anything is read), and a
 * header claiming more than MAX_IMAGE_PIXELS pixels is refused before the pixels are decoded.
 */
import sharp, { type Metadata } from 'sharp';
import { DataError } from './dataset.js';
import { oneLine, readRegularFile } from './files.js';

/** Largest image file read (bytes). */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;
/** Largest image decoded (pixels, from the header): 100 megapixels, e.g. 10000×10000. */
export const MAX_IMAGE_PIXELS = 100_000_000;

/** File name endings read as images (lower case); other files in a folder are skipped. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif'] as const;

/** Formats decoded (sharp's names; AVIF is 'heif'). Others sharp knows (SVG, PDF, …) are refused. */
const FORMATS = new Set(['png', 'jpeg', 'webp', 'gif', 'tiff', 'heif']);

/** How an image of another aspect ratio becomes height × width. */
export const FITS = ['cover', 'contain', 'fill'] as const;
/**
 * - cover: scaled so it covers the output, the overflow cropped equally on both sides (centre crop);
 * - contain: scaled to fit inside, the rest filled with the background (letterbox);
 * - fill: stretched to the output size (aspect ratio not kept).
 */
export type Fit = (typeof FITS)[number];

/** What transparent pixels are composited over (and what `contain` pads with). */
export type AlphaBackground = 'black' | 'white';

export interface ImageReadOptions {
  height: number;
  width: number;
  channels: 1 | 3;
  /** Default 'cover'. */
  fit?: Fit;
  /** Default 'white'. */
  background?: AlphaBackground;
}

/** Whether a file name ends in one of IMAGE_EXTENSIONS (case-insensitive). */
export function isImageName(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((e) => lower.endsWith(e));
}

/**
 * Decodes image bytes to height × width × channels values in [0, 1] (HWC). `source` (a file name)
 * is named in the DataError for data sharp cannot decode, is truncated, or is too large.
 * Returns the decoded image's format too (png, jpeg, webp, gif, tiff, heif).
 */
export async function decodeImage(bytes: Uint8Array, source: string, o: ImageReadOptions): Promise<{ data: Float32Array; format: string }> {
  const background = o.background === 'black' ? { r: 0, g: 0, b: 0 } : { r: 255, g: 255, b: 255 };
  let meta: Metadata;
  try {
    // the header only: no pixels are decoded here
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new DataError(`${source}: not an image sharp can read (${oneLine(err).replace(/:$/, '')})`);
  }
  if (!FORMATS.has(meta.format ?? '')) {
    throw new DataError(`${source}: a ${meta.format ?? 'unknown'} file, not one of the image formats read (PNG, JPEG, WebP, GIF, TIFF, AVIF)`);
  }
  const { width = 0, height = 0 } = meta;
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new DataError(`${source}: ${width}×${height} pixels is too large (at most ${MAX_IMAGE_PIXELS / 1e6} megapixels)`);
  }
  try {
    let pipeline = sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, sequentialRead: true, failOn: 'warning' })
      .rotate() // EXIF orientation
      .flatten({ background })
      .resize(o.width, o.height, { fit: o.fit ?? 'cover', position: 'centre', background, kernel: 'lanczos3' });
    pipeline = o.channels === 1 ? pipeline.grayscale() : pipeline.toColourspace('srgb');
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.width !== o.width || info.height !== o.height || info.channels !== o.channels || data.length !== o.width * o.height * o.channels) {
      throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, expected ${o.width}×${o.height}×${o.channels}`);
    }
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i] / 255;
    return { data: out, format: meta.format ?? 'unknown' };
  } catch (err) {
    throw new DataError(`${source}: cannot decode the image (${oneLine(err)})`);
  }
}

/** Reads (regular files only, at most MAX_IMAGE_BYTES) and decodes one image file. */
export async function readImageFile(path: string, o: ImageReadOptions, what = path): Promise<{ data: Float32Array; format: string }> {
  const bytes = readRegularFile(path, MAX_IMAGE_BYTES, what);
  if (bytes.length === 0) throw new DataError(`${what}: empty file`);
  return decodeImage(bytes, what, o);
}
