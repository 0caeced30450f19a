/**
 * PNG writing for Node (pngjs). Images are Float32Array HWC in [0, 1]. Reading images (PNG and
 * every other format) goes through sharp: image.ts.
 */
import pngjs from 'pngjs';
import { writeFileAtomic } from './files.js';

export { writeFileAtomic };

const { PNG } = pngjs;

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
