/**
 * A run folder: everything about one trained model.
 *   run.json              config, dataset spec, options, per-epoch history, best epoch, backend, versions
 *   encoder/, decoder/    best-validation model, tfjs layers format (the browser loads these)
 *   state/                last epoch's encoder, decoder, Adam state (for --resume), or those of the
 *                         step an interrupted epoch stopped at (run.json's `partial`)
 *   latent-grid.json      per epoch: encoder means of the 10x10 parameter grid (2-D faces runs)
 * run.json is written last after every epoch: it is the commit point of the epoch. Weight files
 * carry a tag (e7, or e7s120 for step 120 of epoch 7); run.json names the tags of encoder/ and
 * state/ (bestEpoch, epochsDone, partial), files of other tags are removed only after run.json is
 * written, so a crash at any moment leaves every file run.json names in place.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '../engine/tfjs.js';
import { UserError } from '../errors.js';
import { vaeCommand } from '../command.js';
import { validateModelConfig, type ModelConfig } from '../models/config.js';
import { Vae } from '../models/vae.js';
import { DATASET_NAMES, type DatasetSpec } from '../data/load.js';
import type { RngState } from '../math/rng.js';
import type { EpochRecord } from './history.js';
import type { EpochProgress, TrainOptions } from './trainer.js';
import {
  WEIGHTS_FILE, loadModel, loadTensors, parseJsonText, pruneFiles, readFileChecked, saveModel, saveTensors, tensorFilePattern, weightsFileName,
} from './checkpoint.js';
import { writeJsonAtomic } from './files.js';
import { PRIOR_FILE, hasPriorFile, loadPrior, priorFileName, savePrior } from './priorFile.js';

export const RUN_FORMAT = 'vae-ts-run';

/** The run.json of a run folder: what was trained, on what, how, and how it went. */
export interface RunJson {
  format: typeof RUN_FORMAT;
  version: 1;
  model: ModelConfig;
  dataset: DatasetSpec;
  training: TrainOptions;
  backend: string;
  versions: { tfjs: string; node: string };
  paramCounts: { encoder: number; decoder: number };
  history: EpochRecord[];
  /** Epoch whose weights are in encoder/ and decoder/ (lowest validation loss so far). */
  bestEpoch: number | null;
  /** Epochs completed and saved in state/. */
  epochsDone: number;
  /** Training RNG state after `epochsDone` epochs (shuffling, eps, dynamic binarisation). */
  rngState: { s: RngState; spare: number | null } | null;
  /** An interrupted epoch: where it stopped; state/ holds the weights and Adam state of that step. */
  partial?: PartialEpoch | null;
  status: 'running' | 'done' | 'diverged' | 'interrupted';
  createdAt: string;
  updatedAt: string;
}

export interface PartialEpoch extends EpochProgress {
  /** Tag of the files in state/ (e.g. e3s17). */
  tag: string;
}

export interface LatentGridSnapshot {
  /** Grid side n: params and means hold n*n entries. */
  n: number;
  /** (size, hue) pairs, n*n*2 values. */
  params: number[];
  /** Per epoch: encoder means, n*n*latent values. */
  epochs: { epoch: number; mu: number[] }[];
}

export const runFile = (dir: string): string => path.join(dir, 'run.json');

/** Reads and checks `DIR/run.json`; throws a `UserError` naming the file and the problem. */
export function readRun(dir: string): RunJson {
  const file = runFile(dir);
  if (!fs.existsSync(dir)) throw new UserError(`run folder ${dir} does not exist`);
  if (!fs.statSync(dir).isDirectory()) throw new UserError(`${dir}: not a folder (a run is a folder holding run.json)`);
  if (!fs.existsSync(file)) throw new UserError(`${file}: missing — ${dir} is not a run folder (train one with \`${vaeCommand('train')}\`)`);
  return parseRunJson(readFileChecked(file).toString('utf8'), file);
}

