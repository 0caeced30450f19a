/**
 * One entry point for every dataset (Node). A run stores its DatasetSpec in run.json, so
 * evaluation and encoding reload exactly the data the run was trained on.
 */
import { DataError, type Dataset, type ImageSet } from './dataset.js';
import { loadCsv, type FeatureTransform } from './csv.js';
import { generateFaces } from './faces.js';
import { loadImageFolder } from './folder.js';
import type { Fit } from './image.js';
import { loadFashionMnist, loadMnist } from './mnist.js';

/** The datasets `loadDataset` reads. */
export const DATASET_NAMES = ['faces', 'mnist', 'fashion-mnist', 'folder', 'csv'] as const;
/** One of `DATASET_NAMES`. */
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Which dataset and which part of it (stored in run.json, so a run can reload its data). */
export interface DatasetSpec {
  name: DatasetName;
  /** Seed of the data (faces: the parameters; folder: the split). Default 0. */
  seed?: number;
  /** folder: the folder (required); csv: the file (required); mnist / fashion-mnist: a folder of IDX files instead of the default. */
  path?: string;
  /** At most this many training images (the first ones). */
  trainLimit?: number;
  /** At most this many test images (MNIST, Fashion-MNIST). */
  testLimit?: number;
  /**
   * Validation split: for mnist / fashion-mnist the number of images taken from the end of the
   * training set; for folder and csv the fraction of images (rows) in [0, 1). faces always uses the held-out
   * parameter rectangle of seed 000.
   */
  validation?: number;
  /** folder: output size and channels (default 32 × 32 × 3). */
  height?: number;
  width?: number;
  channels?: 1 | 3;
  /**
   * folder: how other aspect ratios become height × width. `vae train` records it (default cover:
   * scale, centre-crop); a spec without it means fill (stretch), how runs were made before --fit.
   */
  fit?: Fit;
  /** folder, csv: the class names found when the run was trained (labels are indices into them). */
  classNames?: string[];
  /** csv: the column holding each row's class. */
  labelColumn?: string;
  /** csv: numeric columns that are not features (an id, a timestamp). */
  ignoreColumns?: string[];
  /** csv: the standardisation fitted on the training rows (columns, mean, std), applied unchanged later. */
  features?: FeatureTransform;
  /**
   * Labels left out of the train and validation splits (e.g. [3]: train without the digit 3, for
   * anomaly detection); the test split keeps every label. trainLimit counts images before exclusion.
   */
  excludeLabels?: number[];
}

/** Parses a dataset name; anything else throws a DataError listing the valid names. */
export function parseDatasetName(s: string): DatasetName {
  if ((DATASET_NAMES as readonly string[]).includes(s)) return s as DatasetName;
  throw new DataError(`unknown dataset '${s}': expected one of ${DATASET_NAMES.join(', ')}`);
}

export interface LoadOptions {
  /** Progress of long loads (image folders): called after every decoded image. */
  onProgress?: (done: number, total: number) => void;
}

/** Loads the dataset a spec describes. */
export async function loadDataset(spec: DatasetSpec, opts: LoadOptions = {}): Promise<Dataset> {
  const d = await loadDatasetUnfiltered(spec, opts);
  return spec.excludeLabels && spec.excludeLabels.length > 0 ? excludeLabels(d, spec.excludeLabels) : d;
}

/**
 * Drops every image whose label is in `labels` from the train and validation splits (the test
 * split is kept whole). A dataset without labels, or a label that does not exist, is a DataError.
 */
