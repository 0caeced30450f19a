/**
 * Runs that live in the page (trained here, or loaded from a file) and their one-file form,
 * NAME.vaerun.json, which the training panel downloads and loads back.
 *
 * NAME.vaerun.json (UTF-8 JSON, version 1):
 *   {
 *     "format": "vae-ts-run-file", "version": 1,
 *     "run": {                        the fields of the CLI's run.json that describe the result
 *       "name", "dataset" (DatasetSpec), "model" (ModelConfig), "training" (TrainOptions),
 *       "history" (EpochRecord per epoch), "bestEpoch", "epochsDone",
 *       "status" ('done' | 'interrupted' | …), "backend", "createdAt", "paramCounts"
 *     },
 *     "latentGrid": null | { "n", "params": n·n·2 numbers, "epochs": [{ "epoch", "mu": n·n·latent numbers }] },
 *     "encoder": MODEL, "decoder": MODEL
 *   }
 * where MODEL is a tfjs layers model.json with its weights inline:
 *   { "modelTopology", "weightSpecs": [{ "name", "shape", "dtype": "float32" }],
 *     "weightData": base64 of the float32 little-endian weights in weightSpecs order,
 *     "format", "generatedBy", "convertedBy" }
 * The weights are those of the best validation epoch (as a run folder's encoder/ and decoder/).
 * Losses are nats per example, −ELBO = reconstruction + KL (see README).
 *
 * No Node and no tfjs imports: encode/decode run in the page and in Node tests alike.
 */
import { validateModelConfig, type ModelConfig } from '../../src/models/config.js';
import type { DatasetSpec } from '../../src/data/load.js';
import type { EpochRecord } from '../../src/train/history.js';
import type { LatentGridSnapshot, RunJson } from '../../src/train/run.js';
import type { TrainOptions } from '../../src/train/trainer.js';
import type { RunSummary } from '../../src/server/runs.js';
import type { ModelFiles } from './protocol.js';

export const RUN_FILE_FORMAT = 'vae-ts-run-file';
export const RUN_FILE_VERSION = 1;
export const RUN_FILE_SUFFIX = '.vaerun.json';

/** What a run file says about its run (a subset of run.json). */
export interface RunInfo {
  name: string;
  dataset: DatasetSpec;
  model: ModelConfig;
  training: TrainOptions;
  history: EpochRecord[];
  /** Epoch whose weights the file holds. */
  bestEpoch: number;
  epochsDone: number;
  status: RunJson['status'];
  backend: string;
  createdAt: string;
  paramCounts: { encoder: number; decoder: number };
}

/** A run held in the page: its description, latent-grid snapshots and both models. */
export interface LocalRun {
  info: RunInfo;
  latentGrid: LatentGridSnapshot | null;
  encoder: ModelFiles;
  decoder: ModelFiles;
}

/** A file that is not a valid run file; the message names the problem. */
export class RunFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunFileError';
  }
}

/** The summary the App and the widgets use (as /api/runs gives for served runs; no URLs). */
export function localSummary(run: LocalRun): RunSummary {
  const i = run.info;
  return {
    name: i.name, dataset: i.dataset, model: i.model, training: i.training, history: i.history,
    bestEpoch: i.bestEpoch, epochsDone: i.epochsDone, status: i.status, hasModel: true,
    hasLatentGrid: run.latentGrid !== null,
    // the models and the latent grid are in memory (App.addLocalRun), not behind URLs
    urls: { run: '', encoder: '', decoder: '', latentGrid: null, testset: null },
  };
}

/** A name made of letters, digits, '.', '_' and '-' (as served run names). */
export function safeRunName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 80) || 'run';
}

// ---- base64 (chunked: String.fromCharCode takes a limited number of arguments) ----

export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function base64ToBytes(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function encodeModel(m: ModelFiles): object {
  return {
    format: m.format, generatedBy: m.generatedBy, convertedBy: m.convertedBy ?? null,
    modelTopology: m.modelTopology, weightSpecs: m.weightSpecs,
    weightData: bytesToBase64(new Uint8Array(m.weightData)),
  };
}

/** The run as the text of a NAME.vaerun.json file. */
export function encodeRunFile(run: LocalRun): string {
  return JSON.stringify({
    format: RUN_FILE_FORMAT, version: RUN_FILE_VERSION, run: run.info, latentGrid: run.latentGrid,
    encoder: encodeModel(run.encoder), decoder: encodeModel(run.decoder),
  });
}

export function runFileName(run: LocalRun): string {
  return `${safeRunName(run.info.name)}${RUN_FILE_SUFFIX}`;
}

// ---- decoding with validation ----

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown, min = 0): v is number => Number.isInteger(v) && (v as number) >= min;
const isNumList = (v: unknown, n: number): boolean => Array.isArray(v) && v.length === n && v.every(isNum);

function fail(where: string, msg: string): never {
  throw new RunFileError(`${where}: ${msg}`);
}

