/**
 * The images a whole-set command works on (anomaly, search, fewlabels): a split of the run's
 * dataset, another dataset of the same image shape, a folder of images, or (tabular runs) a CSV
 * file with the run's columns and standardisation, prepared exactly as the
 * run's evaluation prepares its data (binarised once with the run's fixed evaluation seed when the
 * run binarises).
 */
import * as fs from 'node:fs';
import { UserError } from '../errors.js';
import type { ImageSet } from '../data/dataset.js';
import { loadCsv } from '../data/csv.js';
import { loadImageFolder } from '../data/folder.js';
import { loadDataset, specFit, type DatasetSpec } from '../data/load.js';
import type { RunJson } from '../train/run.js';
import { prepareEvalImages } from '../train/trainer.js';
import { encodeImages } from '../analysis/generate.js';
import type { Vae } from '../models/vae.js';
import { progressBar } from './progress.js';
import { loadingProgress } from './dataProgress.js';

export type SplitName = 'train' | 'validation' | 'test';

export interface SplitImages {
  /** What was loaded, e.g. 'mnist test' or 'folder:/abs/path'. */
  source: string;
  count: number;
  /** Model-ready images (NHWC), count of them. */
  images: Float32Array;
  labels?: Uint8Array;
  files?: string[];
  /** Source rows (tabular data), 0-based data rows of the CSV file. */
  rows?: number[];
  classNames?: string[];
}

/**
 * `data`: undefined (the run's dataset), a dataset name (mnist, fashion-mnist, faces), a folder
 * of images (resized to the model's size, fitted as the run's were; class sub-folders give
 * labels), or for a CSV run a CSV file (the run's feature columns and standardisation, its label
 * column if present). `split`: for datasets, default test if there is one, else validation; a
 * folder or file is taken whole. `limit`: the first N images.
 */
export async function loadImagesFor(run: RunJson, { data, split, limit }: { data?: string; split?: SplitName; limit?: number } = {}): Promise<SplitImages> {
  const [h, w, c] = [run.model.height, run.model.width, run.model.channels];
  let set: ImageSet;
  let source: string;
  let classNames: string[] | undefined;
  if (data !== undefined && run.dataset.name === 'csv') {
    if (split) throw new UserError('--split does not apply to a CSV file (all its rows are used)');
    const d = loadCsv(data, { labelColumn: run.dataset.labelColumn, transform: run.dataset.features, classNames: run.dataset.classNames, validationFraction: 0 });
    set = d.train;
    source = d.name;
    classNames = d.classNames;
  } else if (data !== undefined && !['mnist', 'fashion-mnist', 'faces'].includes(data)) {
    if (!fs.existsSync(data) || !fs.statSync(data).isDirectory()) {
      throw new UserError(`--data ${data}: not a folder of images nor one of mnist, fashion-mnist, faces`);
    }
    if (split) throw new UserError('--split does not apply to a folder (all its images are used)');
    const p = loadingProgress('reading images');
    const d = await loadImageFolder(data, { height: h, width: w, channels: c as 1 | 3, fit: specFit(run.dataset), validationFraction: 0, onProgress: p.onProgress })
      .finally(p.stop);
    set = d.train;
    source = d.name;
    classNames = d.classNames;
  } else {
    const spec: DatasetSpec = data === undefined ? run.dataset : { name: data as DatasetSpec['name'] };
    const wanted = split ?? 'test';
    // only the first `limit` test images are converted (the spec's testLimit)
    const p = loadingProgress('reading images');
    const d = await loadDataset(wanted === 'test' && limit !== undefined ? { ...spec, testLimit: limit } : spec, { onProgress: p.onProgress }).finally(p.stop);
    if (d.height !== h || d.width !== w || d.channels !== c) {
      throw new UserError(`dataset ${d.name} has ${d.channels}×${d.height}×${d.width} images; the model takes ${c}×${h}×${w}`);
    }
    const name: SplitName = split ?? (d.test ? 'test' : 'validation');
    const s = name === 'test' ? d.test : name === 'train' ? d.train : d.validation;
    if (!s) throw new UserError(`dataset ${d.name} has no ${name} split (use --split validation)`);
    set = s;
    source = `${d.name} ${name}`;
    classNames = d.classNames;
  }
  const count = Math.min(limit ?? set.count, set.count);
  const size = h * w * c;
  const limited: ImageSet = {
    images: set.images.subarray(0, count * size), count,
    ...(set.labels && { labels: set.labels.subarray(0, count) }),
    ...(set.files && { files: set.files.slice(0, count) }),
    ...(set.rows && { rows: set.rows.slice(0, count) }),
  };
  const images = prepareEvalImages(limited, run.training.binarize, run.training.seed);
  return {
    source, count, images, ...(limited.labels && { labels: limited.labels }), ...(limited.files && { files: limited.files }),
    ...(limited.rows && { rows: limited.rows }), ...(classNames && { classNames }),
  };
}

/** Encoder means of n images, in chunks, with a progress bar on stderr (none when `quiet`). */
export function encodeMeans(vae: Vae, images: Float32Array, n: number, label: string, quiet = false): Float32Array {
  const size = vae.imageShape.reduce((a, b) => a * b, 1);
  const d = vae.config.latent;
  const mu = new Float32Array(n * d);
  const chunk = 4096;
  const bar = quiet || n <= chunk ? null : progressBar(label, n);
  for (let s = 0; s < n; s += chunk) {
    const b = Math.min(chunk, n - s);
    mu.set(encodeImages(vae, images.subarray(s * size, (s + b) * size), b).mu, s * d);
    bar?.update(s + b);
  }
  bar?.stop();
  return mu;
}
