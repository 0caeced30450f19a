/**
 * Trains a run folder from scratch or resumes it: the loop over epochs around `Trainer`, with
 * checkpoints (best + last state), history, and the latent-grid snapshots of 2-D faces runs.
 * With an AbortSignal it stops between two steps once the signal fires, saves that step's
 * weights, Adam state and RNG state (run.json `partial`), and returns the run with status
 * 'interrupted'; `resume` continues it bit for bit.
 */
import * as fs from 'node:fs';
import * as tf from '../engine/tfjs.js';
import { UserError } from '../errors.js';
import { vaeCommand } from '../command.js';
import type { Dataset } from '../data/dataset.js';
import { loadDataset, type DatasetSpec } from '../data/load.js';
import { parameterGrid, renderParams } from '../data/faces.js';
import type { ModelConfig } from '../models/config.js';
import { Vae } from '../models/vae.js';
import type { EpochRecord } from './history.js';
import { DivergedError, Trainer, type EpochProgress, type StepInfo, type TrainOptions } from './trainer.js';
import { writeJsonAtomic } from './files.js';
import { validateModelConfig } from '../models/config.js';
import { isWriteError, writeErrorText } from '../data/files.js';
import { lockRunFolder } from './lock.js';
import {
  MAX_PARAMS, RUN_FORMAT, approximateParams, trainOptionsProblem, latentGridFile, loadState, pruneRun, readLatentGrid, readRun, runFile, saveBest, saveState, writeRun,
  type LatentGridSnapshot, type RunJson,
} from './run.js';

/** Arguments of `trainRun`. */
export interface TrainRunArgs {
  dir: string;
  model: ModelConfig;
  dataset: DatasetSpec;
  options: TrainOptions;
  /** Continue the run in `dir` from its saved state (weights, Adam, epoch, RNG). */
  resume?: boolean;
  /** Already loaded data (tests, or a caller that loaded it to show a preview). */
  data?: Dataset;
  /** `engine`: the label of the engine chosen for the run (e.g. 'native (OpenBLAS 0.3.21, 2 threads)'). */
  onStart?(info: { run: RunJson; data: Dataset; startEpoch: number; engine: string }): void;
  /** Called after every step. */
  onStep?(s: StepInfo): void;
  /** Called after every epoch, once its checkpoint is saved. */
  onEpoch?(rec: EpochRecord, run: RunJson): void;
  /** Resuming: a new learning rate (e.g. after the run diverged); otherwise the saved one is kept. */
  learningRate?: number;
  /** Stop between two steps once this fires (Ctrl-C): the state of that step is saved for --resume. */
  signal?: AbortSignal;
}

/** Lets pending events (a signal handler) run between two synchronous training steps. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const GRID_N = 10;

/** Whether the run records the parameter-grid encodings every epoch (2-D faces runs). */
export function tracksLatentGrid(run: Pick<RunJson, 'model' | 'dataset'>): boolean {
  return run.dataset.name === 'faces' && run.model.latent === 2;
}

function encodeGridMeans(vae: Vae, gridImages: Float32Array): number[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(gridImages, [GRID_N * GRID_N, ...vae.imageShape]);
    return Array.from(vae.encode(x).mu.dataSync());
  });
}

/** run.json's `backend`: 'native' when the native engine runs the steps, else tfjs's backend. */
function engineBackend(trainer: Trainer): string {
  return trainer.engine.name === 'native' ? 'native' : tf.getBackend();
}

