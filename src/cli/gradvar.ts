/**
 * `vae gradvar [RUN]`: variance of the score-function (REINFORCE, seed 001) and the
 * reparameterised estimators of ∇ ELBO w.r.t. the encoder's parameters, for one fixed minibatch and
 * the run's encoder (or a freshly initialised model when no run is given). See src/analysis/gradvar.ts.
 */
import * as tf from '../engine/tfjs.js';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { compareEstimators, type GradVarRow } from '../analysis/gradvar.js';
import { loadDataset, parseDatasetName, type DatasetSpec } from '../data/load.js';
import type { BinarizeMode } from '../data/binarize.js';
import { PRESETS, describeModel, fitModelToData } from '../models/config.js';
import { Vae } from '../models/vae.js';
import { prepareEvalImages } from '../train/trainer.js';
import { loadRunModel } from '../train/run.js';
import { action, choiceOption, intOption, printJson, startBackend } from './common.js';
import { progressBar } from './progress.js';

interface GradVarOptions {
  dataset: string;
  model: string;
  batch: number;
  draws: number;
  chunk: number;
  split: 'train' | 'validation' | 'test';
  seed: number;
  json?: boolean;
  backend?: string;
}

const g = (v: number): string => (v === 0 ? '0' : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toPrecision(4));

function table(rows: GradVarRow[]): string {
  const head = ['parameters', 'size', '|E g| score', '|E g| reparam', 'tr Var score', 'tr Var reparam', 'Var ratio', 'agreement'];
  const body = rows.map((r) => [r.name, String(r.size), g(r.score.meanNorm), g(r.reparam.meanNorm), g(r.score.totalVariance), g(r.reparam.totalVariance), g(r.varianceRatio), r.agreement.toFixed(2)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}

export function registerGradvar(program: Command): void {
  program
    .command('gradvar')
    .argument('[run]', 'run folder (default: a freshly initialised --model on --dataset)')
    .description('variance of the score-function (REINFORCE) vs the reparameterised gradient of the ELBO w.r.t. the encoder parameters, on one fixed minibatch')
    .option('--dataset <name>', 'without RUN: mnist | fashion-mnist | faces', 'mnist')
    .option('--model <preset>', `without RUN: ${Object.keys(PRESETS).join(' | ')}`, 'mlp')
    .option('--batch <n>', 'examples in the fixed minibatch (the first of --split)', intOption('--batch', 1, 10000), 100)
    .option('--draws <n>', 'independent eps draws per estimator', intOption('--draws', 2, 100000), 200)
    .option('--chunk <n>', 'draws computed in one batched pass', intOption('--chunk', 1, 1000), 25)
    .option('--split <name>', 'train | validation | test', choiceOption('--split', ['train', 'validation', 'test'] as const), 'test')
    .option('--seed <n>', 'seed of the eps draws (and of the fresh model)', intOption('--seed', 0), 0)
    .option('--json', 'print the table as JSON on stdout')
    .option('--backend <name>', 'wasm | cpu', 'wasm')
    .action(action(async (dir: string | undefined, o: GradVarOptions) => {
      const backend = await startBackend(o.backend, true);
      let vae: Vae;
      let spec: DatasetSpec;
      let binarize: BinarizeMode;
      let trainingSeed: number;
      if (dir) {
        const loaded = await loadRunModel(dir);
        vae = loaded.vae;
        spec = loaded.run.dataset;
        binarize = loaded.run.training.binarize;
        trainingSeed = loaded.run.training.seed;
      } else {
        const name = parseDatasetName(o.dataset);
        if (name === 'folder') throw new UserError('gradvar without a run needs --dataset mnist, fashion-mnist or faces');
        const preset = PRESETS[o.model];
        if (!preset) throw new UserError(`unknown --model '${o.model}' (use one of ${Object.keys(PRESETS).join(', ')})`);
        spec = { name, seed: 0 };
        const shape = name === 'faces' ? { height: 32, width: 32, channels: 3 } : { height: 28, width: 28, channels: 1 };
        const likelihood = name === 'faces' ? { kind: 'gaussian' as const, sigma2: 1 } : { kind: 'bernoulli' as const };
        vae = Vae.create(fitModelToData(preset, shape, { likelihood }), o.seed);
        binarize = likelihood.kind === 'bernoulli' ? 'static' : 'none';
        trainingSeed = o.seed;
      }
      let xb: tf.Tensor | null = null;
      try {
        const data = await loadDataset(spec);
        const set = o.split === 'test' ? data.test : o.split === 'train' ? data.train : data.validation;
        if (!set) throw new UserError(`dataset ${data.name} has no ${o.split} split (use --split validation)`);
        const b = Math.min(o.batch, set.count);
        const size = data.height * data.width * data.channels;
        const images = prepareEvalImages({ ...set, images: set.images.subarray(0, b * size), count: b }, binarize, trainingSeed);
        xb = tf.tensor4d(images, [b, data.height, data.width, data.channels]);
        const groups = vae.encoder.trainableWeights.map((w) => ({ name: w.originalName ?? w.name, variable: w.read() as tf.Variable }));
        const bar = o.json ? null : progressBar('gradient draws', 2 * o.draws);
        const result = await compareEstimators({
          x: xb, groups, encode: (x) => vae.encode(x as tf.Tensor4D), decode: (z) => vae.decode(z),
          likelihood: vae.config.likelihood, logPz: vae.logPz,
        }, { draws: o.draws, seed: o.seed, chunk: o.chunk, onProgress: (d) => bar?.update(d) });
        bar?.stop();
        const out = {
          run: dir ?? null, model: describeModel(vae.config), backend, split: o.split, batch: result.batch, draws: result.draws, seed: o.seed,
          rows: result.rows, total: result.total,
        };
        if (o.json) {
          printJson(out);
          return;
        }
        process.stdout.write(
          `${dir ? `run ${dir}` : 'freshly initialised model'}: ${out.model}\n` +
            `fixed minibatch: first ${result.batch} images of ${o.split}; ${result.draws} eps draws per estimator; gradient of the mean ELBO over the batch\n` +
            `|E g|: norm of the mean gradient; tr Var: summed variance of one draw's gradient; Var ratio: score / reparam;\n` +
            `agreement: |mean_score - mean_reparam| / sqrt((trVar_s + trVar_r)/draws), about 1 when both estimate the same gradient\n\n` +
            table([...result.rows, result.total]) + '\n',
        );
      } finally {
        xb?.dispose();
        vae.dispose();
      }
    }));
}