function decodeModel(v: unknown, where: string): ModelFiles {
  if (!isObj(v)) fail(where, 'missing (expected a tfjs model with inline weights)');
  if (!isObj(v.modelTopology)) fail(where, 'modelTopology must be an object');
  if (!Array.isArray(v.weightSpecs) || v.weightSpecs.length === 0) fail(where, 'weightSpecs must be a non-empty list');
  let bytes = 0;
  v.weightSpecs.forEach((s: unknown, i) => {
    if (!isObj(s) || typeof s.name !== 'string' || !Array.isArray(s.shape) || !s.shape.every((d) => isInt(d))) {
      fail(where, `weightSpecs[${i}] must have a name and a shape of non-negative integers`);
    }
    if (s.dtype !== 'float32') fail(where, `weightSpecs[${i}] (${s.name}) has dtype ${JSON.stringify(s.dtype)}, only float32 is supported`);
    bytes += 4 * (s.shape as number[]).reduce((a, d) => a * d, 1);
  });
  if (typeof v.weightData !== 'string') fail(where, 'weightData must be a base64 string');
  let data: Uint8Array;
  try {
    data = base64ToBytes(v.weightData);
  } catch {
    fail(where, 'weightData is not valid base64');
  }
  if (data.length !== bytes) fail(where, `weightData holds ${data.length} bytes, the weightSpecs need ${bytes}`);
  return {
    modelTopology: v.modelTopology,
    weightSpecs: v.weightSpecs as ModelFiles['weightSpecs'],
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer,
    format: typeof v.format === 'string' ? v.format : undefined,
    generatedBy: typeof v.generatedBy === 'string' ? v.generatedBy : undefined,
    convertedBy: typeof v.convertedBy === 'string' ? v.convertedBy : null,
  };
}

function decodeHistory(v: unknown): EpochRecord[] {
  if (!Array.isArray(v) || v.length === 0) fail('run.history', 'must be a non-empty list of epochs');
  const terms = (t: unknown): boolean => isObj(t) && isNum(t.loss) && isNum(t.reconstruction) && isNum(t.kl);
  v.forEach((r: unknown, i) => {
    if (!isObj(r) || !isInt(r.epoch, 1) || !terms(r.train) || !terms(r.validation)) {
      fail(`run.history[${i}]`, 'needs an epoch ≥ 1 and train/validation loss, reconstruction and kl numbers');
    }
  });
  return v as EpochRecord[];
}

function decodeGrid(v: unknown, latent: number): LatentGridSnapshot | null {
  if (v === null || v === undefined) return null;
  if (!isObj(v) || !isInt(v.n, 1)) fail('latentGrid', 'must be null or an object with a grid side n');
  const n = v.n;
  if (!isNumList(v.params, n * n * 2)) fail('latentGrid.params', `must hold ${n * n * 2} numbers`);
  if (!Array.isArray(v.epochs)) fail('latentGrid.epochs', 'must be a list');
  v.epochs.forEach((e: unknown, i) => {
    if (!isObj(e) || !isInt(e.epoch) || !isNumList(e.mu, n * n * latent)) fail(`latentGrid.epochs[${i}]`, `needs an epoch and ${n * n * latent} means`);
  });
  return v as unknown as LatentGridSnapshot;
}

/** Parses and checks the text of a run file; throws RunFileError naming the first problem. */
export function decodeRunFile(text: string): LocalRun {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new RunFileError(`not a run file: the text is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isObj(j) || j.format !== RUN_FILE_FORMAT) {
    throw new RunFileError(`not a vae-ts run file (format is ${isObj(j) ? JSON.stringify(j.format) : 'missing'}, expected "${RUN_FILE_FORMAT}")`);
  }
  if (j.version !== RUN_FILE_VERSION) fail('version', `${JSON.stringify(j.version)} is not supported (this page reads version ${RUN_FILE_VERSION})`);
  const r = j.run;
  if (!isObj(r)) fail('run', 'missing');
  if (typeof r.name !== 'string' || r.name.trim() === '') fail('run.name', 'must be a non-empty string');
  let model: ModelConfig;
  try {
    model = validateModelConfig(r.model);
  } catch (e) {
    fail('run.model', e instanceof Error ? e.message : String(e));
  }
  if (!isObj(r.dataset) || typeof r.dataset.name !== 'string') fail('run.dataset', 'must name its dataset');
  const t = r.training;
  if (!isObj(t) || !isInt(t.epochs, 1) || !isInt(t.batchSize, 1) || !isNum(t.learningRate) || !isInt(t.seed)) {
    fail('run.training', 'needs epochs, batchSize, learningRate and seed');
  }
  const history = decodeHistory(r.history);
  if (!isInt(r.bestEpoch, 1) || !history.some((h) => h.epoch === r.bestEpoch)) fail('run.bestEpoch', 'must be one of the epochs in the history');
  const counts = isObj(r.paramCounts) && isInt(r.paramCounts.encoder) && isInt(r.paramCounts.decoder)
    ? { encoder: r.paramCounts.encoder, decoder: r.paramCounts.decoder } : { encoder: 0, decoder: 0 };
  const statuses: RunJson['status'][] = ['running', 'done', 'diverged', 'interrupted'];
  const info: RunInfo = {
    name: r.name.trim(),
    dataset: r.dataset as unknown as DatasetSpec,
    model,
    training: t as unknown as TrainOptions,
    history,
    bestEpoch: r.bestEpoch,
    epochsDone: isInt(r.epochsDone) ? r.epochsDone : history[history.length - 1].epoch,
    status: statuses.includes(r.status as RunJson['status']) ? (r.status as RunJson['status']) : 'done',
    backend: typeof r.backend === 'string' ? r.backend : 'unknown',
    createdAt: typeof r.createdAt === 'string' ? r.createdAt : '',
    paramCounts: counts,
  };
  return {
    info,
    latentGrid: decodeGrid(j.latentGrid, model.latent),
    encoder: decodeModel(j.encoder, 'encoder'),
    decoder: decodeModel(j.decoder, 'decoder'),
  };
}
