/**
 * Tabular data from a CSV file (Node; parsed by csv-parse).
 *
 * - The first row is the header (column names, unique, non-empty).
 * - Features: every numeric column (its first non-missing cell decides; the label column and
 *   `ignoreColumns` are never features). Text columns are ignored and listed in the summary. A non-numeric cell in a numeric
 *   column is a one-line DataError naming the row and the column.
 * - Missing cells ('' , NA, N/A, NaN, null, case-insensitive) in a feature or the label column:
 *   the row is dropped, and the count is in the summary (scores are reported per source row, so
 *   dropped rows are simply absent).
 * - Labels (`labelColumn`, optional): any values; classes are the distinct values in code-point
 *   order (numerically when every value is a number).
 * - Standardisation: every feature becomes (x − mean) / std with mean and std (population) of the
 *   training split; a constant column keeps std 1. The transform is returned (`features`) so a run
 *   stores it and applies it unchanged to its own or new data.
 * - Shape: a row is a 1 × D × 1 "image" (height 1, width D, channels 1) of standardised values
 *   (not in [0, 1]); train and validation are a seeded random split (default 10% validation).
 */
import { resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { Rng } from '../math/rng.js';
import { DataError, type Dataset, type ImageSet } from './dataset.js';
import { oneLine, readRegularFile } from './files.js';

/** Largest CSV read (bytes). */
export const MAX_CSV_BYTES = 256 * 1024 * 1024;

/** The standardisation a run stores: feature column names, their training means and stds. */
export interface FeatureTransform {
  columns: string[];
  mean: number[];
  std: number[];
}

export interface CsvOptions {
  /** Column holding the class of each row (optional). */
  labelColumn?: string;
  /** Numeric columns that are not features (an id, a timestamp). */
  ignoreColumns?: string[];
  /** Fraction of the rows (rounded) that go to validation, in [0, 1); default 0.1. */
  validationFraction?: number;
  /** Seed of the split (default 0). */
  seed?: number;
  /** Apply this transform (a run's) instead of fitting one: these columns, this mean and std. */
  transform?: FeatureTransform;
  /** Class names to keep (a run's), so labels keep their numbers; new values are appended. */
  classNames?: string[];
}

export interface CsvDataset extends Dataset {
  summary: string;
  features: FeatureTransform;
  labelColumn?: string;
}

const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null']);
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const isMissing = (s: string): boolean => MISSING.has(s.trim().toLowerCase());
const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Parses a CSV file's text into header and rows (csv-parse errors become one-line DataErrors). */
function parseCsv(text: string, source: string): { header: string[]; rows: string[][] } {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: false }) as string[][];
  } catch (err) {
    throw new DataError(`${source}: not a valid CSV file (${oneLine(err)})`);
  }
  if (records.length === 0) throw new DataError(`${source}: empty CSV file (a header row is needed)`);
  const [header, ...rows] = records;
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === '') throw new DataError(`${source}: column ${i + 1} of the header has no name`);
    if (seen.has(name)) throw new DataError(`${source}: the header names column '${name}' twice`);
    seen.add(name);
  });
  if (rows.length === 0) throw new DataError(`${source}: no data rows after the header`);
  return { header, rows };
}

