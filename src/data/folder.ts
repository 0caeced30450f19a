/**
 * A dataset from a folder of images (Node, decoded and resized by sharp: see image.ts).
 *
 * Two layouts, like torchvision's ImageFolder:
 * - labelled: `DIR/<class>/**` — every sub-folder of DIR that holds images is a class; classes are
 *   numbered 0, 1, … in code-point order of their names (classNames), and a class folder is
 *   searched recursively. Image files directly in DIR are then skipped (and counted).
 * - unlabelled: image files directly in DIR (sub-folders are searched only with `recursive`).
 * Files whose names do not end in an image extension (image.ts) are skipped and counted; so are
 * entries whose names start with '.' (.DS_Store, .ipynb_checkpoints). A file with an image
 * extension that cannot be read or decoded is an error naming the file (a DataError): a damaged
 * dataset is not trained on silently.
 *
 * Files are taken in code-point order of their path relative to DIR and split at random (seeded)
 * into train and validation; both splits keep that order, and `files` names every image's source.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Rng } from '../math/rng.js';
import { DataError, type Dataset, type ImageSet } from './dataset.js';
import { fileErrorText } from './files.js';
import { isImageName, readImageFile, type AlphaBackground, type Fit } from './image.js';

/** Options of `loadImageFolder`. */
export interface ImageFolderOptions {
  /** Output height in pixels (default 32). */
  height?: number;
  /** Output width in pixels (default 32). */
  width?: number;
  /** 1 (gray) or 3 (RGB), default 3. */
  channels?: 1 | 3;
  /** How other aspect ratios are fitted (default 'cover': scale and centre-crop). */
  fit?: Fit;
  /** Fraction of the images (rounded) that go to validation, in [0, 1); default 0.1. */
  validationFraction?: number;
  /** Seed of the split (default 0). */
  seed?: number;
  /** Unlabelled layout: also read images in sub-folders (default false). */
  recursive?: boolean;
  /** Ignore class sub-folders: read DIR as an unlabelled folder even if it has them (default false). */
  noLabels?: boolean;
  /** What transparent pixels are composited over (default 'white'). */
  alphaBackground?: AlphaBackground;
  /** Images decoded at once (default 4). */
  concurrency?: number;
  /** Called after every decoded image. */
  onProgress?: (done: number, total: number) => void;
}

export interface FolderListing {
  /** Image paths relative to DIR, in code-point order. */
  files: string[];
  /** Class per file (labelled layout), indices into classNames. */
  labels?: number[];
  classNames?: string[];
  /** Entries skipped, with the reason. */
  skipped: { notImages: number; hidden: number; topLevelImages: number };
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function checkFolder(dir: string): void {
  let stat;
  try {
    stat = statSync(dir);
  } catch (err) {
    throw new DataError(`${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'folder not found' : fileErrorText(err)}`);
  }
  if (!stat.isDirectory()) throw new DataError(`${dir}: not a folder`);
}

/** Lists a folder's images and classes (see the module comment), without reading any image. */
export function listImageFolder(dir: string, { recursive = false, noLabels = false } = {}): FolderListing {
  checkFolder(dir);
  const skipped = { notImages: 0, hidden: 0, topLevelImages: 0 };
  /** Images under `sub` (relative to dir); sub-folders too when `deep`. */
  const walk = (sub: string, deep: boolean, out: string[]): void => {
    let entries;
    try {
      entries = readdirSync(join(dir, sub), { withFileTypes: true });
    } catch (err) {
      throw new DataError(`${join(dir, sub)}: ${fileErrorText(err)}`);
    }
    for (const e of entries) {
      const rel = sub ? join(sub, e.name) : e.name;
      if (e.name.startsWith('.')) skipped.hidden++;
      else if (e.isDirectory()) {
        if (deep) walk(rel, deep, out);
      } else if (isImageName(e.name)) out.push(rel);
      else skipped.notImages++;
    }
  };

  if (!noLabels) {
    const classDirs = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort(byCodePoint);
    const perClass = classDirs.map((name) => {
      const found: string[] = [];
      walk(name, true, found);
      return { name, found };
    }).filter((c) => c.found.length > 0);
    if (perClass.length > 0) {
      if (perClass.length > 256) throw new DataError(`${dir}: ${perClass.length} class folders; at most 256 classes are supported`);
      // top-level entries: images are skipped (counted), as are other files
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.name.startsWith('.')) skipped.hidden++;
        else if (e.isDirectory()) continue;
        else if (isImageName(e.name)) skipped.topLevelImages++;
        else skipped.notImages++;
      }
      const items = perClass.flatMap((c, label) => c.found.map((file) => ({ file, label })));
      items.sort((a, b) => byCodePoint(a.file, b.file));
      return { files: items.map((i) => i.file), labels: items.map((i) => i.label), classNames: perClass.map((c) => c.name), skipped };
    }
  }
  const files: string[] = [];
  walk('', recursive, files);
  return { files: files.sort(byCodePoint), skipped };
}

