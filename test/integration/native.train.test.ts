/**
 * The native path in the trainer and the CLI: epochs trained through our C step agree with epochs
 * trained by tfjs on wasm from the same weights, data, eps and shuffling (MNIST MLP with dynamic
 * binarisation and denoising, a small conv model); the tensor count stays put; objectives the C
 * step does not implement (free bits) stay on tfjs; and `vae train` uses the native path by
 * default, or says once that it is missing and trains on wasm (VAE_NATIVE=0 stands in for a
 * machine without the addon). Skipped, with the reason printed, where the addon is not built.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../src/engine/backend.js';
import { loadNativeAddon } from '../../src/engine/native/addon.js';
import { loadDataset } from '../../src/data/load.js';
import type { Dataset } from '../../src/data/dataset.js';
import { MLP_400_20, SEED000_CONV, type ModelConfig } from '../../src/models/config.js';
import { Vae } from '../../src/models/vae.js';
import { DEFAULT_TRAIN_OPTIONS, Trainer, type TrainOptions } from '../../src/train/trainer.js';
import type { EpochRecord } from '../../src/train/history.js';

const native = loadNativeAddon();
if (!native.addon) console.log(`native training tests skipped: ${native.reason}`);

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'vae.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-native-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Result { status: number | null; stdout: string; stderr: string }
function vae(env: Record<string, string>, ...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

/** Trains `epochs` epochs on `backend` from the weights of seed 1; returns the records and weights. */
async function train(
  backend: 'native' | 'wasm', config: ModelConfig, data: Dataset, options: TrainOptions, epochs: number,
): Promise<{ records: EpochRecord[]; weights: Float32Array[]; fused: boolean; tensors: number[] }> {
  expect(await useBackend(backend)).toBe(backend);
  const model = Vae.create(config, 1);
  const trainer = new Trainer(model, data, options);
  const records: EpochRecord[] = [];
  const tensors: number[] = [];
  for (let e = 1; e <= epochs; e++) {
    records.push(trainer.trainEpoch(e));
    tensors.push(tf.memory().numTensors);
  }
  const weights = model.trainableWeights.map((v) => v.dataSync().slice() as Float32Array);
  const fused = trainer.fused !== null;
  trainer.optimizer.dispose();
  model.dispose();
  return { records, weights, fused, tensors };
}

function expectSameTraining(a: EpochRecord[], b: EpochRecord[], tol: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((r, i) => {
    for (const k of ['loss', 'reconstruction', 'kl'] as const) {
      expect(Math.abs(r.train[k] - b[i].train[k]), `epoch ${i + 1} train ${k}: ${r.train[k]} vs ${b[i].train[k]}`).toBeLessThan(tol * Math.max(1, Math.abs(b[i].train[k])));
      expect(Math.abs(r.validation[k] - b[i].validation[k]), `epoch ${i + 1} validation ${k}`).toBeLessThan(tol * Math.max(1, Math.abs(b[i].validation[k])));
    }
  });
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((w, i) => w.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j])))));
  return m;
}

