/**
 * `vae factors RUN`: how well the encoder means capture the known generating factors of the data
 * (faces: size and hue), on the training set and on the held-out validation rectangle separately:
 * R² of least squares (and of k-NN regression) per factor, MIG and DCI (src/analysis/factors.ts). Prints a table (or JSON
 * with --json) and writes RUN/factors.json, and RUN/factors.svg / .png: the encoder means in two
 * latent dimensions coloured by each factor.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { loadDataset } from '../data/load.js';
import type { ImageSet } from '../data/dataset.js';
import { encodeImages } from '../analysis/generate.js';
import { column, factorMetrics, linearFit, matrix, r2Score, type FactorMetrics, type Matrix } from '../analysis/factors.js';
import { prepareEvalImages } from '../train/trainer.js';
import { loadRunModel } from '../train/run.js';
import { writeJsonAtomic } from '../train/files.js';
import type { Vae } from '../models/vae.js';
import { latentFactorsSpec, type LatentFactorPoint } from '../plot/latentFactors.js';
import { action, intOption, numberOption, printJson, startBackend } from './common.js';

/** The faces generator's parameters, in the order of `ImageSet.params`. */
export const FACE_FACTORS = ['size', 'hue'];

interface FactorsOptions { json?: boolean; bins: number; alpha: number; backend?: string }

export interface SplitReport extends FactorMetrics {
  /** Validation only: R² of the training set's least-squares fit, applied to this split. */
  r2FromTrainFit?: number[];
}

export interface FactorsReport {
  format: 'vae-ts-factors';
  version: 1;
  run: string;
  epoch: number | null;
  latent: number;
  code: 'encoder means';
  regression: 'ordinary least squares with intercept, fitted on the split it is scored on';
  knn: 'leave-one-out R² of 10-nearest-neighbour regression on standardised codes';
  mig: { bins: number; binning: 'equal width over the split\'s range, codes and factors alike' };
  dci: { regressor: string; alpha: number; informativeness: string };
  splits: { train: SplitReport; validation: SplitReport };
}

/** The two code dimensions to plot: 0 and 1, or the two of highest variance on the training set. */
export function plotDims(codes: Matrix): [number, number] {
  if (codes.cols <= 2) return [0, 1];
  const variances = Array.from({ length: codes.cols }, (_, j) => {
    const c = column(codes, j);
    const m = c.reduce((a, b) => a + b, 0) / c.length;
    return c.reduce((a, b) => a + (b - m) ** 2, 0) / c.length;
  });
  const order = variances.map((_, j) => j).sort((a, b) => variances[b] - variances[a] || a - b);
  return [Math.min(order[0], order[1]), Math.max(order[0], order[1])];
}

/** The scatter picture of `vae factors`: encoder means coloured by each factor, both splits. */
async function writeFactorPictures(dir: string, report: FactorsReport, zTrain: Matrix, zVal: Matrix, vTrain: Matrix, vVal: Matrix): Promise<string[]> {
  if (zTrain.cols < 2) return [];
  const [a, b] = plotDims(zTrain);
  const points: LatentFactorPoint[] = [];
  const add = (z: Matrix, v: Matrix, split: 'train' | 'validation'): void => {
    for (let i = 0; i < z.rows; i++) {
      const factors: Record<string, number> = {};
      FACE_FACTORS.forEach((name, k) => (factors[name] = v.data[i * v.cols + k]));
      points.push({ x: z.data[i * z.cols + a], y: z.data[i * z.cols + b], split, factors });
    }
  };
  add(zTrain, vTrain, 'train');
  add(zVal, vVal, 'validation');
  const chosen = zTrain.cols > 2 ? `, the two of ${zTrain.cols} dimensions with the largest variance` : '';
  const spec = latentFactorsSpec(points, {
    title: `${report.run}: encoder means and the known factors`,
    subtitle: [`epoch ${report.epoch ?? '?'}; dots: ${report.splits.train.examples} training faces, crosses: ${report.splits.validation.examples} of the held-out validation rectangle${chosen}`],
    factorNames: FACE_FACTORS,
    xTitle: `z${a} (encoder mean)`,
    yTitle: `z${b} (encoder mean)`,
  });
  const files = [path.join(dir, 'factors.svg'), path.join(dir, 'factors.png')];
  const { writeChart } = await import('../plot/render.js');
  await writeChart(spec, ...files);
  return files;
}

function encodeSet(vae: Vae, set: ImageSet, binarize: Parameters<typeof prepareEvalImages>[1], seed: number): Float32Array {
  return encodeImages(vae, prepareEvalImages(set, binarize, seed), set.count).mu;
}

const f3 = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : String(v));