function checkInt(name: string, value: number, min: number, max = Infinity): void {
  if (!(Number.isInteger(value) && value >= min && value <= max)) throw new DataError(`${name} must be an integer in ${min}–${max}, got ${value}`);
}

/** One line on what was read and skipped, e.g. "412 images (jpeg 400, png 12) in 2 classes (cat 200, dog 212); skipped 3 files that are not images". */
function summarise(listing: FolderListing, formats: Map<string, number>): string {
  const parts = [`${listing.files.length} images (${[...formats].sort(([a], [b]) => byCodePoint(a, b)).map(([f, n]) => `${f} ${n}`).join(', ')})`];
  if (listing.classNames) {
    const counts = new Array<number>(listing.classNames.length).fill(0);
    for (const l of listing.labels!) counts[l]++;
    const shown = listing.classNames.slice(0, 10).map((c, i) => `${c} ${counts[i]}`).join(', ');
    parts.push(`in ${listing.classNames.length} classes from sub-folders (${shown}${listing.classNames.length > 10 ? ', …' : ''})`);
  }
  const s = listing.skipped;
  const skips = [
    s.notImages ? `${s.notImages} files that are not images` : '',
    s.hidden ? `${s.hidden} hidden entries` : '',
    s.topLevelImages ? `${s.topLevelImages} images outside the class folders` : '',
  ].filter(Boolean);
  return parts.join(' ') + (skips.length ? `; skipped ${skips.join(', ')}` : '');
}

/**
 * Loads a folder of images as a Dataset named `folder:<absolute path>`, with labels and
 * classNames for the labelled layout, and a one-line `summary`.
 */
export async function loadImageFolder(dir: string, opts: ImageFolderOptions = {}): Promise<Dataset & { summary: string }> {
  const height = opts.height ?? 32;
  const width = opts.width ?? 32;
  const channels = opts.channels ?? 3;
  const validationFraction = opts.validationFraction ?? 0.1;
  checkInt('height', height, 1, 4096);
  checkInt('width', width, 1, 4096);
  if (channels !== 1 && channels !== 3) throw new DataError(`channels must be 1 or 3, got ${channels}`);
  if (!(validationFraction >= 0 && validationFraction < 1)) {
    throw new DataError(`validationFraction must be in [0, 1), got ${validationFraction}`);
  }

  const listing = listImageFolder(dir, { recursive: opts.recursive, noLabels: opts.noLabels });
  const { files } = listing;
  if (files.length === 0) {
    const s = listing.skipped;
    throw new DataError(`${dir}: no image files found (PNG, JPEG, WebP, GIF, TIFF, AVIF${opts.recursive ? '' : '; sub-folders are classes only if they hold images'}` +
      `${s.notImages ? `; ${s.notImages} other files skipped` : ''})`);
  }

  const size = height * width * channels;
  const images = new Float32Array(files.length * size);
  const formats = new Map<string, number>();
  let next = 0;
  let done = 0;
  let firstError: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < files.length; i = next++) {
      let decoded;
      try {
        decoded = await readImageFile(join(dir, files[i]), { height, width, channels, fit: opts.fit, background: opts.alphaBackground });
      } catch (err) {
        next = files.length; // the other workers stop at their next file
        firstError ??= { err };
        return;
      }
      const { data, format } = decoded;
      images.set(data, i * size);
      formats.set(format, (formats.get(format) ?? 0) + 1);
      opts.onProgress?.(++done, files.length);
    }
  };
  // the first error stops the other workers and is the one reported
  const workers = Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 4, files.length)) }, worker);
  await Promise.all(workers);
  if (firstError) throw firstError.err;

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
    return {
      images: out, count: idx.length, files: idx.map((i) => files[i]),
      ...(listing.labels && { labels: Uint8Array.from(idx, (i) => listing.labels![i]) }),
    };
  };

  return {
    name: `folder:${resolve(dir)}`,
    height,
    width,
    channels,
    train: pick(0),
    validation: pick(1),
    ...(listing.classNames && { classNames: listing.classNames }),
    summary: summarise(listing, formats),
  };
}