const STATUSES = ['running', 'done', 'diverged', 'interrupted'];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min = 0): v is number => Number.isSafeInteger(v) && (v as number) >= min;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isTerms = (v: unknown): boolean => isObject(v) && isNum(v.loss) && isNum(v.reconstruction) && isNum(v.kl);
const isRngState = (v: unknown): boolean =>
  isObject(v) && Array.isArray(v.s) && v.s.length === 4 && v.s.every((w) => isInt(w) && w <= 0xffffffff) && (v.spare === null || isNum(v.spare));

/** At most this many weights in a run (2^27 float32 = 512 MB): a bound for building the model from run.json. */
export const MAX_PARAMS = 2 ** 27;

/** An upper bound of the weight count a model config builds (kernels of at most 5x5), computed without building it. */
export function approximateParams(m: ModelConfig): number {
  const d = m.height * m.width * m.channels;
  if (m.kind === 'mlp') {
    const sizes = [d, ...m.hidden];
    let n = 0;
    for (let i = 1; i < sizes.length; i++) n += 2 * (sizes[i - 1] + 1) * sizes[i]; // encoder and mirrored decoder
    const last = sizes[sizes.length - 1];
    return n + 3 * (last + 1) * m.latent + (m.latent + 1) * last;
  }
  const f = [m.channels, ...m.filters];
  let n = 0;
  for (let i = 1; i < f.length; i++) n += 2 * (25 * f[i - 1] + 1) * f[i];
  const flat = (m.height / 2 ** m.filters.length) * (m.width / 2 ** m.filters.length) * f[f.length - 1];
  return n + 3 * (flat + 1) * m.latent;
}

/** Bounds of the training options (run.json `training`, and the CLI's options before a run starts). */
export const TRAIN_LIMITS = { epochs: 1_000_000, batchSize: 65_536, seed: 2 ** 32 - 1 } as const;
const KL_MODES = ['analytic', 'monte-carlo'];
const BINARIZE = ['none', 'threshold', 'static', 'dynamic'];

/**
 * What is wrong with training options, as "field: problem", or null. The one check of them, shared
 * by run.json's reader and `trainRun` (so a bad CLI value and a hand-edited run.json are both refused).
 */
export function trainOptionsProblem(t: Record<string, unknown>): string | null {
  if (!isInt(t.epochs, 1) || (t.epochs as number) > TRAIN_LIMITS.epochs) return `epochs must be an integer in [1, ${TRAIN_LIMITS.epochs}] (got ${JSON.stringify(t.epochs)})`;
  if (!isInt(t.batchSize, 1) || (t.batchSize as number) > TRAIN_LIMITS.batchSize) return `batchSize must be an integer in [1, ${TRAIN_LIMITS.batchSize}] (got ${JSON.stringify(t.batchSize)})`;
  if (!(isNum(t.learningRate) && t.learningRate > 0)) return `learningRate must be a positive number (got ${JSON.stringify(t.learningRate)})`;
  if (!(isNum(t.beta) && t.beta >= 0)) return `beta must be a non-negative number (got ${JSON.stringify(t.beta)})`;
  if (!isInt(t.seed) || (t.seed as number) > TRAIN_LIMITS.seed) return `seed must be an integer in [0, ${TRAIN_LIMITS.seed}] (got ${JSON.stringify(t.seed)})`;
  if (!KL_MODES.includes(t.kl as string)) return `kl must be one of ${KL_MODES.join(', ')} (got ${JSON.stringify(t.kl)})`;
  if (!BINARIZE.includes(t.binarize as string)) return `binarize must be one of ${BINARIZE.join(', ')} (got ${JSON.stringify(t.binarize)})`;
  for (const k of ['warmup', 'freeBits'] as const) {
    if (t[k] !== undefined && !(isNum(t[k]) && (t[k] as number) >= 0)) return `${k} must be a non-negative number (got ${JSON.stringify(t[k])})`;
  }
  const c = t.corrupt;
  if (c !== undefined) {
    const ok = isObject(c) && ((c.kind === 'gaussian' && isNum(c.sigma) && c.sigma > 0) || (c.kind === 'mask' && isNum(c.p) && c.p > 0 && c.p < 1));
    if (!ok) return `corrupt must be {kind: 'gaussian', sigma > 0} or {kind: 'mask', 0 < p < 1} (got ${JSON.stringify(c).slice(0, 80)})`;
  }
  return null;
}

