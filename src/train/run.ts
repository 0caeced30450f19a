/**
 * A run folder: everything about one trained model.
 *   run.json              config, dataset spec, options, per-epoch history, best epoch, backend, versions
 *   encoder/, decoder/    best-validation model, tfjs layers format (the browser loads these)
 *   state/                last epoch's encoder, decoder, Adam state (for --resume)
 *   latent-grid.json      per epoch: encoder means of the 10x10 parameter grid (2-D faces runs)
 * run.json is written last after every epoch: it is the commit point of the epoch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.js';
import { validateModelConfig, type ModelConfig } from '../models/config.js';
import { Vae } from '../models/vae.js';
import type { DatasetSpec } from '../data/load.js';
import type { RngState } from '../math/rng.js';
import type { EpochRecord } from './history.js';
import type { TrainOptions } from './trainer.js';
import { loadModel, loadTensors, saveModel, saveTensors } from './checkpoint.js';
import { writeJsonAtomic } from './files.js';

export const RUN_FORMAT = 'vae-ts-run';

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
  status: 'running' | 'done' | 'diverged' | 'interrupted';
  createdAt: string;
  updatedAt: string;
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

export function readRun(dir: string): RunJson {
  const file = runFile(dir);
  if (!fs.existsSync(dir)) throw new UserError(`run folder ${dir} does not exist`);
  if (!fs.existsSync(file)) throw new UserError(`${file}: missing — ${dir} is not a run folder (train one with \`vae train\`)`);
  let run: RunJson;
  try {
    run = JSON.parse(fs.readFileSync(file, 'utf8')) as RunJson;
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (run === null || typeof run !== 'object' || run.format !== RUN_FORMAT) throw new UserError(`${file}: not a vae-ts run file (format field is not '${RUN_FORMAT}')`);
  try {
    validateModelConfig(run.model);
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
  if (!Array.isArray(run.history)) throw new UserError(`${file}: history must be a list`);
  return run;
}

export function writeRun(dir: string, run: RunJson): void {
  run.updatedAt = new Date().toISOString();
  writeJsonAtomic(runFile(dir), run);
}

/** Loads the best-validation model of a run (or the last state with `which: 'last'`). */
export async function loadRunModel(dir: string, which: 'best' | 'last' = 'best'): Promise<{ run: RunJson; vae: Vae }> {
  const run = readRun(dir);
  const base = which === 'best' ? dir : path.join(dir, 'state');
  const encoder = await loadModel(path.join(base, 'encoder'));
  const decoder = await loadModel(path.join(base, 'decoder'));
  const vae = new Vae(run.model, encoder, decoder);
  checkArchitecture(vae, run.model, dir);
  return { run, vae };
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
    throw new UserError(`${dir}: the saved weights do not match the architecture in run.json`);
  }
}

export async function saveBest(dir: string, vae: Vae, epoch: number): Promise<void> {
  await saveModel(vae.encoder, path.join(dir, 'encoder'), `e${epoch}`);
  await saveModel(vae.decoder, path.join(dir, 'decoder'), `e${epoch}`);
}

export async function saveState(dir: string, vae: Vae, optimizer: tf.Optimizer, epoch: number): Promise<void> {
  const state = path.join(dir, 'state');
  await saveModel(vae.encoder, path.join(state, 'encoder'), `e${epoch}`);
  await saveModel(vae.decoder, path.join(state, 'decoder'), `e${epoch}`);
  const weights = await optimizer.getWeights();
  await saveTensors(state, 'optimizer', `e${epoch}`, weights);
}

/** Restores model weights and Adam state saved by `saveState`. */
export async function loadState(dir: string, optimizer: tf.Optimizer): Promise<Vae> {
  const { vae } = await loadRunModel(dir, 'last');
  const tensors = loadTensors(path.join(dir, 'state'), 'optimizer');
  await optimizer.setWeights(tensors);
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
  return JSON.parse(fs.readFileSync(file, 'utf8')) as LatentGridSnapshot;
}