export function excludeLabels(d: Dataset, labels: readonly number[]): Dataset {
  const classes = d.classNames?.length ?? 0;
  if (!d.train.labels || classes === 0) throw new DataError(`dataset ${d.name} has no labels to exclude`);
  for (const l of labels) {
    if (!(Number.isInteger(l) && l >= 0 && l < classes)) throw new DataError(`excluded label ${l} is not one of the labels 0–${classes - 1} of ${d.name}`);
  }
  const drop = new Set(labels);
  const size = d.height * d.width * d.channels;
  const keep = (set: ImageSet): ImageSet => {
    if (!set.labels) return set;
    const idx: number[] = [];
    for (let i = 0; i < set.count; i++) if (!drop.has(set.labels[i])) idx.push(i);
    const images = new Float32Array(idx.length * size);
    idx.forEach((src, j) => images.set(set.images.subarray(src * size, (src + 1) * size), j * size));
    return {
      images, count: idx.length, labels: Uint8Array.from(idx, (i) => set.labels![i]),
      ...(set.params && { params: Float32Array.from(idx.flatMap((i) => [set.params![2 * i], set.params![2 * i + 1]])) }),
      ...(set.files && { files: idx.map((i) => set.files![i]) }),
      ...(set.rows && { rows: idx.map((i) => set.rows![i]) }),
    };
  };
  const train = keep(d.train);
  if (train.count === 0) throw new DataError(`excluding labels ${labels.join(',')} leaves no training images`);
  return { ...d, train, validation: keep(d.validation) };
}

async function loadDatasetUnfiltered(spec: DatasetSpec, opts: LoadOptions): Promise<Dataset> {
  const name = parseDatasetName(spec.name);
  if (spec.trainLimit !== undefined && !(Number.isInteger(spec.trainLimit) && spec.trainLimit >= 1)) {
    throw new DataError(`trainLimit must be an integer ≥ 1, got ${spec.trainLimit}`);
  }
  switch (name) {
    case 'faces':
      return limitTrain(generateFaces({ seed: spec.seed ?? 0 }), spec.trainLimit);
    case 'mnist':
      return loadMnist({ trainLimit: spec.trainLimit, testLimit: spec.testLimit, dir: spec.path, validation: spec.validation });
    case 'fashion-mnist':
      return loadFashionMnist({ trainLimit: spec.trainLimit, testLimit: spec.testLimit, dir: spec.path, validation: spec.validation });
    case 'folder': {
      if (!spec.path) throw new DataError(`dataset 'folder' needs a path to a folder of images`);
      const d = await loadImageFolder(spec.path, {
        height: spec.height, width: spec.width, channels: spec.channels, fit: specFit(spec), seed: spec.seed ?? 0, validationFraction: spec.validation,
        onProgress: opts.onProgress,
      });
      if (spec.classNames && !sameList(spec.classNames, d.classNames ?? [])) {
        throw new DataError(`${spec.path}: its class folders (${(d.classNames ?? []).join(', ') || 'none'}) are not the ones the run was trained on (${spec.classNames.join(', ')})`);
      }
      return limitTrain(d, spec.trainLimit);
    }
    case 'csv': {
      if (!spec.path) throw new DataError(`dataset 'csv' needs a path to a CSV file`);
      const d = loadCsv(spec.path, {
        labelColumn: spec.labelColumn, ignoreColumns: spec.ignoreColumns, seed: spec.seed ?? 0, validationFraction: spec.validation, transform: spec.features, classNames: spec.classNames,
      });
      return limitTrain(d, spec.trainLimit);
    }
  }
}

/** The fit a spec's images are made with (see DatasetSpec.fit). */
export function specFit(spec: Pick<DatasetSpec, 'fit'>): Fit {
  return spec.fit ?? 'fill';
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Keeps the first `limit` training images (all when undefined). */
function limitTrain(d: Dataset, limit: number | undefined): Dataset {
  if (limit === undefined || limit >= d.train.count) return d;
  const size = d.height * d.width * d.channels;
  const t = d.train;
  const train: ImageSet = {
    images: t.images.slice(0, limit * size),
    count: limit,
    ...(t.labels && { labels: t.labels.slice(0, limit) }),
    ...(t.params && { params: t.params.slice(0, limit * 2) }),
    ...(t.files && { files: t.files.slice(0, limit) }),
    ...(t.rows && { rows: t.rows.slice(0, limit) }),
  };
  return { ...d, train };
}
