/**
 * A dataset from a folder of PNG images (Node).
 *
 * Every `.png` file (case-insensitive; other files are ignored) is decoded, converted to the
 * requested channels (alpha composited over white by default, see resize.ts), resized to
 * height × width (stretched, area-averaged when shrinking) and split at random (seeded) into
 * train and validation. Files are taken in code-point order of their path relative to `dir`,
 * and both splits keep that order; `files` names the source of every image.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Rng } from '../math/rng.js';
import { DataError, type Dataset, type ImageSet } from './dataset.js';
import { fileErrorText } from './files.js';
import { readPng } from './png.js';
import { convertChannels, resizeImage, type AlphaBackground } from './resize.js';

/** Options of `loadImageFolder`. */
export interface ImageFolderOptions {
  /** Output height in pixels (default 32). */
  height?: number;
  /** Output width in pixels (default 32). */
  width?: number;
  /** 1 (gray) or 3 (RGB), default 3. */
  channels?: 1 | 3;
  /** Fraction of the images (rounded) that go to validation, in [0, 1); default 0.1. */
  validationFraction?: number;
  /** Seed of the split (default 0). */
  seed?: number;
  /** Also read PNG files in sub-folders (default false). */
  recursive?: boolean;
  /** What transparent pixels are composited over (default 'white'). */
  alphaBackground?: AlphaBackground;
}

/** Paths (relative to `dir`) of the PNG files in `dir`, in code-point order. */
export function listPngFiles(dir: string, recursive = false): string[] {
  let stat;
  try {
    stat = statSync(dir);
  } catch (err) {
    throw new DataError(`${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'folder not found' : fileErrorText(err)}`);
  }
  if (!stat.isDirectory()) throw new DataError(`${dir}: not a folder`);
  const found: string[] = [];
  const walk = (sub: string) => {
    const entries = readdirSync(join(dir, sub), { withFileTypes: true });
    for (const e of entries) {
      const rel = sub ? join(sub, e.name) : e.name;
      if (e.isDirectory()) {
        if (recursive) walk(rel);
      } else if (e.name.toLowerCase().endsWith('.png')) {
        found.push(rel);
      }
    }
  };
  walk('');
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function checkInt(name: string, value: number, min: number): void {
  if (!(Number.isInteger(value) && value >= min)) throw new DataError(`${name} must be an integer ≥ ${min}, got ${value}`);
}

/** Loads a folder of PNG images as a Dataset named `folder:<absolute path>`. */
export function loadImageFolder(dir: string, opts: ImageFolderOptions = {}): Dataset {
  const height = opts.height ?? 32;
  const width = opts.width ?? 32;
  const channels = opts.channels ?? 3;
  const validationFraction = opts.validationFraction ?? 0.1;
  checkInt('height', height, 1);
  checkInt('width', width, 1);
  if (channels !== 1 && channels !== 3) throw new DataError(`channels must be 1 or 3, got ${channels}`);
  if (!(validationFraction >= 0 && validationFraction < 1)) {
    throw new DataError(`validationFraction must be in [0, 1), got ${validationFraction}`);
  }

  const files = listPngFiles(dir, opts.recursive ?? false);
  if (files.length === 0) {
    throw new DataError(`${dir}: no .png files found${opts.recursive ? '' : ' (sub-folders are not searched)'}`);
  }

  const size = height * width * channels;
  const images = new Float32Array(files.length * size);
  files.forEach((file, i) => {
    const png = readPng(join(dir, file));
    const converted = convertChannels(png.data, png.width * png.height, png.channels, channels, opts.alphaBackground ?? 'white');
    images.set(resizeImage(converted, png.height, png.width, channels, height, width), i * size);
  });

  // Seeded split: the first nVal of a permutation go to validation; each split keeps file order.
  const n = files.length;
  const nVal = Math.round(n * validationFraction);
  const perm = new Rng(opts.seed ?? 0).permutation(n);
  const isVal = new Uint8Array(n);
  for (let i = 0; i < nVal; i++) isVal[perm[i]] = 1;
  const pick = (want: number): ImageSet => {
    const idx: number[] = [];
    for (let i = 0; i < n; i++) if (isVal[i] === want) idx.push(i);
    const out = new Float32Array(idx.length * size);
    idx.forEach((src, k) => out.set(images.subarray(src * size, (src + 1) * size), k * size));
    return { images: out, count: idx.length, files: idx.map((i) => files[i]) };
  };

  const absolute = resolve(dir);
  return {
    name: `folder:${absolute}`,
    height,
    width,
    channels,
    train: pick(0),
    validation: pick(1),
  };
}