/** Parses and checks the text of a run.json (`file` names it in every error). */
export function parseRunJson(text: string, file: string): RunJson {
  const run = parseJsonText(text, file) as RunJson;
  const bad = (what: string): UserError => new UserError(`${file}: ${what}`);
  if (isObject(run) && (run as { format: unknown }).format === 'onnx') throw bad('an imported ONNX run: this command needs a run trained by vae-ts (ONNX runs work with sample, decode, encode, reconstruct, interpolate, traverse, serve and export-site)');
  if (!isObject(run) || run.format !== RUN_FORMAT) throw bad(`not a vae-ts run file (format field is not '${RUN_FORMAT}')`);
  if (run.version !== 1) throw bad(`run format version ${JSON.stringify(run.version)} is not supported (this vae-ts reads version 1)`);
  try {
    validateModelConfig(run.model);
  } catch (e) {
    throw bad(`model: ${(e as Error).message}`);
  }
  const params = approximateParams(run.model);
  if (!(params <= MAX_PARAMS)) throw bad(`model: about ${params.toExponential(1)} parameters, more than the ${MAX_PARAMS.toExponential(1)} a run may have (edited or damaged)`);
  const d = run.dataset as unknown;
  if (!isObject(d) || !(DATASET_NAMES as readonly unknown[]).includes(d.name)) throw bad(`dataset must name one of ${DATASET_NAMES.join(', ')}`);
  if (d.path !== undefined && typeof d.path !== 'string') throw bad('dataset.path must be a string');
  for (const k of ['seed', 'trainLimit', 'testLimit', 'height', 'width', 'channels'] as const) {
    if (d[k] !== undefined && !isInt(d[k])) throw bad(`dataset.${k} must be a non-negative integer`);
  }
  if (d.validation !== undefined && !(isNum(d.validation) && d.validation >= 0)) throw bad('dataset.validation must be a non-negative number');
  const t = run.training as unknown;
  if (!isObject(t) || !isInt(t.epochs, 1) || !isInt(t.batchSize, 1) || !(isNum(t.learningRate) && t.learningRate > 0) || !isNum(t.beta) ||
    !isInt(t.seed) || typeof t.kl !== 'string' || typeof t.binarize !== 'string') {
    throw bad('training must hold epochs, batchSize, learningRate, beta, kl, binarize and seed');
  }
  const problem = trainOptionsProblem(t);
  if (problem) throw bad(`training.${problem}`);
  if (!Array.isArray(run.history)) throw bad('history must be a list');
  run.history.forEach((h, i) => {
    if (!isObject(h) || !isInt(h.epoch, 1) || !isTerms(h.train) || !isTerms(h.validation)) throw bad(`history[${i}] is not an epoch record (epoch, train and validation losses)`);
  });
  if (!isInt(run.epochsDone)) throw bad('epochsDone must be a non-negative integer');
  if (!(run.bestEpoch === null || (isInt(run.bestEpoch, 1) && run.bestEpoch <= run.epochsDone))) throw bad(`bestEpoch must be null or an epoch in 1..${run.epochsDone}`);
  if (!(run.rngState === null || isRngState(run.rngState))) throw bad('rngState is not an RNG state');
  if (!STATUSES.includes(run.status)) throw bad(`status must be one of ${STATUSES.join(', ')}`);
  const p = run.partial as unknown;
  if (p !== undefined && p !== null) {
    if (!isObject(p) || p.epoch !== run.epochsDone + 1 || !isInt(p.steps, 1) || !isInt(p.step, 1) || p.step > p.steps || !isRngState(p.rng) ||
      !isRngState(p.epochRng) || !isTerms(p.sums) || typeof p.tag !== 'string' || !/^[\w-]+$/.test(p.tag)) {
      throw bad(`partial is not the state of an interrupted epoch ${run.epochsDone + 1}`);
    }
  }
  return run;
}

