/**
 * The in-memory dataset type every reader produces and every model consumes.
 *
 * Images are stored as one Float32Array per split in NHWC order (image, row, column, channel),
 * values in [0, 1] — the layout tfjs uses, so a batch becomes a tensor without reordering.
 * Tabular data (csv.ts) uses the same type: one row is a 1 × D × 1 image of standardised values.
 */
import { UserError } from '../errors.js';

/** One split of a dataset: `count` images in one array, with labels or generating parameters when known. */
export interface ImageSet {
  /** count * height * width * channels values in [0, 1], NHWC. */
  images: Float32Array;
  count: number;
  /** Class label per image (MNIST, Fashion-MNIST), when known. */
  labels?: Uint8Array;
  /** Generating parameters per image (faces: [size, hue] pairs, length count * 2). */
  params?: Float32Array;
  /** Source file of every image, relative to the dataset's folder (image folders). */
  files?: string[];
  /** Source row of every example, 0-based data row of the file (tabular data). */
  rows?: number[];
}

/** Images of one shape in train and validation splits (and a test split where the source has one). */
export interface Dataset {
  /** e.g. 'faces', 'mnist', 'fashion-mnist', 'folder:/path'. */
  name: string;
  height: number;
  width: number;
  channels: number;
  train: ImageSet;
  validation: ImageSet;
  /** Held-out test split when the source has one (MNIST, Fashion-MNIST). */
  test?: ImageSet;
  /** Names of the label classes, when there are labels. */
  classNames?: string[];
  /** One line on what was read and skipped (image folders, CSV files), for the CLI to print. */
  summary?: string;
}

/** Number of values in one image. */
export function imageSize(d: Pick<Dataset, 'height' | 'width' | 'channels'>): number {
  return d.height * d.width * d.channels;
}

/** A view (no copy) of images [start, start + n) of a set. */
export function imageSlice(d: Pick<Dataset, 'height' | 'width' | 'channels'>, set: ImageSet, start: number, n: number): Float32Array {
  const size = imageSize(d);
  return set.images.subarray(start * size, (start + n) * size);
}

/** Error for bad input data (a file, a folder, an option): the CLI prints its message, exit 2. */
export class DataError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}
