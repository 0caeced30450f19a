/**
 * PNG read/write for Node (pngjs). Images are Float32Array HWC in [0, 1].
 */
import { readFileSync } from 'node:fs';
import pngjs from 'pngjs';
import { DataError } from './dataset.js';
import { fileErrorText, oneLine, writeFileAtomic } from './files.js';

export { writeFileAtomic };

const { PNG } = pngjs;

/** A decoded PNG: its pixels in [0, 1] with the file's channels. */
export interface DecodedImage {
  width: number;
  height: number;
  /** Channels as stored in the file: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA (palettes count as RGB). */
  channels: 1 | 2 | 3 | 4;
  /** height × width × channels values in [0, 1], HWC. 16-bit files are reduced to 8 bits. */
  data: Float32Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
/** Largest image we decode (pixels): 8-bit RGBA plus our float copy is ~20 bytes a pixel. */
export const MAX_PNG_PIXELS = 50_000_000;
/** Deflate cannot compress better than about 1032 : 1 (zlib's technical notes), so a header whose
 *  pixel data could not fit in the file, even compressed at that ratio, is damaged or hostile. */
const MAX_DEFLATE_RATIO = 1032;

/**
 * Checks the signature and IHDR header before anything is allocated: a truncated file or one
 * whose header claims more pixels than the file can hold is refused here, not by running out of memory.
 */
export function checkPngHeader(bytes: Uint8Array, source: string): { width: number; height: number } {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new DataError(`${source}: not a valid PNG file (no PNG signature)`);
  if (bytes.length < 33 || String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]) !== 'IHDR') {
    throw new DataError(`${source}: not a valid PNG file (truncated or missing IHDR header)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16, false);
  const height = view.getUint32(20, false);
  const depth = bytes[24];
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[bytes[25]];
  if (width === 0 || height === 0 || channels === undefined || ![1, 2, 4, 8, 16].includes(depth)) {
    throw new DataError(`${source}: not a valid PNG file (bad IHDR: ${width}×${height}, bit depth ${depth}, colour type ${bytes[25]})`);
  }
  if (width * height > MAX_PNG_PIXELS) throw new DataError(`${source}: ${width}×${height} pixels is too large (at most ${MAX_PNG_PIXELS / 1e6} megapixels)`);
  const raw = height * (1 + Math.ceil((width * channels * depth) / 8));
  if (raw > MAX_DEFLATE_RATIO * bytes.length + 1024) {
    throw new DataError(`${source}: not a valid PNG file (the header claims ${width}×${height} pixels, more than ${bytes.length} bytes can hold: truncated or damaged)`);
  }
  return { width, height };
}

/** Decodes PNG bytes; `source` (a file name) is named in the DataError for invalid data. */
export function decodePng(bytes: Uint8Array, source: string): DecodedImage {
  checkPngHeader(bytes, source);
  let png;
  try {
    const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    png = PNG.sync.read(buffer);
  } catch (err) {
    throw new DataError(`${source}: not a valid PNG file (${oneLine(err)})`);
  }
  const { width, height, data: rgba } = png;
  const channels = ((png.color ? 3 : 1) + (png.alpha ? 1 : 0)) as 1 | 2 | 3 | 4;
  const n = width * height;
  const data = new Float32Array(n * channels);
  // pngjs always hands out 8-bit RGBA; keep only the channels the file has.
  for (let i = 0; i < n; i++) {
    const s = 4 * i, o = channels * i;
    switch (channels) {
      case 1:
        data[o] = rgba[s] / 255;
        break;
      case 2:
        data[o] = rgba[s] / 255;
        data[o + 1] = rgba[s + 3] / 255;
        break;
      case 3:
        data[o] = rgba[s] / 255;
        data[o + 1] = rgba[s + 1] / 255;
        data[o + 2] = rgba[s + 2] / 255;
        break;
      case 4:
        data[o] = rgba[s] / 255;
        data[o + 1] = rgba[s + 1] / 255;
        data[o + 2] = rgba[s + 2] / 255;
        data[o + 3] = rgba[s + 3] / 255;
        break;
    }
  }
  return { width, height, channels, data };
}

/** Reads and decodes a PNG file. Missing or invalid files throw DataError naming the path. */
export function readPng(path: string): DecodedImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new DataError(`${path}: ${fileErrorText(err)}`);
  }
  return decodePng(bytes, path);
}

/**
 * Encodes an HWC image in [0, 1] (values outside are clamped) as an 8-bit PNG: gray for 1 channel,
 * gray + alpha for 2, RGB for 3, RGBA for 4.
 */
export function encodePng(image: Float32Array | ArrayLike<number>, width: number, height: number, channels: 1 | 2 | 3 | 4): Buffer {
  if (!(Number.isInteger(width) && width >= 1 && Number.isInteger(height) && height >= 1)) {
    throw new RangeError(`encodePng: width and height must be positive integers, got ${width}×${height}`);
  }
  const colorType = ({ 1: 0, 2: 4, 3: 2, 4: 6 } as const)[channels];
  if (colorType === undefined) throw new RangeError(`encodePng: channels must be 1, 2, 3 or 4, got ${channels}`);
  const n = width * height * channels;
  if (image.length !== n) throw new RangeError(`encodePng: a ${width}×${height}×${channels} image has ${n} values, got ${image.length}`);
  const bytes = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    const v = image[i];
    // NaN becomes 0.
    bytes[i] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
  }
  const png = new PNG({ width, height, colorType, inputColorType: colorType, inputHasAlpha: channels === 2 || channels === 4 });
  png.data = bytes;
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: channels === 2 || channels === 4 });
}

/** Encodes an HWC image in [0, 1] as PNG and writes it atomically (see writeFileAtomic). */
export function writePngAtomic(path: string, image: Float32Array | ArrayLike<number>, width: number, height: number, channels: 1 | 2 | 3 | 4): void {
  writeFileAtomic(path, encodePng(image, width, height, channels));
}