export function writeRun(dir: string, run: RunJson): void {
  run.updatedAt = new Date().toISOString();
  writeJsonAtomic(runFile(dir), run);
}

/** The tag of the files in state/ that run.json commits: the interrupted step, or the last epoch. */
export function stateTag(run: Pick<RunJson, 'partial' | 'epochsDone'>): string {
  return run.partial ? run.partial.tag : `e${run.epochsDone}`;
}

/** Loads the best-validation model of a run (or the last state with `which: 'last'`). */
export async function loadRunModel(dir: string, which: 'best' | 'last' = 'best'): Promise<{ run: RunJson; vae: Vae }> {
  const run = readRun(dir);
  if (which === 'best' && run.bestEpoch === null) {
    throw new UserError(`${dir}: no trained model yet (no epoch has finished); continue with \`${vaeCommand(`train --resume ${dir} --epochs N`)}\``);
  }
  const base = which === 'best' ? dir : path.join(dir, 'state');
  const tag = which === 'best' ? `e${run.bestEpoch}` : stateTag(run);
  // the weights run.json names; model.json may already name a newer file (a crash before run.json was written)
  const weights = (part: string): string | undefined => {
    const f = weightsFileName(tag);
    if (which === 'last' || fs.existsSync(path.join(base, part, f))) return f;
    return undefined; // a hand-made folder: whatever model.json names
  };
  const encoder = await loadModel(path.join(base, 'encoder'), weights('encoder'));
  let decoder: tf.LayersModel;
  try {
    decoder = await loadModel(path.join(base, 'decoder'), weights('decoder'));
  } catch (e) {
    encoder.dispose();
    throw e;
  }
  let prior: ReturnType<typeof loadPrior>;
  try {
    prior = loadPrior(base, run.model, tag);
  } catch (e) {
    encoder.dispose();
    decoder.dispose();
    throw e;
  }
  const vae = new Vae(run.model, encoder, decoder, prior);
  checkArchitecture(vae, run.model, dir);
  return { run, vae };
}

/** Removes the files of tags run.json no longer names (after it was written), and temporary files. */
export function pruneRun(dir: string, run: RunJson): void {
  const best = run.bestEpoch === null ? [] : [weightsFileName(`e${run.bestEpoch}`)];
  pruneFiles(path.join(dir, 'encoder'), WEIGHTS_FILE, best);
  pruneFiles(path.join(dir, 'decoder'), WEIGHTS_FILE, best);
  if (hasPriorFile(run.model)) pruneFiles(dir, PRIOR_FILE, run.bestEpoch === null ? [] : [priorFileName(`e${run.bestEpoch}`)]);
  if (run.epochsDone === 0 && !run.partial) return;
  const tag = stateTag(run);
  pruneFiles(path.join(dir, 'state', 'encoder'), WEIGHTS_FILE, [weightsFileName(tag)]);
  pruneFiles(path.join(dir, 'state', 'decoder'), WEIGHTS_FILE, [weightsFileName(tag)]);
  pruneFiles(path.join(dir, 'state'), tensorFilePattern('optimizer'), [`optimizer-${tag}.bin`]);
  if (hasPriorFile(run.model)) pruneFiles(path.join(dir, 'state'), PRIOR_FILE, [priorFileName(tag)]);
  pruneFiles(dir, /^$/, []); // temporary files only
}

/** A run folder's weights must match the architecture its run.json describes. */
function checkArchitecture(vae: Vae, config: ModelConfig, dir: string): void {
  const fresh = Vae.create(config, 0);
  const a = vae.encoder.getWeights().map((w) => w.shape.join('x'));
  const b = fresh.encoder.getWeights().map((w) => w.shape.join('x'));
  const c = vae.decoder.getWeights().map((w) => w.shape.join('x'));
  const d = fresh.decoder.getWeights().map((w) => w.shape.join('x'));
  fresh.dispose();
  if (a.join() !== b.join() || c.join() !== d.join()) {
    vae.dispose();
    const part = a.join() !== b.join() ? 'encoder' : 'decoder';
    const [got, want] = part === 'encoder' ? [a, b] : [c, d];
    const i = got.findIndex((g, k) => g !== want[k]);
    const detail = i < 0 ? `${got.length} weights, the model needs ${want.length}` : `weight ${i} has shape ${got[i] || 'scalar'}, the model needs ${want[i] ?? 'none'}`;
    throw new UserError(`${path.join(dir, part, 'model.json')}: the saved weights do not match the architecture in ${runFile(dir)} (${detail})`);
  }
}