/** The report as a readable table. */
export function formatFactorsTable(r: FactorsReport): string {
  const tr = r.splits.train;
  const va = r.splits.validation;
  const rows: [string, string, string][] = [];
  r.splits.train.factors.forEach((name, k) => rows.push([`R² ${name} (least squares)`, f3(tr.r2[k]), f3(va.r2[k])]));
  if (va.r2FromTrainFit) va.factors.forEach((name, k) => rows.push([`R² ${name}, training fit applied`, '', f3(va.r2FromTrainFit![k])]));
  r.splits.train.factors.forEach((name, k) => rows.push([`R² ${name} (10-NN, leave-one-out)`, f3(tr.knnR2[k]), f3(va.knnR2[k])]));
  rows.push(['MIG', f3(tr.mig.mig), f3(va.mig.mig)]);
  tr.factors.forEach((name, k) => {
    const cell = (m: FactorMetrics): string => `${f3(m.mig.perFactor[k].gap)} (z${m.mig.perFactor[k].top})`;
    rows.push([`  gap for ${name} (top dim)`, cell(tr), cell(va)]);
  });
  rows.push(['DCI disentanglement', f3(tr.dci.disentanglement), f3(va.dci.disentanglement)]);
  rows.push(['DCI completeness', f3(tr.dci.completeness), f3(va.dci.completeness)]);
  rows.push(['DCI informativeness', f3(tr.dci.informativeness), f3(va.dci.informativeness)]);
  const head: [string, string, string] = ['', `train (${tr.examples})`, `validation (${va.examples})`];
  const all = [head, ...rows];
  const w = [0, 1, 2].map((c) => Math.max(...all.map((row) => row[c].length)));
  const line = (row: [string, string, string]): string => `${row[0].padEnd(w[0])}  ${row[1].padStart(w[1])}  ${row[2].padStart(w[2])}`.trimEnd();
  const importance = (m: FactorMetrics): string[] => m.dci.importance.map((row, i) =>
    `  z${i}: ${row.map((v, k) => `${m.factors[k]} ${v.toFixed(3)}`).join(', ')}`);
  return [
    `known factors of ${r.run} (encoder means of epoch ${r.epoch ?? '?'}, ${r.latent}-D latent)`,
    '',
    ...all.map(line),
    '',
    `DCI importance (|lasso coefficient|, standardised, alpha ${r.dci.alpha}), train:`,
    ...importance(tr),
    'validation:',
    ...importance(va),
    '',
    'R²: least squares with intercept, codes to each factor; 10-NN: k-nearest-neighbour regression on standardised',
    'codes (any smooth relation). MIG: mutual-information gap (Chen et al. 2018), ' + `${r.mig.bins} equal-width bins.`,
    'DCI: Eastwood & Williams 2018, lasso importances; informativeness: R² of least squares on the dimensions',
    'the lasso kept. 1 is best for every figure; linear figures are low when a factor lies along a curve.',
  ].join('\n') + '\n';
}

export function registerFactors(program: Command): void {
  program
    .command('factors')
    .argument('<run>', 'run folder of a faces model')
    .description('known-factor metrics of a faces run (size, hue): R² of least squares and of 10-nearest-neighbour regression per factor, MIG and DCI ' +
      'disentanglement/completeness/informativeness of the encoder means, on the training set and on the held-out ' +
      'validation rectangle; writes RUN/factors.json and a picture of the codes coloured by each factor (RUN/factors.svg, .png)')
    .option('--bins <n>', 'equal-width bins per code dimension and factor for MIG', intOption('--bins', 2, 1000), 20)
    .option('--alpha <a>', 'lasso penalty of the DCI regressors (codes and factor standardised)', numberOption('--alpha', { positive: true }), 0.1)
    .option('--json', 'print the results as JSON on stdout')
    .option('--backend <name>', 'wasm | cpu', 'wasm')
    .action(action(async (dir: string, o: FactorsOptions) => {
      await startBackend(o.backend, true);
      const { run, vae } = await loadRunModel(dir);
      try {
        const data = await loadDataset(run.dataset);
        const { train, validation } = data;
        if (!train.params || !validation.params) {
          throw new UserError(`dataset ${data.name} has no known generating factors (only faces does: size and hue)`);
        }
        if (train.count < 2 || validation.count < 2) throw new UserError(`dataset ${data.name}: too few images for factor metrics`);
        const d = vae.config.latent;
        const opts = { bins: o.bins, alpha: o.alpha };
        const k = FACE_FACTORS.length;
        const zTrain = matrix(encodeSet(vae, train, run.training.binarize, run.training.seed), train.count, d);
        const zVal = matrix(encodeSet(vae, validation, run.training.binarize, run.training.seed), validation.count, d);
        const vTrain = matrix(train.params, train.count, k);
        const vVal = matrix(validation.params, validation.count, k);
        const trainReport: SplitReport = factorMetrics(zTrain, vTrain, FACE_FACTORS, opts);
        const valReport: SplitReport = factorMetrics(zVal, vVal, FACE_FACTORS, opts);
        valReport.r2FromTrainFit = FACE_FACTORS.map((_, f) => {
          const fit = linearFit(zTrain, column(vTrain, f));
          return r2Score(zVal, column(vVal, f), fit.intercept, fit.coefficients);
        });
        const report: FactorsReport = {
          format: 'vae-ts-factors',
          version: 1,
          run: path.basename(path.resolve(dir)),
          epoch: run.bestEpoch,
          latent: d,
          code: 'encoder means',
          regression: 'ordinary least squares with intercept, fitted on the split it is scored on',
          knn: 'leave-one-out R² of 10-nearest-neighbour regression on standardised codes',
          mig: { bins: o.bins, binning: 'equal width over the split\'s range, codes and factors alike' },
          dci: {
            regressor: 'lasso (coordinate descent) per factor on standardised codes and factor; importance = |coefficient|',
            alpha: o.alpha,
            informativeness: 'R² of least squares on the dimensions the lasso kept, averaged over factors',
          },
          splits: { train: trainReport, validation: valReport },
        };
        const file = path.join(dir, 'factors.json');
        writeJsonAtomic(file, report);
        const pictures = await writeFactorPictures(dir, report, zTrain, zVal, vTrain, vVal);
        if (o.json) printJson(report);
        else process.stdout.write(formatFactorsTable(report) + `wrote ${[file, ...pictures].join(', ')}\n`);
      } finally {
        vae.dispose();
      }
    }));
}