/** Loads a CSV file as a tabular Dataset (see the module comment). */
export function loadCsv(path: string, opts: CsvOptions = {}): CsvDataset {
  const validationFraction = opts.validationFraction ?? 0.1;
  if (!(validationFraction >= 0 && validationFraction < 1)) throw new DataError(`validationFraction must be in [0, 1), got ${validationFraction}`);
  const text = readRegularFile(path, MAX_CSV_BYTES, path).toString('utf8');
  const { header, rows } = parseCsv(text, path);
  const col = new Map(header.map((name, i) => [name, i]));
  // data row r (0-based) is line r + 2 of the file when no cell holds a line break
  const where = (r: number, name: string): string => `${path}: row ${r} (line ${r + 2}), column '${name}'`;

  const labelColumn = opts.labelColumn;
  if (labelColumn !== undefined && !col.has(labelColumn)) {
    if (!opts.transform) throw new DataError(`${path}: no column '${labelColumn}' for --label-column (columns: ${header.join(', ')})`);
  }
  const labelIdx = labelColumn !== undefined ? col.get(labelColumn) : undefined;
  const unknown = (opts.ignoreColumns ?? []).filter((c) => !col.has(c));
  if (unknown.length && !opts.transform) throw new DataError(`${path}: no column ${unknown.map((c) => `'${c}'`).join(', ')} to ignore (columns: ${header.join(', ')})`);
  const skip = new Set(opts.ignoreColumns ?? []);

  // feature columns: the run's, or every column whose first non-missing cell is a number
  let featureNames: string[];
  const ignored: string[] = [];
  if (opts.transform) {
    const missing = opts.transform.columns.filter((c) => !col.has(c));
    if (missing.length) throw new DataError(`${path}: no column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `'${c}'`).join(', ')} (the run was trained on ${opts.transform.columns.join(', ')})`);
    featureNames = opts.transform.columns;
  } else {
    featureNames = [];
    header.forEach((name, j) => {
      if (j === labelIdx) return;
      if (skip.has(name)) return void ignored.push(name);
      const first = rows.find((r) => !isMissing(r[j]));
      if (first === undefined || NUMBER.test(first[j])) featureNames.push(name);
      else ignored.push(name);
    });
    if (featureNames.length === 0) throw new DataError(`${path}: no numeric columns to use as features (columns: ${header.join(', ')})`);
  }
  const featureIdx = featureNames.map((n) => col.get(n)!);
  const D = featureNames.length;

  // rows → values; rows with a missing feature or label are dropped
  const kept: number[] = [];
  const values: number[] = [];
  const labelText: string[] = [];
  rows.forEach((row, r) => {
    if (featureIdx.some((j) => isMissing(row[j])) || (labelIdx !== undefined && isMissing(row[labelIdx]))) return;
    for (let k = 0; k < D; k++) {
      const cell = row[featureIdx[k]];
      if (!NUMBER.test(cell)) throw new DataError(`${where(r, featureNames[k])}: '${cell.slice(0, 40)}' is not a number`);
      const v = Number(cell);
      if (!Number.isFinite(v)) throw new DataError(`${where(r, featureNames[k])}: '${cell.slice(0, 40)}' is not a finite number`);
      values.push(v);
    }
    if (labelIdx !== undefined) labelText.push(row[labelIdx]);
    kept.push(r);
  });
  const n = kept.length;
  if (n === 0) throw new DataError(`${path}: every row has a missing value`);

  // classes
  let labels: Uint8Array | undefined;
  let classNames: string[] | undefined;
  if (labelIdx !== undefined) {
    const distinct = [...new Set(labelText)].filter((v) => !opts.classNames?.includes(v));
    const numeric = distinct.every((v) => NUMBER.test(v));
    distinct.sort(numeric ? (a, b) => Number(a) - Number(b) : byCodePoint);
    classNames = [...(opts.classNames ?? []), ...distinct];
    if (classNames.length > 256) throw new DataError(`${path}: column '${labelColumn}' has ${classNames.length} distinct values; at most 256 classes are supported`);
    const index = new Map(classNames.map((c, i) => [c, i]));
    labels = Uint8Array.from(labelText, (v) => index.get(v)!);
  }

  // seeded split, each part in row order
  const nVal = Math.round(n * validationFraction);
  const perm = new Rng(opts.seed ?? 0).permutation(n);
  const isVal = new Uint8Array(n);
  for (let i = 0; i < nVal; i++) isVal[perm[i]] = 1;
  const trainIdx: number[] = [], valIdx: number[] = [];
  for (let i = 0; i < n; i++) (isVal[i] ? valIdx : trainIdx).push(i);
  if (trainIdx.length === 0) throw new DataError(`${path}: no training rows left (${n} rows, ${nVal} for validation)`);

  // standardisation from the training rows (population std), or the run's
  let features: FeatureTransform;
  if (opts.transform) features = opts.transform;
  else {
    const mean = new Array<number>(D).fill(0), std = new Array<number>(D).fill(0);
    for (const i of trainIdx) for (let k = 0; k < D; k++) mean[k] += values[i * D + k];
    for (let k = 0; k < D; k++) mean[k] /= trainIdx.length;
    for (const i of trainIdx) for (let k = 0; k < D; k++) std[k] += (values[i * D + k] - mean[k]) ** 2;
    for (let k = 0; k < D; k++) {
      const s = Math.sqrt(std[k] / trainIdx.length);
      std[k] = s > 0 ? s : 1;
    }
    features = { columns: featureNames, mean, std };
  }
  const pick = (idx: number[]): ImageSet => {
    const images = new Float32Array(idx.length * D);
    idx.forEach((i, j) => {
      for (let k = 0; k < D; k++) images[j * D + k] = (values[i * D + k] - features.mean[k]) / features.std[k];
    });
    return { images, count: idx.length, rows: idx.map((i) => kept[i]), ...(labels && { labels: Uint8Array.from(idx, (i) => labels![i]) }) };
  };

  const dropped = rows.length - n;
  const summary = `${n} rows × ${D} numeric features (standardised with the training rows' mean and std)` +
    (classNames ? `, label column '${labelColumn}' with ${classNames.length} classes` : '') +
    (ignored.length ? `; ignored columns: ${ignored.join(', ')}` : '') +
    (dropped ? `; dropped ${dropped} rows with missing values` : '');
  return {
    name: `csv:${resolve(path)}`,
    height: 1,
    width: D,
    channels: 1,
    train: pick(trainIdx),
    validation: pick(valIdx),
    ...(classNames && { classNames }),
    summary,
    features,
    ...(labelIdx !== undefined && { labelColumn }),
  };
}
