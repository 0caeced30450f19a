/**
 * A `Dataset` from images a program already holds in memory (a Float32Array and its shape), so the
 * library trains on anyone's data without files. Browser-safe.
 */
import { Rng } from '../math/rng.js';
import { DataError, type Dataset, type ImageSet } from './dataset.js';

/** Options of {@link datasetFromArray}. */
export interface ArrayDatasetOptions {
  /** Share of the images held out for validation (at least one image), chosen at random (seeded); default 0.1. */
  validation?: number;
  /** Seed of the validation choice (default 0). */
  seed?: number;
  /** One class label per image (0–255), kept with its image in either split. */
  labels?: ArrayLike<number>;
  /** Name of the dataset (default 'arrays'). */
  name?: string;
}

/**
 * Wraps `count` images of `height × width × channels` values in [0, 1], stored image after image in
 * NHWC order (row, column, channel), into a `Dataset` with a seeded random validation split. Throws
 * a `UserError` naming the problem when the length does not match the shape or a value is outside
 * [0, 1]. The images are copied, so the caller may reuse its array.
 *
 * @example
 * const data = datasetFromArray(pixels, [1000, 28, 28, 1], { validation: 0.2 });
 */
export function datasetFromArray(
  images: ArrayLike<number>, shape: readonly [count: number, height: number, width: number, channels: number], opts: ArrayDatasetOptions = {},
): Dataset {
  const [count, height, width, channels] = shape;
  for (const [k, v] of Object.entries({ count, height, width, channels })) {
    if (!(Number.isSafeInteger(v) && v > 0)) throw new DataError(`datasetFromArray: ${k} must be a positive integer (got ${String(v)})`);
  }
  const size = height * width * channels;
  if (images.length !== count * size) {
    throw new DataError(`datasetFromArray: ${images.length} values do not make ${count} images of ${height}×${width}×${channels} (${count * size} values)`);
  }
  for (let i = 0; i < images.length; i++) {
    const v = images[i];
    if (!(v >= 0 && v <= 1)) {
      throw new DataError(`datasetFromArray: value ${String(v)} of image ${Math.floor(i / size)} is outside [0, 1] (scale pixels to [0, 1] first)`);
    }
  }
  const share = opts.validation ?? 0.1;
  if (!(share > 0 && share < 1)) throw new DataError(`datasetFromArray: validation must be a share in (0, 1) (got ${share})`);
  if (count < 2) throw new DataError('datasetFromArray: at least 2 images are needed (one for training, one for validation)');
  if (opts.labels && opts.labels.length !== count) throw new DataError(`datasetFromArray: ${opts.labels.length} labels for ${count} images`);
  const nVal = Math.min(count - 1, Math.max(1, Math.round(count * share)));
  const order = new Rng(opts.seed ?? 0).permutation(count);
  const isVal = new Uint8Array(count);
  for (let i = 0; i < nVal; i++) isVal[order[i]] = 1;
  // both splits keep the caller's order
  const pick = (want: number): ImageSet => {
    const idx: number[] = [];
    for (let i = 0; i < count; i++) if (isVal[i] === want) idx.push(i);
    const out = new Float32Array(idx.length * size);
    idx.forEach((src, j) => {
      for (let k = 0; k < size; k++) out[j * size + k] = images[src * size + k];
    });
    const set: ImageSet = { images: out, count: idx.length };
    if (opts.labels) set.labels = Uint8Array.from(idx, (i) => opts.labels![i]);
    return set;
  };
  return { name: opts.name ?? 'arrays', height, width, channels, train: pick(0), validation: pick(1) };
}
