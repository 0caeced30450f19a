/** `vae train`: trains a VAE into a run folder, with progress, checkpoints and pictures at the end. */
import * as path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { UserError } from '../errors.js';
import { loadDataset, parseDatasetName, type DatasetSpec } from '../data/load.js';
import type { Dataset } from '../data/dataset.js';
import { FITS, type Fit } from '../data/image.js';
import { LIKELIHOOD_KINDS, PRESETS, describeModel, fitModelToData, likelihoodNote, type Activation, type LikelihoodConfig } from '../models/config.js';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from '../train/trainer.js';
import { trainRun } from '../train/trainRun.js';
import { collapseWarning } from '../train/collapse.js';
import { readRun, type RunJson } from '../train/run.js';
import type { BinarizeMode } from '../data/binarize.js';
import type { KlMode } from '../math/kl.js';
import { formatCorruption, parseCorruption, type Corruption } from '../math/corrupt.js';
import { parsePrior, type PriorConfig } from '../math/prior.js';
import { INIT_SCHEMES, type InitScheme } from '../models/init.js';
import { action, choiceOption, intOption, numberOption, startBackend } from './common.js';
import { progressBar, type Progress } from './progress.js';
import { loadWithProgress } from './dataProgress.js';
import { writeRunPictures } from './pictures.js';
import { stopOnSignals } from './interrupt.js';
import { vaeCommand } from '../command.js';
import { parseSeeds, trainSeeds } from './seeds.js';

export interface TrainCliOptions {
  dataset: string;
  dataPath?: string;
  size?: number;
  channels?: number;
  fit?: Fit;
  labelColumn?: string;
  ignoreColumns?: string;
  model?: string;
  latent?: number;
  hidden?: string;
  activation?: Activation;
  likelihood?: LikelihoodConfig['kind'];
  sigma2: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  beta?: number;
  kl?: KlMode;
  binarize?: BinarizeMode;
  seed: number;
  trainLimit?: number;
  validation?: number;
  excludeLabels?: number[];
  warmup?: number;
  freeBits?: number;
  corrupt?: Corruption;
  perturb?: Corruption;
  prior?: PriorConfig;
  objective?: 'elbo' | 'iwae';
  k?: number;
  init?: InitScheme;
  out?: string;
  resume?: string | boolean;
  backend?: string;
  quiet?: boolean;
  /** Options given on the command line (not defaults): with --resume only --epochs and --lr may change the run. */
  given?: string[];
}

/** Options --resume may take: everything else is the run's own (model, sizes, data, batch, β, seed …). */
const RESUME_OPTIONS = new Set(['epochs', 'lr', 'out', 'resume', 'backend', 'quiet']);
const flag = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Parses `3` or `3,5` into label numbers (for --exclude-labels). */
function labelListOption(v: string): number[] {
  const labels = v.split(',').map((s) => s.trim());
  if (labels.some((s) => !/^\d+$/.test(s))) throw new InvalidArgumentError(`--exclude-labels must be a comma-separated list of labels such as 3 or 3,5 (got '${v}')`);
  return labels.map(Number);
}