/** Trains into the run folder `dir` (or continues it with `resume`): checkpoints and run.json after every epoch, the best-validation model in encoder/ and decoder/; returns the final run.json. */
export async function trainRun(args: TrainRunArgs): Promise<RunJson> {
  const { dir } = args;
  if (!args.resume) checkNewRun(args);
  // one writer per run folder; taking the lock also proves the folder writable before any work
  const created = !fs.existsSync(dir);
  const lock = lockRunFolder(dir, args.resume ? 'vae train --resume' : 'vae train');
  let committed = false;
  try {
    const run = await trainLocked(args, () => {
      committed = true;
    });
    return run;
  } catch (e) {
    if (!committed && created) fs.rmSync(dir, { recursive: true, force: true }); // nothing of a run was written: leave no empty folder
    if (isWriteError(e)) {
      // disk full, read-only, permission: the last committed epoch stays loadable; say so in run.json if it can still be written
      let note = '';
      try {
        const saved = readRun(dir);
        if (saved.status === 'running') {
          saved.status = 'interrupted';
          writeRun(dir, saved);
        }
        note = saved.epochsDone > 0 ? `; the run keeps its last good checkpoint (epoch ${saved.epochsDone}): free space or fix the folder, then vae train --resume ${dir} --epochs ${saved.training.epochs}` : '';
      } catch {
        // run.json itself cannot be read or written: it stays as last committed
      }
      throw new UserError(`${writeErrorText(e)}${note}`);
    }
    throw e;
  } finally {
    lock.release();
  }
}

/** Checks a new run's model and options before anything is created (a bad one leaves no folder behind). */
function checkNewRun(args: TrainRunArgs): void {
  try {
    validateModelConfig(args.model);
  } catch (e) {
    throw new UserError(`model: ${(e as Error).message}`);
  }
  const params = approximateParams(args.model);
  if (!(params <= MAX_PARAMS)) throw new UserError(`model: about ${params.toExponential(1)} parameters, more than the ${MAX_PARAMS.toExponential(1)} a run may have`);
  const problem = trainOptionsProblem(args.options as unknown as Record<string, unknown>);
  if (problem) throw new UserError(`training option ${problem}`);
}

