/**
 * Trains a VAE in a Web Worker with our Trainer (src/train/trainer.ts), so the page stays
 * responsive. The protocol is in protocol.ts. Runs on the WebAssembly backend with our kernels
 * (the stock wasm backend has no Conv2DBackpropFilter), falling back to cpu and saying so.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../src/engine/kernels/register.js';
import type { Dataset, ImageSet } from '../../src/data/dataset.js';
import { generateFaces, parameterGrid, renderParams } from '../../src/data/faces.js';
import { Vae } from '../../src/models/vae.js';
import { Trainer } from '../../src/train/trainer.js';
import type { DatasetSpec } from '../../src/data/load.js';
import { decodeMnistSubset, subsetSpec, toFloatImages, type LabelledSplit } from '../data/mnistSubset.js';
import { modelFiles } from './modelFiles.js';
import type { FromWorker, ModelFiles, StartMessage, TrainBackend, TrainJob } from './protocol.js';

const GRID_N = 10;

const post = (m: FromWorker, transfer: Transferable[] = []): void => (self as unknown as Worker).postMessage(m, transfer);
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** wasm with our kernels, else cpu; `note` says why wasm did not start. */
async function startBackend(want: TrainBackend, wasmBase: string): Promise<{ backend: TrainBackend; note: string | null }> {
  let note: string | null = null;
  if (want === 'wasm') {
    try {
      setWasmPaths(wasmBase);
      registerWasmKernels();
      const ok = await tf.setBackend('wasm');
      await tf.ready();
      if (ok && tf.getBackend() === 'wasm') return { backend: 'wasm', note: null };
      note = 'the WebAssembly backend is not available here';
    } catch (e) {
      note = `the WebAssembly backend failed to start (${message(e)})`;
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  if (tf.getBackend() !== 'cpu') throw new Error(`no tensor backend could start${note ? ` (${note})` : ''}`);
  return { backend: 'cpu', note };
}

/** The first `limit` images of a set (all when limit is undefined or larger). */
function limitSet(set: ImageSet, size: number, limit: number | undefined): ImageSet {
  if (limit === undefined || limit >= set.count) return set;
  return {
    images: set.images.slice(0, limit * size),
    count: limit,
    ...(set.labels && { labels: set.labels.slice(0, limit) }),
    ...(set.params && { params: set.params.slice(0, limit * 2) }),
  };
}

async function loadData(job: TrainJob, mnistUrl: string): Promise<{ data: Dataset; spec: DatasetSpec }> {
  let d: Dataset;
  let spec: DatasetSpec;
  if (job.dataset === 'faces') {
    d = generateFaces({ seed: job.dataSeed });
    spec = { name: 'faces', seed: job.dataSeed };
  } else {
    const res = await fetch(mnistUrl);
    if (!res.ok) throw new Error(`${mnistUrl}: HTTP ${res.status} (the MNIST subset is written by \`npm run build:web\`)`);
    const s = await decodeMnistSubset(new Uint8Array(await res.arrayBuffer()));
    const set = (x: LabelledSplit): ImageSet => ({ images: toFloatImages(x), count: x.count, labels: x.labels.slice() });
    d = {
      name: 'mnist', height: s.height, width: s.width, channels: 1,
      train: set(s.train), validation: set(s.validation), test: set(s.test),
      classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    };
    spec = subsetSpec(s);
  }
  const train = limitSet(d.train, d.height * d.width * d.channels, job.trainLimit);
  if (train.count < d.train.count) spec = { ...spec, trainLimit: train.count };
  return { data: { ...d, train }, spec };
}

function gridMeans(vae: Vae, images: Float32Array): number[] {
  return tf.tidy(() => Array.from(vae.encode(tf.tensor4d(images, [GRID_N * GRID_N, ...vae.imageShape])).mu.dataSync()));
}

async function train(msg: StartMessage): Promise<void> {
  const { job } = msg;
  tf.env().set('PROD', true); // no per-op debug checks (as the CLI)
  post({ type: 'backend', ...(await startBackend(msg.backend ?? 'wasm', msg.wasmBase)) });
  const { data, spec } = await loadData(job, msg.mnistUrl);
  const vae = Vae.create(job.model, job.options.seed);
  const trainer = new Trainer(vae, data, job.options);
  const tracksGrid = job.dataset === 'faces' && job.model.latent === 2;
  const gridParams = tracksGrid ? parameterGrid(GRID_N) : null;
  const gridImages = gridParams ? renderParams(gridParams) : null;
  post({
    type: 'data',
    spec,
    train: data.train.count,
    validation: data.validation.count,
    stepsPerEpoch: Math.ceil(data.train.count / job.options.batchSize),
    paramCounts: vae.paramCounts(),
    grid: gridParams && gridImages ? { n: GRID_N, params: Array.from(gridParams), initial: { epoch: 0, mu: gridMeans(vae, gridImages) } } : null,
  });
  let best = Infinity;
  for (let epoch = 1; epoch <= job.options.epochs; epoch++) {
    const start = performance.now();
    const record = trainer.trainEpoch(epoch, (s) => {
      const seconds = (performance.now() - start) / 1000;
      const images = Math.min(s.step * job.options.batchSize, data.train.count);
      post({ type: 'step', epoch, step: s.step, steps: s.steps, loss: s.loss, imagesPerSecond: images / Math.max(seconds, 1e-6) });
    });
    const grid = gridImages ? { epoch, mu: gridMeans(vae, gridImages) } : null;
    let files: { encoder: ModelFiles; decoder: ModelFiles } | null = null;
    if (record.validation.loss < best) {
      best = record.validation.loss;
      files = { encoder: await modelFiles(vae.encoder), decoder: await modelFiles(vae.decoder) };
    }
    post({ type: 'epoch', record, grid, best: files }, files ? [files.encoder.weightData, files.decoder.weightData] : []);
  }
  trainer.optimizer.dispose();
  vae.dispose();
  post({ type: 'done' });
}

let started = false;
self.onmessage = (e: MessageEvent<StartMessage>) => {
  if (e.data?.type !== 'start' || started) return;
  started = true;
  train(e.data).catch((err: unknown) => post({ type: 'error', message: message(err) }));
};
