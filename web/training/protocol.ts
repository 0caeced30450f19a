/**
 * The messages between the page and the training worker (trainWorker.ts). The page sends one
 * `start`; the worker answers with `backend`, `data`, then a `step` per minibatch and an `epoch`
 * per finished epoch (carrying the best-so-far weights whenever the validation loss improved), and
 * finally `done` or `error`. Stopping is `Worker.terminate()`: an epoch is one synchronous loop in
 * our Trainer, so a message could not interrupt it; the page keeps what the finished epochs sent.
 */
import type { io } from '@tensorflow/tfjs';
import type { DatasetSpec } from '../../src/data/load.js';
import type { ModelConfig } from '../../src/models/config.js';
import type { EpochRecord } from '../../src/train/history.js';
import type { TrainOptions } from '../../src/train/trainer.js';

export type TrainDataset = 'faces' | 'mnist';
export type TrainBackend = 'wasm' | 'cpu';

/** One model in the tfjs layers format, in memory: model.json's fields plus the weight bytes. */
export interface ModelFiles {
  modelTopology: object;
  weightSpecs: io.WeightsManifestEntry[];
  /** All weights, concatenated in weightSpecs order (little-endian float32). */
  weightData: ArrayBuffer;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
}

export interface TrainJob {
  dataset: TrainDataset;
  model: ModelConfig;
  options: TrainOptions;
  /** At most this many training images (the first ones); all when absent. */
  trainLimit?: number;
  /** Seed of the faces' generating parameters (the dataset, not the training run). */
  dataSeed: number;
}

export interface StartMessage {
  type: 'start';
  job: TrainJob;
  /** Absolute URL of the folder holding tfjs's .wasm files (as web/backend.ts sets it). */
  wasmBase: string;
  /** Absolute URL of the MNIST subset (web/data/mnistSubset.ts). */
  mnistUrl: string;
  /** The backend to use; default wasm, falling back to cpu. */
  backend?: TrainBackend;
}

export type ToWorker = StartMessage;

export interface LatentGridEpoch {
  epoch: number;
  /** Encoder means of the parameter grid, n·n·latent values. */
  mu: number[];
}

export type FromWorker =
  /** The backend training runs on; `note` says why it is not the one asked for. */
  | { type: 'backend'; backend: TrainBackend; note: string | null }
  /** The data is ready: split sizes, steps per epoch, parameter counts, the untrained latent grid. */
  | {
      type: 'data';
      /** The data as the CLI would name it (run.json's dataset field). */
      spec: DatasetSpec;
      train: number;
      validation: number;
      stepsPerEpoch: number;
      paramCounts: { encoder: number; decoder: number };
      /** 2-D faces runs: the 10×10 parameter grid ((size, hue) pairs) and its encoding before training. */
      grid: { n: number; params: number[]; initial: LatentGridEpoch } | null;
    }
  | { type: 'step'; epoch: number; step: number; steps: number; loss: number; imagesPerSecond: number }
  | {
      type: 'epoch';
      record: EpochRecord;
      grid: LatentGridEpoch | null;
      /** The weights after this epoch when its validation loss is the lowest so far, else null. */
      best: { encoder: ModelFiles; decoder: ModelFiles } | null;
    }
  | { type: 'done' }
  | { type: 'error'; message: string };