async function trainLocked(args: TrainRunArgs, onCommit: () => void): Promise<RunJson> {
  const { dir, options } = args;
  let run: RunJson;
  let vae: Vae;
  const data = args.data ?? (await loadDataset(args.resume ? readRun(dir).dataset : args.dataset));
  if (data.validation.count === 0) {
    throw new UserError(`${data.name}: no validation images (${data.train.count} training images, 0 for validation): ` +
      'the best epoch is chosen on validation loss, so training needs at least one; add images or raise --validation');
  }
  let trainer: Trainer;

  if (args.resume) {
    onCommit(); // an existing run: never removed
    run = readRun(dir);
    if (run.epochsDone > 0 && !run.rngState) throw new UserError(`${runFile(dir)}: cannot resume (no RNG state saved after epoch ${run.epochsDone})`);
    if (options.epochs <= run.epochsDone) {
      throw new UserError(`run ${dir} already has ${run.epochsDone} epochs; pass --epochs N with N > ${run.epochsDone} to continue`);
    }
    // the saved options win, except the new total epoch count
    run.training = { ...run.training, epochs: options.epochs, ...(args.learningRate !== undefined ? { learningRate: args.learningRate } : {}) };
    run.status = 'running';
    if (run.epochsDone === 0 && !run.partial) {
      // stopped before anything was saved: start over exactly as a fresh run does
      vae = Vae.create(run.model, run.training.seed);
      trainer = new Trainer(vae, data, run.training);
    } else {
      const optimizer = tf.train.adam(run.training.learningRate);
      vae = await loadState(dir, optimizer);
      trainer = new Trainer(vae, data, run.training, optimizer);
      if (run.rngState) trainer.rng.setState(run.rngState);
    }
  } else {
    if (fs.existsSync(runFile(dir))) {
      throw new UserError(`${dir} already holds a run; use --resume to continue it or choose another --out`);
    }
    fs.mkdirSync(dir, { recursive: true });
    vae = Vae.create(args.model, options.seed);
    trainer = new Trainer(vae, data, options);
    run = {
      format: RUN_FORMAT, version: 1, model: args.model, dataset: args.dataset, training: options,
      backend: engineBackend(trainer), versions: { tfjs: tf.version.tfjs, node: process.version },
      paramCounts: vae.paramCounts(), history: [], bestEpoch: null, epochsDone: 0, rngState: null,
      status: 'running', createdAt: new Date().toISOString(), updatedAt: '',
    };
    writeRun(dir, run);
    onCommit();
  }
  run.backend = engineBackend(trainer);

  const trackGrid = tracksLatentGrid(run);
  const gridParams = trackGrid ? parameterGrid(GRID_N) : null;
  const gridImages = gridParams ? renderParams(gridParams) : null;
  let grid: LatentGridSnapshot | null = null;
  if (trackGrid && gridParams && gridImages) {
    grid = (args.resume ? readLatentGrid(dir) : null) ?? { n: GRID_N, params: Array.from(gridParams), epochs: [] };
    grid.epochs = grid.epochs.filter((e) => e.epoch <= run.epochsDone);
    if (grid.epochs.length === 0) grid.epochs.push({ epoch: 0, mu: encodeGridMeans(vae, gridImages) });
    writeJsonAtomic(latentGridFile(dir), grid);
  }

  args.onStart?.({ run, data, startEpoch: run.epochsDone + 1, engine: trainer.engine.label });
  let stopped: EpochProgress | null = null;
  try {
    for (let epoch = run.epochsDone + 1; epoch <= run.training.epochs; epoch++) {
      const from = run.partial?.epoch === epoch ? run.partial : undefined;
      const steps = trainer.epochSteps(epoch, args.onStep, from);
      let r = steps.next();
      while (!r.done) {
        if (args.signal) {
          await yieldToEventLoop();
          if (args.signal.aborted) {
            stopped = r.value;
            break;
          }
        }
        r = steps.next();
      }
      if (r.done !== true) break;
      const rec = r.value;
      run.history = run.history.filter((h) => h.epoch < epoch);
      run.history.push(rec);
      const best = run.bestEpoch === null ? Infinity : (run.history.find((h) => h.epoch === run.bestEpoch)?.validation.loss ?? Infinity);
      if (rec.validation.loss < best) {
        await saveBest(dir, vae, epoch);
        run.bestEpoch = epoch;
      }
      await saveState(dir, vae, trainer.optimizer, epoch);
      if (grid && gridImages) {
        grid.epochs.push({ epoch, mu: encodeGridMeans(vae, gridImages) });
        writeJsonAtomic(latentGridFile(dir), grid);
      }
      run.epochsDone = epoch;
      run.rngState = trainer.getRngState();
      run.partial = null;
      if (epoch === run.training.epochs) run.status = 'done';
      writeRun(dir, run);
      pruneRun(dir, run);
      args.onEpoch?.(rec, run);
    }
    if (stopped) {
      // the state of the last finished step; run.json (the commit point) names it last
      const tag = `e${stopped.epoch}s${stopped.step}`;
      await saveState(dir, vae, trainer.optimizer, tag);
      run.partial = { ...stopped, tag };
      run.status = 'interrupted';
      writeRun(dir, run);
      pruneRun(dir, run);
    }
  } catch (e) {
    if (e instanceof DivergedError) {
      // leave the last good checkpoint untouched; only mark the run
      const saved = readRun(dir);
      saved.status = 'diverged';
      writeRun(dir, saved);
      // the advice must work as typed: --resume keeps the saved options, except a new --lr
      const lr = run.training.learningRate;
      e.message = `${e.message.split(' The last good checkpoint')[0]} ` +
        `${saved.bestEpoch === null ? 'No epoch had finished, so there is no checkpoint to keep.' : `The last good checkpoint (epoch ${saved.epochsDone}; best epoch ${saved.bestEpoch}) is kept.`} ` +
        `Try a smaller --lr: ${vaeCommand(`train --resume ${dir} --epochs ${run.training.epochs} --lr ${lr / 10}`)}`;
    }
    throw e;
  } finally {
    trainer.optimizer.dispose();
    vae.dispose();
  }
  return run;
}
