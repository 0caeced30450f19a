import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '../../src/engine/tfjs.js';
import { useBackend } from '../../src/engine/backend.js';
import { loadDataset } from '../../src/data/load.js';
import type { Dataset } from '../../src/data/dataset.js';
import { MLP_400_20, SEED000_CONV, fitModelToData } from '../../src/models/config.js';
import { Vae } from '../../src/models/vae.js';
import { DEFAULT_TRAIN_OPTIONS, DivergedError, Trainer, prepareEvalImages, type TrainOptions } from '../../src/train/trainer.js';
import { trainRun } from '../../src/train/trainRun.js';
import { loadRunModel, readLatentGrid, readRun } from '../../src/train/run.js';
import { decodeZ, encodeImages } from '../../src/analysis/generate.js';
import { estimateLogPx, elboSingleSample } from '../../src/math/index.js';
import { Rng } from '../../src/math/rng.js';

const made: string[] = [];
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-train-'));
  made.push(d);
  return d;
};
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const MNIST_SPEC = { name: 'mnist' as const, seed: 0, trainLimit: 1200, testLimit: 300 };
const mlpSmall = { ...MLP_400_20, hidden: [64], latent: 4 };
const opts = (o: Partial<TrainOptions>): TrainOptions => ({ ...DEFAULT_TRAIN_OPTIONS, batchSize: 100, binarize: 'dynamic', ...o });

let mnist: Dataset;

beforeAll(async () => {
  await useBackend('wasm');
  mnist = await loadDataset(MNIST_SPEC);
});

function weightsOf(vae: Vae): number[][] {
  return [...vae.encoder.getWeights(), ...vae.decoder.getWeights()].map((w) => Array.from(w.dataSync()));
}

