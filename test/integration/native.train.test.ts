/**
 * The native engine in the trainer and the CLI: epochs trained by it agree with epochs trained by
 * the tfjs engine on wasm from the same weights, data, eps and shuffling (MNIST MLP with dynamic
 * binarisation, denoising and warm-up; free bits; IWAE-k; the mixture prior; the VampPrior; a
 * small conv model; the σ-VAE Gaussian and the continuous Bernoulli, conv and MLP);
 * the tensor count stays put; `vae train` prints the engine it chose and records it per epoch in
 * run.json, or says why native declined (VAE_NATIVE=0 stands in for a machine without the addon).
 * In CI (CI=true) a missing addon fails these tests instead of skipping them.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '../../src/engine/tfjs.js';
import { useBackend } from '../../src/engine/backend.js';
import { loadNativeAddon } from '../../src/engine/native/addon.js';
import { loadDataset } from '../../src/data/load.js';
import type { Dataset } from '../../src/data/dataset.js';
import { MLP_400_20, SEED000_CONV, type ModelConfig } from '../../src/models/config.js';
import { Vae } from '../../src/models/vae.js';
import { DEFAULT_TRAIN_OPTIONS, Trainer, type TrainOptions } from '../../src/train/trainer.js';
import type { EpochRecord } from '../../src/train/history.js';
import { VampPrior } from '../../src/math/prior.js';
import { Rng } from '../../src/math/rng.js';

const native = loadNativeAddon();
const CI = process.env.CI === 'true';
if (!native.addon) console.log(`native training tests ${CI ? 'FAIL (CI=true)' : 'skipped'}: ${native.reason}`);

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
): Promise<{ records: EpochRecord[]; weights: Float32Array[]; onNative: boolean; tensors: number[] }> {
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
  const onNative = trainer.engine.name === 'native';
  trainer.optimizer.dispose();
  model.dispose();
  return { records, weights, onNative, tensors };
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

/** `vae eval RUN` (IWAE-20 on 30 test images) through the native engine equals `--backend wasm` in `keys`, to 1e-4 relative. */
async function expectEvalAsTfjs(dir: string, keys: string[], what: string): Promise<void> {
  const evalArgs = ['eval', dir, '--samples', '20', '--limit', '30', '--batch-size', '16', '--json'];
  const [a, w] = await Promise.all([vae({}, ...evalArgs), vae({}, ...evalArgs, '--backend', 'wasm')]);
  expect(a.status, a.stderr).toBe(0);
  expect(w.status, w.stderr).toBe(0);
  expect(a.stderr).toMatch(/^engine: native \(/m);
  const ra = JSON.parse(a.stdout) as Record<string, number>;
  const rw = JSON.parse(w.stdout) as Record<string, number>;
  for (const k of keys) {
    expect(Math.abs(ra[k] - rw[k]), `${what} ${k}: ${ra[k]} vs ${rw[k]}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(rw[k])));
  }
}

describe.skipIf(!native.addon && !CI)('training on the native engine', () => {
  let mnist: Dataset;
  beforeAll(async () => {
    if (CI) expect(native.reason, 'CI=true: the native addon must be built (apt-get install libopenblas-dev; npm run build:native)').toBe('');
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
    expect(ours.onNative).toBe(true);
    expect(ref.onNative).toBe(false);
    expectSameTraining(ours.records, ref.records, 1e-3);
    expect(maxDiff(ours.weights, ref.weights)).toBeLessThan(2e-3);
    expect(ours.tensors[2]).toBe(ours.tensors[1]);
    expect(ours.records[2].imagesPerSecond).toBeGreaterThan(0);
  });

  // every likelihood (src/math/likelihood.ts) on a small conv model: the fixed-σ² Gaussian of seed 000, the σ-VAE Gaussian, the continuous Bernoulli
  for (const likelihood of [SEED000_CONV.likelihood, { kind: 'gaussian-learned' }, { kind: 'continuous-bernoulli' }] as const) {
    it(`a small conv model on faces-like images, ${likelihood.kind} likelihood: native runs it, the same epochs as tfjs on wasm`, async () => {
      const images = new Float32Array(160 * 16 * 16 * 3);
      for (let i = 0; i < images.length; i++) images[i] = 0.5 + 0.5 * Math.sin(i * 0.37) * Math.cos(i * 0.011);
      const data: Dataset = {
        name: 'faces', height: 16, width: 16, channels: 3,
        train: { images: images.subarray(0, 128 * 768), count: 128 },
        validation: { images: images.subarray(128 * 768), count: 32 },
      };
      const config: ModelConfig = { ...SEED000_CONV, height: 16, width: 16, filters: [8, 16], latent: 2, likelihood };
      const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, batchSize: 48, seed: 2 };
      const ours = await train('native', config, data, options, 2);
      const ref = await train('wasm', config, data, options, 2);
      expect(ours.onNative).toBe(true);
      expect(ours.records.map((r) => r.engine)).toEqual(['native', 'native']);
      expectSameTraining(ours.records, ref.records, 1e-4);
      expect(maxDiff(ours.weights, ref.weights)).toBeLessThan(1e-3);
      expect(ours.tensors[1]).toBe(ours.tensors[0]);
    });
  }

  for (const [name, extra, prior, likelihood] of [
    ['free bits 0.3, Monte-Carlo KL', { freeBits: 0.3, kl: 'monte-carlo' }, undefined, undefined],
    // IWAE's gradients agree to float precision (test/unit/engine.native.test.ts), but its
    // normalised weights amplify those last-bit differences over many Adam steps: 6 steps here
    ['IWAE-4', { objective: 'iwae', k: 4, batchSize: 200 }, undefined, undefined],
    ['3-sample ELBO, β 0.7', { k: 3, beta: 0.7 }, undefined, undefined],
    ['mixture prior of 5 components', {}, { kind: 'gmm', components: 5 }, undefined],
    ['VampPrior of 12 pseudo-inputs', {}, { kind: 'vamp', components: 12 }, undefined],
    // grey values (no binarisation) under the real-valued likelihoods
    ['continuous Bernoulli on grey values, IWAE-3', { binarize: 'none', objective: 'iwae', k: 3 }, undefined, { kind: 'continuous-bernoulli' }],
    ['σ-VAE Gaussian on grey values, 2-sample ELBO', { binarize: 'none', k: 2 }, undefined, { kind: 'gaussian-learned' }],
  ] as const) {
    it(`MNIST MLP, ${name}: native runs it, the same epochs as tfjs on wasm`, async () => {
      const config: ModelConfig = { ...MLP_400_20, hidden: [32], latent: 4, ...(prior ? { prior } : {}), ...(likelihood ? { likelihood } : {}) };
      const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, batchSize: 64, binarize: 'dynamic', seed: 3, ...extra };
      const ours = await train('native', config, mnist, options, 2);
      const ref = await train('wasm', config, mnist, options, 2);
      expect(ours.onNative).toBe(true);
      expect(ref.onNative).toBe(false);
      expect(ours.records.map((r) => r.engine)).toEqual(['native', 'native']);
      expect(ref.records.map((r) => r.engine)).toEqual(['tfjs-wasm', 'tfjs-wasm']);
      expectSameTraining(ours.records, ref.records, 1e-3);
      expect(maxDiff(ours.weights, ref.weights)).toBeLessThan(2e-3);
      expect(ours.tensors[1]).toBe(ours.tensors[0]);
    });
  }

  it('vae train: the engine chosen is printed and recorded per epoch (IWAE-k, free bits, mixture prior, VampPrior on native; declined: said why)', async () => {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('build first: npm run build');
    const args = ['train', '--dataset', 'mnist', '--model', 'mlp-tanh', '--hidden', '32,32', '--latent', '5', '--train-limit', '256', '--epochs', '2'];
    const runs = [
      ['iwae', '--objective', 'iwae', '--k', '5'],
      ['fb', '--free-bits', '0.5'],
      ['gmm', '--prior', 'gmm:10'],
      ['vamp', '--prior', 'vamp:10'],
    ];
    const results = await Promise.all(runs.map(([d, ...extra]) => vae({}, ...args, ...extra, '--out', path.join(tmp, d))));
    results.forEach((r, i) => {
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^engine: native \(OpenBLAS [^,]+, \d+ threads?\)$/m);
      const run = JSON.parse(fs.readFileSync(path.join(tmp, runs[i][0], 'run.json'), 'utf8')) as { backend: string; history: { engine: string }[] };
      expect(run.backend).toBe('native');
      expect(run.history.map((h) => h.engine)).toEqual(['native', 'native']);
    });
    expect(results[0].stderr).toMatch(/IWAE bound, k = 5/);
    const b = await vae({ VAE_NATIVE: '0' }, ...args, '--out', path.join(tmp, 'b'));
    expect(b.status, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/^engine: tfjs-wasm — native declined: turned off by VAE_NATIVE=0$/m);
    const run = JSON.parse(fs.readFileSync(path.join(tmp, 'b', 'run.json'), 'utf8')) as { backend: string; history: { engine: string }[] };
    expect(run.backend).toBe('wasm');
    expect(run.history.map((h) => h.engine)).toEqual(['tfjs-wasm', 'tfjs-wasm']);
    const bad = await vae({}, ...args, '--objective', 'iwae', '--free-bits', '0.5', '--out', path.join(tmp, 'bad'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--objective iwae has no --beta, --warmup or --free-bits/);
  });

  it('vae train --prior vamp:10 (issue 14): the 784-400-20 MLP with a VampPrior trains on native, run.json says so; vae eval agrees with tfjs', async () => {
    const dir = path.join(tmp, 'vamp-mlp');
    const r = await vae({}, 'train', '--dataset', 'mnist', '--model', 'mlp', '--prior', 'vamp:10', '--epochs', '1', '--train-limit', '2000', '--out', dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^engine: native \(OpenBLAS [^,]+, \d+ threads?\)$/m);
    expect(r.stderr).toMatch(/VampPrior with 10 pseudo-inputs/);
    const run = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as { backend: string; history: { engine: string; train: { loss: number } }[] };
    expect(run.backend).toBe('native');
    expect(run.history.map((h) => h.engine)).toEqual(['native']);
    expect(Number.isFinite(run.history[0].train.loss)).toBe(true);
    // the prior file holds the trained pseudo-inputs (the tfjs engine reads them back)
    const prior = JSON.parse(fs.readFileSync(path.join(dir, 'prior-e1.json'), 'utf8')) as { kind: string; pseudoInputs: number[][] };
    expect(prior.kind).toBe('vamp');
    expect(prior.pseudoInputs).toHaveLength(10);
    // Adam moved them from their seeded start (Vae.create's, seed 0), by at most lr per step (16 steps)
    const start = VampPrior.init(10, 20, [28, 28, 1], new Rng(0 ^ 0x9a1a));
    const before = start.getParams().pseudoInputs.flat();
    start.dispose();
    const moved = Math.max(...prior.pseudoInputs.flat().map((v, i) => Math.abs(v - before[i])));
    expect(moved).toBeGreaterThan(1e-4);
    expect(moved).toBeLessThan(16 * 1e-3 * 1.01);
    // vae eval through the native engine: log p(z) of the VampPrior as tfjs computes it
    await expectEvalAsTfjs(dir, ['negElbo', 'kl', 'negLogPx', 'negElboK'], 'vamp');
  });

  it('vae train --likelihood gaussian-learned | continuous-bernoulli: native, printed and recorded; the same bits with one thread as with two; vae eval agrees with tfjs', async () => {
    const args = ['train', '--dataset', 'mnist', '--model', 'mlp', '--hidden', '32', '--latent', '4', '--binarize', 'none', '--train-limit', '256', '--epochs', '1'];
    for (const lik of ['gaussian-learned', 'continuous-bernoulli']) {
      const dirs = ['t1', 't2'].map((t) => path.join(tmp, `${lik}-${t}`));
      const [one, two] = await Promise.all([
        vae({ VAE_NATIVE_THREADS: '1' }, ...args, '--likelihood', lik, '--out', dirs[0]),
        vae({ VAE_NATIVE_THREADS: '2' }, ...args, '--likelihood', lik, '--out', dirs[1]),
      ]);
      expect(one.status, one.stderr).toBe(0);
      expect(two.status, two.stderr).toBe(0);
      expect(one.stderr).toMatch(/^engine: native \(OpenBLAS [^,]+, 1 thread\)$/m);
      expect(two.stderr).toMatch(/^engine: native \(OpenBLAS [^,]+, 2 threads\)$/m);
      const run = JSON.parse(fs.readFileSync(path.join(dirs[1], 'run.json'), 'utf8')) as { backend: string; history: { engine: string }[] };
      expect(run.backend).toBe('native');
      expect(run.history.map((h) => h.engine)).toEqual(['native']);
      for (const f of ['state/optimizer-e1.bin', 'encoder/weights-e1.bin', 'decoder/weights-e1.bin']) {
        expect(fs.readFileSync(path.join(dirs[1], f)).equals(fs.readFileSync(path.join(dirs[0], f))), `${lik}: ${f}`).toBe(true);
      }
      // evaluation (−ELBO terms and IWAE-K log p(x)) through the native engine and through tfjs
      await expectEvalAsTfjs(dirs[1], ['negElbo', 'reconstruction', 'kl', 'negLogPx', 'negElboK'], lik);
    }
  });

  it('vae train --prior vamp:K on native: the same bits with one thread as with two (pseudo-inputs in several chunks)', async () => {
    const args = ['train', '--dataset', 'mnist', '--model', 'mlp', '--hidden', '64', '--latent', '5', '--prior', 'vamp:70', '--epochs', '1', '--train-limit', '600', '--batch-size', '50'];
    const dirs = ['vamp-t1', 'vamp-t2'].map((d) => path.join(tmp, d));
    const [one, two] = await Promise.all([vae({ VAE_NATIVE_THREADS: '1' }, ...args, '--out', dirs[0]), vae({ VAE_NATIVE_THREADS: '2' }, ...args, '--out', dirs[1])]);
    expect(one.stderr).toMatch(/^engine: native \(OpenBLAS [^,]+, 1 thread\)$/m);
    expect(two.stderr).toMatch(/^engine: native \(OpenBLAS [^,]+, 2 threads\)$/m);
    for (const f of ['state/optimizer-e1.bin', 'encoder/weights-e1.bin', 'decoder/weights-e1.bin', 'prior-e1.json']) {
      expect(fs.readFileSync(path.join(dirs[1], f)).equals(fs.readFileSync(path.join(dirs[0], f))), f).toBe(true);
    }
  });

  it('a VampPrior run switches engines on --resume: epoch 1 on tfjs, epoch 2 on native = both on native (the pseudo-inputs are the same parameter)', async () => {
    const args = ['train', '--dataset', 'mnist', '--model', 'mlp', '--hidden', '64', '--latent', '5', '--prior', 'vamp:20', '--train-limit', '300', '--batch-size', '50', '--seed', '3', '--quiet'];
    const [straight, mixed] = ['vamp-straight', 'vamp-mixed'].map((d) => path.join(tmp, d));
    const [s, m] = await Promise.all([vae({}, ...args, '--epochs', '2', '--out', straight), vae({}, ...args, '--epochs', '1', '--backend', 'wasm', '--out', mixed)]);
    expect(s.status, s.stderr).toBe(0);
    expect(m.status, m.stderr).toBe(0);
    const r = await vae({}, 'train', '--resume', mixed, '--epochs', '2', '--quiet');
    expect(r.status, r.stderr).toBe(0);
    type Run = { history: { engine: string; train: { loss: number }; validation: { loss: number } }[] };
    const [a, b] = [straight, mixed].map((d) => JSON.parse(fs.readFileSync(path.join(d, 'run.json'), 'utf8')) as Run);
    expect(a.history.map((h) => h.engine)).toEqual(['native', 'native']);
    expect(b.history.map((h) => h.engine)).toEqual(['tfjs-wasm', 'native']);
    a.history.forEach((h, i) => {
      for (const k of ['train', 'validation'] as const) {
        expect(Math.abs(b.history[i][k].loss - h[k].loss), `epoch ${i + 1} ${k}`).toBeLessThan(1e-5 * h[k].loss);
      }
    });
  });

  it('vae eval, anomaly and encode: the native engine gives the numbers tfjs gives, and says it is the engine', async () => {
    const dir = path.join(tmp, 'evalrun');
    const t = await vae({}, 'train', '--dataset', 'mnist', '--model', 'mlp', '--hidden', '32', '--latent', '4', '--train-limit', '256', '--epochs', '1', '--quiet', '--out', dir);
    expect(t.status, t.stderr).toBe(0);
    const evalArgs = ['eval', dir, '--samples', '30', '--limit', '40', '--batch-size', '16', '--json'];
    const [a, b] = await Promise.all([vae({}, ...evalArgs), vae({}, ...evalArgs, '--backend', 'wasm')]);
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    expect(a.stderr).toMatch(/^engine: native \(/m);
    expect(b.stderr).toMatch(/^engine: tfjs-wasm$/m);
    const ra = JSON.parse(a.stdout) as Record<string, number | string>;
    const rb = JSON.parse(b.stdout) as Record<string, number | string>;
    expect([ra.engine, rb.engine]).toEqual(['native', 'tfjs-wasm']);
    for (const k of ['negElbo', 'reconstruction', 'kl', 'negLogPx', 'negElboK', 'activeUnits']) {
      expect(Math.abs((ra[k] as number) - (rb[k] as number)), `${k}: ${ra[k]} vs ${rb[k]}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(rb[k] as number)));
    }
    const anomalyArgs = ['anomaly', dir, '--samples', '20', '--limit', '30', '--json'];
    const [c, d] = await Promise.all([
      vae({}, ...anomalyArgs, '--out', path.join(tmp, 'an-native.json')),
      vae({}, ...anomalyArgs, '--backend', 'wasm', '--out', path.join(tmp, 'an-wasm.json')),
    ]);
    expect(c.status, c.stderr).toBe(0);
    expect(d.status, d.stderr).toBe(0);
    expect(c.stderr).toMatch(/^engine: native \(/m);
    const scores = (f: string): number[] => (JSON.parse(fs.readFileSync(path.join(tmp, f), 'utf8')) as { items: { index: number; negLogPx: number }[] }).items
      .sort((p, q) => p.index - q.index).map((r) => r.negLogPx);
    const sn = scores('an-native.json');
    const sw = scores('an-wasm.json');
    expect(sn).toHaveLength(30);
    sn.forEach((v, i) => expect(Math.abs(v - sw[i]), `input ${i}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(sw[i]))));
    const [e, f] = await Promise.all([vae({}, 'encode', dir, 'test:0', 'test:1', '--format', 'json'), vae({}, 'encode', dir, 'test:0', 'test:1', '--format', 'json', '--backend', 'wasm')]);
    const mus = (r: Result): number[] => (JSON.parse(r.stdout) as { mu: number[] }[]).flatMap((row) => row.mu);
    mus(e).forEach((v, i) => expect(Math.abs(v - mus(f)[i])).toBeLessThan(1e-5));
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