/** A commander parser from a parse function that throws Error. */
function cliParser<T>(parse: (s: string) => T): (v: string) => T {
  return (v: string) => {
    try {
      return parse(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

/** Default --sigma2 for tabular data (standardised features): the model must explain 90% of each feature's variance. */
export const CSV_SIGMA2 = 0.1;

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3));

/** Builds the dataset spec, model config and options from the flags (shared with `start`). */
export async function planTraining(o: TrainCliOptions): Promise<{ spec: DatasetSpec; options: TrainOptions; dir: string; model: ReturnType<typeof fitModelToData>; data?: Dataset }> {
  const name = parseDatasetName(o.dataset);
  if (name === 'folder' && !o.dataPath) throw new UserError('--dataset folder needs --data-path DIR (a folder of images, or of class sub-folders of images)');
  if (name === 'csv' && !o.dataPath) throw new UserError('--dataset csv needs --data-path FILE.csv (a header row, numeric feature columns)');
  if (name !== 'folder' && (o.size !== undefined || o.channels !== undefined || o.fit !== undefined)) throw new UserError('--size, --channels and --fit apply to --dataset folder');
  if (name !== 'csv' && (o.labelColumn !== undefined || o.ignoreColumns !== undefined)) {
    throw new UserError('--label-column and --ignore-columns apply to --dataset csv (a folder takes its labels from class sub-folders)');
  }
  const spec: DatasetSpec = { name, seed: o.seed, ...(o.dataPath ? { path: o.dataPath } : {}), ...(o.trainLimit ? { trainLimit: o.trainLimit } : {}),
    ...(o.validation !== undefined ? { validation: o.validation } : {}), ...(o.excludeLabels?.length ? { excludeLabels: o.excludeLabels } : {}) };
  if (name === 'faces' && o.validation !== undefined) throw new UserError('--validation does not apply to faces (its validation set is the held-out parameter rectangle of seed 000)');
  if (name === 'folder') {
    if (o.channels !== undefined && o.channels !== 1 && o.channels !== 3) throw new UserError(`--channels must be 1 (gray) or 3 (RGB), got ${o.channels}`);
    Object.assign(spec, { height: o.size ?? 32, width: o.size ?? 32, channels: o.channels ?? 3, fit: o.fit ?? 'cover' });
  }
  // tabular data: the shape (1 × features) is known only once the file is read; the transform goes into the spec
  let data: Dataset | undefined;
  if (name === 'csv') {
    if (o.labelColumn !== undefined) spec.labelColumn = o.labelColumn;
    if (o.ignoreColumns !== undefined) spec.ignoreColumns = o.ignoreColumns.split(',').map((c) => c.trim()).filter(Boolean);
    const csv = await loadDataset(spec) as Dataset & { features: NonNullable<DatasetSpec['features']> };
    Object.assign(spec, { features: csv.features, ...(csv.classNames && { classNames: csv.classNames }) });
    data = csv;
    if (o.model !== undefined && PRESETS[o.model]?.kind === 'conv') throw new UserError('--dataset csv needs an MLP model (--model mlp, mlp-tanh or mlp-leaky)');
    if (o.likelihood === 'bernoulli') throw new UserError('--dataset csv uses a Gaussian likelihood on standardised features (not --likelihood bernoulli)');
    if (o.binarize !== undefined && o.binarize !== 'none') throw new UserError('--binarize does not apply to --dataset csv');
  }
  const imageLike = name === 'faces' || name === 'folder';
  const presetName = o.model ?? (imageLike ? 'conv' : 'mlp');
  const preset = PRESETS[presetName];
  if (!preset) throw new UserError(`unknown --model '${presetName}' (use one of ${Object.keys(PRESETS).join(', ')})`);
  const likelihoodKind = o.likelihood ?? (imageLike || name === 'csv' ? 'gaussian' : 'bernoulli');
  const likelihood: LikelihoodConfig = likelihoodKind === 'gaussian'
    ? { kind: 'gaussian', sigma2: o.sigma2, ...(name === 'csv' && { mean: 'identity' as const }) } : { kind: likelihoodKind };
  const shape = name === 'mnist' || name === 'fashion-mnist' ? { height: 28, width: 28, channels: 1 }
    : data ? { height: data.height, width: data.width, channels: data.channels } : { height: spec.height ?? 32, width: spec.width ?? 32, channels: spec.channels ?? 3 };
  if (preset.kind === 'conv' && (shape.height % 2 !== 0 || shape.width % 2 !== 0)) {
    throw new UserError(`--size ${shape.height}: the conv model halves the image in each stride-2 stage, so it needs an even size ` +
      '(a multiple of 8 keeps all three stages, e.g. 32 or 64); --model mlp takes any size');
  }
  const hidden = o.hidden?.split(',').map((s) => Number(s.trim()));
  if (hidden && hidden.some((h) => !Number.isInteger(h) || h <= 0)) throw new UserError(`--hidden must be a comma-separated list of positive integers (got '${o.hidden}')`);
  // tabular defaults: one hidden layer of 64, latent about half the features (2..8)
  const tabular = name === 'csv' ? { hidden: hidden ?? [64], latent: o.latent ?? Math.min(8, Math.max(2, Math.ceil(shape.width / 2))) } : {};
  const model = fitModelToData(preset, shape, { latent: o.latent, hidden, activation: o.activation, likelihood, prior: o.prior, init: o.init, ...tabular });
  if (o.freeBits && o.prior && o.prior.kind !== 'standard') throw new UserError('--free-bits needs the standard normal prior (a mixture prior or VampPrior has no per-dimension KL)');
  if (o.objective === 'iwae' && (o.freeBits || o.warmup || (o.beta !== undefined && o.beta !== 1))) {
    throw new UserError('--objective iwae has no --beta, --warmup or --free-bits (they weigh or floor the ELBO\'s KL term)');
  }
  const options: TrainOptions = {
    ...DEFAULT_TRAIN_OPTIONS,
    epochs: o.epochs ?? (imageLike ? DEFAULT_TRAIN_OPTIONS.epochs : name === 'csv' ? 50 : 10),
    batchSize: o.batchSize ?? (imageLike ? 64 : 128),
    learningRate: o.lr ?? DEFAULT_TRAIN_OPTIONS.learningRate,
    beta: o.beta ?? 1,
    kl: o.kl ?? 'analytic',
    binarize: o.binarize ?? (likelihood.kind === 'bernoulli' ? 'dynamic' : 'none'),
    seed: o.seed,
    ...(o.warmup ? { warmup: o.warmup } : {}),
    ...(o.freeBits ? { freeBits: o.freeBits } : {}),
    ...(o.corrupt ? { corrupt: o.corrupt } : {}),
    ...(o.objective === 'iwae' ? { objective: 'iwae' as const } : {}),
    ...(o.k && o.k > 1 ? { k: o.k } : {}),
    ...(o.perturb ? { perturb: o.perturb } : {}),
  };
  const dir = o.out ?? (typeof o.resume === 'string' ? o.resume : path.join('runs', `${name}-${presetName}-s${o.seed}`));
  return { spec, options, dir, model, ...(data && { data }) };
}

export async function runTraining(o: TrainCliOptions): Promise<RunJson> {
  await startBackend(o.backend);
  const resume = o.resume !== undefined && o.resume !== false;
  const plan = await planTraining(o);
  let { spec, model } = plan;
  if (resume) {
    const conflicting = (o.given ?? []).filter((k) => !RESUME_OPTIONS.has(k));
    if (conflicting.length > 0) {
      throw new UserError(`--resume continues ${plan.dir} with its saved settings; ${conflicting.map(flag).join(', ')} cannot change a run ` +
        '(only --epochs and --lr may be given; train a new run with --out for other settings)');
    }
    const saved = readRun(plan.dir);
    spec = saved.dataset;
    model = saved.model;
    if (o.epochs === undefined) throw new UserError(`--resume needs --epochs N (the new total; the run has ${saved.epochsDone})`);
  }
  const log = (s: string): void => {
    if (!o.quiet) process.stderr.write(s + '\n');
  };
  const data = !resume && plan.data ? plan.data : await loadWithProgress(spec, o.quiet);
  // labels found in class sub-folders are recorded, so later commands check they still match
  if (!resume && spec.name === 'folder' && data.classNames) spec = { ...spec, classNames: data.classNames };
  if (data.summary) log(`read ${data.summary}`);
  let bar: Progress | null = null;
  let t0 = Date.now();
  let collapseSaid = false;
  let stepsPerEpoch = 0;
  const stop = stopOnSignals(); // Ctrl-C: stop after the current step and save it for --resume
  const run = await trainRun({
    dir: plan.dir, model, dataset: spec, options: plan.options, resume, data, signal: stop.signal, ...(resume && o.lr !== undefined ? { learningRate: o.lr } : {}),
    onStart: ({ run, startEpoch, engine }) => {
      log(`engine: ${engine}`);
      log(`model: ${describeModel(run.model)} (${run.paramCounts.encoder.toLocaleString('en')} + ${run.paramCounts.decoder.toLocaleString('en')} parameters)`);
      log(`data: ${data.name}, ${data.train.count} train / ${data.validation.count} validation ${spec.name === 'csv' ? `rows of ${data.width} features` : `images of ${data.channels}x${data.height}x${data.width}`}` +
        `${spec.fit ? ` (fit: ${spec.fit})` : ''}` +
        `${run.training.binarize !== 'none' ? `, binarised: ${run.training.binarize}` : ''}`);
      log(likelihoodNote(run.model));
      log(`training ${plan.dir}: epochs ${startEpoch}..${run.training.epochs}, batch ${run.training.batchSize}, Adam lr ${run.training.learningRate}, seed ${run.training.seed}`);
      const t = run.training;
      const extras = [t.beta !== 1 ? `beta ${t.beta}` : '', t.warmup ? `KL warm-up over ${t.warmup} epochs` : '', t.freeBits ? `free bits ${t.freeBits} nats per dimension` : '',
        t.corrupt ? `denoising: input ${formatCorruption(t.corrupt)}, clean target` : '',
        t.objective === 'iwae' ? `IWAE bound, k = ${t.k ?? 1}` : (t.k ?? 1) > 1 ? `${t.k}-sample ELBO` : '',
        t.perturb ? `perturbed training data ${formatCorruption(t.perturb)} (a likelihood-ratio background model)` : ''].filter(Boolean);
      if (extras.length > 0) log(`objective: ${extras.join(', ')} (reported losses are the true -ELBO)`);
      t0 = Date.now();
    },
    onStep: ({ epoch, step, steps, loss }) => {
      stepsPerEpoch = steps;
      if (o.quiet) return;
      if (step === 1 || !bar) bar = progressBar(`epoch ${epoch}`, steps);
      bar?.update(step, { loss: `loss ${fmt(loss)}` });
      if (step === steps) {
        bar?.stop();
        bar = null;
      }
    },
    onEpoch: (rec, run) => {
      const collapsed = collapseSaid ? null : collapseWarning(rec.epoch, rec.train.kl, rec.epoch * stepsPerEpoch, run.model, run.training);
      if (collapsed) {
        // said even with --quiet: a run that goes on like this learns no latent code at all
        collapseSaid = true;
        process.stderr.write(`warning: ${collapsed}\n`);
      }
      const left = run.training.epochs - rec.epoch;
      const perEpoch = (Date.now() - t0) / 1000 / (rec.epoch - (run.history[0]?.epoch ?? 1) + 1);
      log(
        `epoch ${rec.epoch}/${run.training.epochs}  train -ELBO ${fmt(rec.train.loss)} (recon ${fmt(rec.train.reconstruction)}, KL ${fmt(rec.train.kl)})  ` +
          `val -ELBO ${fmt(rec.validation.loss)}  ${rec.imagesPerSecond.toFixed(0)} img/s  ${rec.seconds.toFixed(1)} s` +
          `${run.bestEpoch === rec.epoch ? '  *best' : ''}${left > 0 ? `  ETA ${Math.round(left * perEpoch)} s` : ''}`,
      );
    },
  });
  stop.dispose();
  if (run.status === 'interrupted' && run.partial) {
    (bar as Progress | null)?.stop();
    process.stderr.write(`\n${stop.received() ?? 'stopped'}: saved epoch ${run.partial.epoch} at step ${run.partial.step} of ${run.partial.steps} in ${plan.dir}; ` +
      `continue with: ${vaeCommand(`train --resume ${plan.dir} --epochs ${run.training.epochs}`)}\n`);
    process.exit(stop.exitCode());
  }
  const files = await writeRunPictures(plan.dir);
  log(`done: ${plan.dir}/run.json; best epoch ${run.bestEpoch}; pictures: ${files.join(', ')}`);
  return run;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a VAE and save it in a run folder (checkpoints, history, samples, loss curves)')
    .option('--dataset <name>', 'faces | mnist | fashion-mnist | folder | csv', 'faces')
    .option('--data-path <path>', 'folder: a folder of images (PNG, JPEG, WebP, GIF, TIFF), or of class sub-folders of images (labels); csv: a CSV file')
    .option('--size <n>', 'folder: images are resized to N x N (default 32; the conv model needs an even size)', intOption('--size', 1, 1024))
    .option('--channels <n>', 'folder: 3 (RGB, default) or 1 (gray); transparency is composited over white', intOption('--channels', 1, 3))
    .option('--fit <mode>', 'folder: cover (default: scale and centre-crop) | contain (scale to fit, pad with white) | fill (stretch)', choiceOption('--fit', FITS))
    .option('--label-column <name>', 'csv: the column holding each row\'s class (any values; not a feature)')
    .option('--ignore-columns <list>', 'csv: numeric columns that are not features, e.g. id,timestamp')
    .option('--model <preset>', `model preset: ${Object.keys(PRESETS).join(' | ')} (default: conv for images, mlp for MNIST)`)
    .option('--latent <n>', 'latent dimensions', intOption('--latent'))
    .option('--hidden <list>', 'MLP hidden sizes, e.g. 400 or 500,500')
    .option('--activation <name>', 'MLP activation: relu | tanh | leakyRelu', choiceOption('--activation', ['relu', 'tanh', 'leakyRelu'] as const))
    .option('--likelihood <kind>', 'gaussian (fixed --sigma2) | bernoulli | gaussian-learned (σ-VAE: optimal σ² per image, the image\'s MSE) | continuous-bernoulli (for [0,1] data) (default: gaussian for images, bernoulli for MNIST)', choiceOption('--likelihood', LIKELIHOOD_KINDS))
    .option('--sigma2 <v>', 'fixed variance of the Gaussian likelihood (csv: default 0.1, on standardised features)', numberOption('--sigma2', { positive: true }), 1)
    .option('--epochs <n>', 'epochs (total, also with --resume)', intOption('--epochs', 1, 1_000_000))
    .option('--batch-size <n>', 'minibatch size', intOption('--batch-size', 1, 65536))
    .option('--lr <v>', 'Adam learning rate', numberOption('--lr', { positive: true }))
    .option('--beta <v>', 'weight of the KL term (beta-VAE)', numberOption('--beta'))
    .option('--kl <mode>', 'analytic | monte-carlo', choiceOption('--kl', ['analytic', 'monte-carlo'] as const))
    .option('--warmup <epochs>', 'KL warm-up: beta ramps linearly from 0 to --beta over this many epochs, per step (reported losses stay the true -ELBO)', numberOption('--warmup', { positive: true }))
    .option('--free-bits <nats>', 'free bits (Kingma et al. 2016): per latent dimension, the batch-mean KL is floored at this many nats in the training objective (reported losses stay the true -ELBO)', numberOption('--free-bits', { positive: true }))
    .option('--corrupt <noise>', 'denoising: the encoder sees seeded noisy inputs, the likelihood scores the clean ones: gaussian:SIGMA (added, clipped to [0,1]) or mask:P (pixels zeroed with probability P)', cliParser(parseCorruption))
    .option('--objective <name>', 'elbo | iwae: the bound each step maximises (iwae: Burda et al. 2015, importance-weighted with --k samples; reported losses stay the true -ELBO)', choiceOption('--objective', ['elbo', 'iwae'] as const))
    .option('--k <n>', 'samples of z per example in a training step (k-sample ELBO, or IWAE-k)', intOption('--k', 1, 5000))
    .option('--perturb <noise>', 'train on perturbed data (input and target alike), e.g. replace:0.2: each pixel replaced by uniform noise with probability 0.2 — the background model of `vae anomaly --score likelihood-ratio --background RUN` (Ren et al. 2019)', cliParser(parseCorruption))
    .option('--prior <kind>', 'p(z): standard (N(0, I)), gmm:K (a learnable mixture of K Gaussians) or vamp:K (VampPrior, Tomczak & Welling 2018: the encoder\'s posteriors of K learnable pseudo-inputs), trained jointly (Monte-Carlo KL)', cliParser(parsePrior))
    .option('--init <scheme>', "weight initialisation: glorot (tfjs's Glorot-uniform kernels, zero biases) | pytorch (PyTorch's U(±1/√fan_in) kernels and biases) (default: the preset's)", choiceOption('--init', INIT_SCHEMES))
    .option('--binarize <mode>', 'none | threshold | static | dynamic (default: dynamic for Bernoulli)', choiceOption('--binarize', ['none', 'threshold', 'static', 'dynamic'] as const))
    .option('--seed <n>', 'seed for weights, eps, shuffling and data', intOption('--seed', 0), 0)
    .option('--train-limit <n>', 'use only the first N training images', intOption('--train-limit'))
    .option('--validation <v>', 'validation split: images from the end of the MNIST training set (default 10000), or the fraction of a folder (default 0.1)', numberOption('--validation'))
    .option('--exclude-labels <list>', 'leave these labels out of training and validation, e.g. 3 or 3,5 (MNIST, Fashion-MNIST; the test split keeps them: anomaly detection)', labelListOption)
    .option('--out <dir>', 'run folder (default runs/<dataset>-<model>-s<seed>)')
    .option('--seeds <list>', 'one run per seed, one after the other: a count N (seeds 0..N-1) or a list such as 3,5,8; each run goes to OUT-s<seed> (default runs/<dataset>-<model>-s<seed>)', parseSeeds)
    .option('--resume [dir]', 'continue the run in --out (or DIR) from its last saved state (after Ctrl-C: the step it stopped at); a given --lr replaces the saved one')
    .option('--backend <name>', 'native | wasm | cpu (native: wasm plus our C training step, where built; else wasm with a note)', 'native')
    .option('--quiet', 'no progress output')
    .action(action(async (o: TrainCliOptions & { seeds?: number[] }, cmd: Command) => {
      // standardised features have variance 1: a likelihood variance of 1 leaves the decoder nothing to explain
      if (o.dataset === 'csv' && cmd.getOptionValueSource('sigma2') !== 'cli') o.sigma2 = CSV_SIGMA2;
      if (o.seeds) {
        await trainSeeds(o, o.seeds, cmd.getOptionValueSource('seed') === 'cli');
        return;
      }
      await runTraining({ ...o, given: cmd.options.map((opt) => opt.attributeName()).filter((k) => cmd.getOptionValueSource(k) === 'cli') });
    }));
}