/** Writes the best model (encoder/, decoder/) tagged e<epoch>; older files stay until `pruneRun`. */
export async function saveBest(dir: string, vae: Vae, epoch: number): Promise<void> {
  await saveModel(vae.encoder, path.join(dir, 'encoder'), `e${epoch}`, { prune: false });
  await saveModel(vae.decoder, path.join(dir, 'decoder'), `e${epoch}`, { prune: false });
  savePrior(dir, vae, `e${epoch}`);
}

/** Adam's running powers of beta1 and beta2: tfjs recomputes them with pow() on restore, which can differ in the last bit. */
const ACC_BETA = ['accBeta1', 'accBeta2'] as const;
type AdamInternals = Partial<Record<(typeof ACC_BETA)[number], tf.Variable>>;

/** Writes weights and Adam state to state/ under `tag` (e<epoch>, or e<epoch>s<step>); older files stay until `pruneRun`. */
export async function saveState(dir: string, vae: Vae, optimizer: tf.Optimizer, tag: string | number): Promise<void> {
  const name = typeof tag === 'number' ? `e${tag}` : tag;
  const state = path.join(dir, 'state');
  await saveModel(vae.encoder, path.join(state, 'encoder'), name, { prune: false });
  await saveModel(vae.decoder, path.join(state, 'decoder'), name, { prune: false });
  savePrior(state, vae, name);
  const weights = await optimizer.getWeights();
  const internals = optimizer as unknown as AdamInternals;
  for (const k of ACC_BETA) {
    const v = internals[k];
    if (v) weights.push({ name: `__${k}`, tensor: v });
  }
  await saveTensors(state, 'optimizer', name, weights, { prune: false });
}

/** Restores model weights and Adam state saved by `saveState` under the tag run.json commits. */
export async function loadState(dir: string, optimizer: tf.Optimizer): Promise<Vae> {
  const { run, vae } = await loadRunModel(dir, 'last');
  let tensors: ReturnType<typeof loadTensors>;
  try {
    tensors = loadTensors(path.join(dir, 'state'), 'optimizer', stateTag(run));
  } catch (e) {
    vae.dispose();
    throw e;
  }
  const acc = tensors.filter((t) => t.name.startsWith('__'));
  const moments = tensors.filter((t) => !t.name.startsWith('__'));
  await optimizer.setWeights(moments);
  const internals = optimizer as unknown as AdamInternals;
  for (const k of ACC_BETA) {
    const saved = acc.find((t) => t.name === `__${k}`);
    if (saved && internals[k]) internals[k].assign(saved.tensor);
  }
  // setWeights copies the moments into new variables; the loaded tensors are ours to free
  tf.dispose(tensors.map((t) => t.tensor));
  return vae;
}

export function latentGridFile(dir: string): string {
  return path.join(dir, 'latent-grid.json');
}

export function readLatentGrid(dir: string): LatentGridSnapshot | null {
  const file = latentGridFile(dir);
  if (!fs.existsSync(file)) return null;
  const grid = parseJsonText(readFileChecked(file).toString('utf8'), file) as LatentGridSnapshot;
  if (!isObject(grid) || !isInt(grid.n, 1) || !Array.isArray(grid.params) || !Array.isArray(grid.epochs) ||
    !grid.epochs.every((e) => isObject(e) && isInt(e.epoch) && Array.isArray(e.mu))) {
    throw new UserError(`${file}: not a latent-grid snapshot (n, params, epochs)`);
  }
  return grid;
}