describe.skipIf(!native.addon)('training on the native path', () => {
  let mnist: Dataset;
  beforeAll(async () => {
    await useBackend('wasm');
    mnist = await loadDataset({ name: 'mnist', seed: 0, trainLimit: 600, testLimit: 200 });
  });

  it('MNIST MLP (dynamic binarisation, denoising, β warm-up): the same epochs as tfjs on wasm', async () => {
    const config = { ...MLP_400_20, hidden: [64], latent: 4 };
    const options: TrainOptions = {
      ...DEFAULT_TRAIN_OPTIONS, batchSize: 64, binarize: 'dynamic', seed: 4, warmup: 1,
      corrupt: { kind: 'mask', p: 0.2 },
    };
    const ours = await train('native', config, mnist, options, 3);
    const ref = await train('wasm', config, mnist, options, 3);
    expect(ours.fused).toBe(true);
    expect(ref.fused).toBe(false);
    expectSameTraining(ours.records, ref.records, 1e-3);
    expect(maxDiff(ours.weights, ref.weights)).toBeLessThan(2e-3);
    expect(ours.tensors[2]).toBe(ours.tensors[1]);
    expect(ours.records[2].imagesPerSecond).toBeGreaterThan(0);
  });

  it('a small conv model on faces-like images: the same epochs as tfjs on wasm', async () => {
    const images = new Float32Array(160 * 16 * 16 * 3);
    for (let i = 0; i < images.length; i++) images[i] = 0.5 + 0.5 * Math.sin(i * 0.37) * Math.cos(i * 0.011);
    const data: Dataset = {
      name: 'faces', height: 16, width: 16, channels: 3,
      train: { images: images.subarray(0, 128 * 768), count: 128 },
      validation: { images: images.subarray(128 * 768), count: 32 },
    };
    const config: ModelConfig = { ...SEED000_CONV, height: 16, width: 16, filters: [8, 16], latent: 2 };
    const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, batchSize: 48, seed: 2 };
    const ours = await train('native', config, data, options, 2);
    const ref = await train('wasm', config, data, options, 2);
    expect(ours.fused).toBe(true);
    expectSameTraining(ours.records, ref.records, 1e-4);
    expect(maxDiff(ours.weights, ref.weights)).toBeLessThan(1e-3);
    expect(ours.tensors[1]).toBe(ours.tensors[0]);
  });

  it('free bits is not in the C step: the trainer stays on tfjs', async () => {
    await useBackend('native');
    const model = Vae.create({ ...MLP_400_20, hidden: [16], latent: 2 }, 1);
    const trainer = new Trainer(model, mnist, { ...DEFAULT_TRAIN_OPTIONS, batchSize: 64, freeBits: 0.5 });
    expect(trainer.fused).toBeNull();
    trainer.optimizer.dispose();
    model.dispose();
  });

  it('vae train: native by default; without the addon one note, then wasm', async () => {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('build first: npm run build');
    const args = ['train', '--dataset', 'mnist', '--model', 'mlp', '--hidden', '32', '--latent', '2', '--train-limit', '256', '--epochs', '1'];
    const a = await vae({}, ...args, '--out', path.join(tmp, 'a'));
    expect(a.status, a.stderr).toBe(0);
    expect(a.stderr).toMatch(/^backend: native$/m);
    expect(a.stderr).not.toMatch(/native path not available/);
    expect(a.stdout + a.stderr).toMatch(/img\/s/);
    const b = await vae({ VAE_NATIVE: '0' }, ...args, '--out', path.join(tmp, 'b'));
    expect(b.status, b.stderr).toBe(0);
    expect(b.stderr.match(/note: native path not available, using wasm: turned off by VAE_NATIVE=0/g)).toHaveLength(1);
    expect(b.stderr).toMatch(/^backend: wasm$/m);
  });

  it('vae train on native: 1 epoch + --resume to 3 equals 3 epochs straight, bit for bit, also with two runs at once', async () => {
    const args = ['train', '--dataset', 'mnist', '--model', 'mlp', '--hidden', '48', '--latent', '3', '--train-limit', '640', '--batch-size', '32', '--seed', '5'];
    const dirs = ['straight1', 'straight2', 'resumed'].map((d) => path.join(tmp, d));
    // two straight runs at the same time compete for the cores: thread scheduling must not change the bits
    const [s1, s2, r1] = await Promise.all([
      vae({}, ...args, '--epochs', '3', '--out', dirs[0]),
      vae({}, ...args, '--epochs', '3', '--out', dirs[1]),
      vae({}, ...args, '--epochs', '1', '--out', dirs[2]),
    ]);
    for (const r of [s1, s2, r1]) expect(r.status, r.stderr).toBe(0);
    const r2 = await vae({}, 'train', '--resume', dirs[2], '--epochs', '3');
    expect(r2.status, r2.stderr).toBe(0);
    const stateFiles = (d: string): Map<string, Buffer> => {
      const dir = path.join(d, 'state');
      return new Map(fs.readdirSync(dir).filter((f) => f.endsWith('.bin')).sort().map((f) => [f, fs.readFileSync(path.join(dir, f))]));
    };
    const ref = stateFiles(dirs[0]);
    expect(ref.size).toBeGreaterThan(0);
    for (const d of dirs.slice(1)) {
      const other = stateFiles(d);
      expect([...other.keys()]).toEqual([...ref.keys()]);
      for (const [f, bytes] of ref) expect(other.get(f)!.equals(bytes), `${path.basename(d)}/state/${f}`).toBe(true);
    }
    const history = (d: string): unknown => (JSON.parse(fs.readFileSync(path.join(d, 'run.json'), 'utf8')) as { history: { train: unknown; validation: unknown }[] })
      .history.map((h) => [h.train, h.validation]);
    expect(history(dirs[2])).toEqual(history(dirs[0]));
    expect(JSON.parse(fs.readFileSync(path.join(dirs[0], 'run.json'), 'utf8')).backend).toBe('native');
  });
});