describe('training (wasm backend)', () => {
  it('validation -ELBO falls on MNIST over a few epochs, and the record holds the three curves', () => {
    const vae = Vae.create(mlpSmall, 1);
    const trainer = new Trainer(vae, mnist, opts({ seed: 1 }));
    const recs = [1, 2, 3, 4].map((e) => trainer.trainEpoch(e));
    for (const r of recs) {
      expect(r.train.loss).toBeCloseTo(r.train.reconstruction + r.train.kl, 3);
      expect(r.validation.loss).toBeCloseTo(r.validation.reconstruction + r.validation.kl, 3);
      expect(r.imagesPerSecond).toBeGreaterThan(0);
    }
    expect(recs[3].validation.loss).toBeLessThan(recs[0].validation.loss - 5);
    expect(recs[3].train.kl).toBeGreaterThan(0);
    trainer.optimizer.dispose();
    vae.dispose();
  });

  it('tensor count does not grow across training steps, epochs and repeated inference', () => {
    const vae = Vae.create({ ...SEED000_CONV, filters: [8, 16, 16] }, 2);
    const small: Dataset = {
      name: 'faces', height: 32, width: 32, channels: 3,
      train: { images: new Float32Array(96 * 3072).map((_, i) => (i % 97) / 97), count: 96 },
      validation: { images: new Float32Array(32 * 3072).fill(0.5), count: 32 },
    };
    const trainer = new Trainer(vae, small, opts({ binarize: 'none', batchSize: 32 }));
    trainer.trainEpoch(1); // Adam creates its moment variables in the first step
    const after1 = tf.memory().numTensors;
    const counts: number[] = [];
    trainer.trainEpoch(2, () => counts.push(tf.memory().numTensors));
    trainer.trainEpoch(3);
    expect(new Set(counts).size).toBe(1);
    expect(tf.memory().numTensors).toBe(after1);
    const z = new Float32Array(20).fill(0.3);
    decodeZ(vae, z, 10);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      decodeZ(vae, z, 10);
      encodeImages(vae, small.validation.images, 32);
    }
    expect(tf.memory().numTensors).toBe(before);
    trainer.optimizer.dispose();
    vae.dispose();
  });

  it('a NaN loss stops training with advice and leaves the last good checkpoint intact', async () => {
    const dir = tmp();
    const common = { dir, model: mlpSmall, dataset: MNIST_SPEC, data: mnist };
    await trainRun({ ...common, options: opts({ epochs: 1, seed: 3 }) });
    const before = fs.readFileSync(path.join(dir, 'encoder', 'model.json'), 'utf8');
    const weightsBefore = fs.readdirSync(path.join(dir, 'encoder')).sort();
    const run1 = readRun(dir);
    // resume with an absurd learning rate: the loss explodes
    const r = readRun(dir);
    r.training.learningRate = 1e12;
    fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify(r));
    await expect(trainRun({ ...common, resume: true, options: opts({ epochs: 3 }) })).rejects.toThrow(DivergedError);
    await expect(trainRun({ ...common, resume: true, options: opts({ epochs: 3 }) })).rejects.toThrow(/smaller --lr/);
    expect(fs.readFileSync(path.join(dir, 'encoder', 'model.json'), 'utf8')).toBe(before);
    expect(fs.readdirSync(path.join(dir, 'encoder')).sort()).toEqual(weightsBefore);
    const after = readRun(dir);
    expect(after.status).toBe('diverged');
    expect(after.epochsDone).toBe(run1.epochsDone);
    const { vae } = await loadRunModel(dir);
    vae.dispose();
  });

  it('resume continues bit for bit: 1 epoch + resume to 3 equals 3 epochs straight', async () => {
    const a = tmp();
    const b = tmp();
    const common = { model: mlpSmall, dataset: MNIST_SPEC, data: mnist };
    await trainRun({ ...common, dir: a, options: opts({ epochs: 3, seed: 5 }) });
    await trainRun({ ...common, dir: b, options: opts({ epochs: 1, seed: 5 }) });
    await trainRun({ ...common, dir: b, resume: true, options: opts({ epochs: 3, seed: 5 }) });
    const ra = readRun(a);
    const rb = readRun(b);
    expect(rb.history.map((h) => h.train.loss)).toEqual(ra.history.map((h) => h.train.loss));
    const la = await loadRunModel(a, 'last');
    const lb = await loadRunModel(b, 'last');
    expect(weightsOf(lb.vae)).toEqual(weightsOf(la.vae));
    la.vae.dispose();
    lb.vae.dispose();
    await expect(trainRun({ ...common, dir: b, resume: true, options: opts({ epochs: 3 }) })).rejects.toThrow(/already has 3 epochs/);
    await expect(trainRun({ ...common, dir: b, options: opts({ epochs: 3 }) })).rejects.toThrow(/already holds a run/);
  });

  it('a 2-D faces run stores the encoded 10x10 parameter grid every epoch', async () => {
    const dir = tmp();
    const faces = await loadDataset({ name: 'faces', seed: 0, trainLimit: 64 });
    const model = { ...SEED000_CONV, filters: [8, 8, 8] };
    await trainRun({ dir, model, dataset: { name: 'faces', seed: 0, trainLimit: 64 }, data: faces, options: opts({ epochs: 2, binarize: 'none', batchSize: 32 }) });
    const grid = readLatentGrid(dir)!;
    expect(grid.n).toBe(10);
    expect(grid.params).toHaveLength(200);
    expect(grid.epochs.map((e) => e.epoch)).toEqual([0, 1, 2]);
    for (const e of grid.epochs) expect(e.mu).toHaveLength(200);
    expect(grid.epochs[2].mu).not.toEqual(grid.epochs[0].mu);
    // browser-loadable layout
    for (const part of ['encoder', 'decoder']) {
      const json = JSON.parse(fs.readFileSync(path.join(dir, part, 'model.json'), 'utf8'));
      expect(json.format).toBe('layers-model');
      expect(fs.existsSync(path.join(dir, part, json.weightsManifest[0].paths[0]))).toBe(true);
    }
  });

  it('on a trained model, IWAE-k >= ELBO and is non-decreasing in k (averaged over the test slice)', async () => {
    const model = fitModelToData(mlpSmall, mnist);
    const vae = Vae.create(model, 4);
    const trainer = new Trainer(vae, mnist, opts({ seed: 4 }));
    for (let e = 1; e <= 3; e++) trainer.trainEpoch(e);
    const test = prepareEvalImages(mnist.test!, 'dynamic', 4).subarray(0, 200 * 784);
    const bound = async (k: number): Promise<{ logPx: number; elbo: number }> => {
      const est = await estimateLogPx({
        x: test, shape: [28, 28, 1], samples: k, rng: new Rng(9), batchSize: 100,
        encode: (x) => vae.encode(x as tf.Tensor4D), decode: (z) => vae.decode(z), likelihood: model.likelihood,
      });
      const mean = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length;
      return { logPx: mean(est.logPx), elbo: mean(est.elbo) };
    };
    const b1 = await bound(1);
    const b10 = await bound(10);
    const b100 = await bound(100);
    expect(b1.logPx).toBeCloseTo(b1.elbo, 4); // IWAE-1 is the ELBO
    expect(b10.logPx).toBeGreaterThan(b10.elbo);
    expect(b100.logPx).toBeGreaterThan(b100.elbo);
    expect(b10.logPx).toBeGreaterThan(b1.logPx);
    expect(b100.logPx).toBeGreaterThan(b10.logPx);
    // the single-sample analytic-KL ELBO agrees with the k-sample ELBO in expectation (within MC noise)
    const single = tf.tidy(() => {
      const x = tf.tensor4d(test, [200, 28, 28, 1]);
      const { mu, logvar } = vae.encode(x);
      const t = elboSingleSample({ x, mu, logvar, eps: tf.randomNormal(mu.shape, 0, 1, 'float32', 3), likelihood: model.likelihood, decode: (z) => vae.decode(z) });
      return t.elbo.mean().dataSync()[0];
    });
    expect(Math.abs(single - b100.elbo)).toBeLessThan(2);
    trainer.optimizer.dispose();
    vae.dispose();
  });
});
