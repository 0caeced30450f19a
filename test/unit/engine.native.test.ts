/**
 * The native training step (native/vae_native.c through src/engine/native/fusedStep.ts) against
 * tfjs on the cpu backend (an independent implementation): loss terms and the gradient of every
 * weight on random inputs, for conv models (the stride-2 k3 encoder convs with padding 1 and the
 * k4 s2 'same' transposed convs, at 32x32, 28x28 -> 7x7 and 16x16 with one stage) and MLPs (relu,
 * tanh, leakyRelu, no hidden layer), both likelihoods, both KL estimators, β ≠ 1, odd batch sizes
 * and uneven chunks; then three Adam steps against tfjs's Adam; tensor count stable.
 * Skipped, with the reason printed, where the addon is not built.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { NamedVariableMap } from '@tensorflow/tfjs-core/dist/tensor_types.js';
import { useBackend, backendInUse, nativeUnavailable } from '../../src/engine/backend.js';
import { loadNativeAddon } from '../../src/engine/native/addon.js';
import { FusedTrainStep, fusedStepRefusal, type FusedLoss } from '../../src/engine/native/fusedStep.js';
import { SEED000_CONV, MLP_400_20, type ModelConfig } from '../../src/models/config.js';
import { Vae } from '../../src/models/vae.js';
import { elboSingleSample, negElboLoss } from '../../src/math/elbo.js';
import { Rng } from '../../src/math/rng.js';
import { evaluateElbo } from '../../src/train/trainer.js';

const native = loadNativeAddon();
if (!native.addon) console.log(`engine.native tests skipped: ${native.reason}`);

interface Case {
  name: string;
  config: ModelConfig;
  batch: number;
  loss: FusedLoss;
  /** examples per chunk inside the addon (0: split evenly over the threads) */
  chunk: number;
  /** denoising: the encoder sees a corrupted copy of x */
  denoise?: boolean;
}

const CASES: Case[] = [
  { name: 'seed-000 conv VAE 3x32x32, Gaussian σ²=1, analytic KL', config: SEED000_CONV, batch: 3, loss: { beta: 1, kl: 'analytic' }, chunk: 0 },
  {
    name: 'conv 1x28x28 (28 -> 14 -> 7 and back), Bernoulli, Monte-Carlo KL, β=0.5, chunks of 2',
    config: { ...SEED000_CONV, height: 28, width: 28, channels: 1, filters: [8, 16], latent: 3, likelihood: { kind: 'bernoulli' } },
    batch: 5, loss: { beta: 0.5, kl: 'monte-carlo' }, chunk: 2, denoise: true,
  },
  {
    name: 'conv 2x16x8, one stage, Gaussian σ²=0.3, β=2',
    config: { ...SEED000_CONV, height: 16, width: 8, channels: 2, filters: [5], latent: 4, likelihood: { kind: 'gaussian', sigma2: 0.3 } },
    batch: 4, loss: { beta: 2, kl: 'analytic' }, chunk: 3,
  },
  { name: 'MLP 784-400-20 ReLU, Bernoulli', config: MLP_400_20, batch: 7, loss: { beta: 1, kl: 'analytic' }, chunk: 0 },
  {
    name: 'MLP tanh 36-30-20-5, Gaussian σ²=0.5, Monte-Carlo KL, β=3, chunks of 1',
    config: { ...MLP_400_20, height: 6, width: 6, hidden: [30, 20], activation: 'tanh', latent: 5, likelihood: { kind: 'gaussian', sigma2: 0.5 } },
    batch: 3, loss: { beta: 3, kl: 'monte-carlo' }, chunk: 1, denoise: true,
  },
  {
    name: 'MLP leakyRelu 2x5x5 (50-16-16-3), Bernoulli',
    config: { ...MLP_400_20, height: 5, width: 5, channels: 2, hidden: [16, 16], activation: 'leakyRelu', latent: 3 },
    batch: 9, loss: { beta: 1, kl: 'analytic' }, chunk: 4,
  },
  {
    name: 'MLP without hidden layers, Gaussian',
    config: { ...MLP_400_20, height: 4, width: 4, hidden: [], latent: 2, likelihood: { kind: 'gaussian', sigma2: 1 } },
    batch: 2, loss: { beta: 1, kl: 'analytic' }, chunk: 0,
  },
];

function inputs(c: Case, seed: number): { x: Float32Array; xEnc: Float32Array; eps: Float32Array } {
  const rng = new Rng(seed);
  const d = c.config.height * c.config.width * c.config.channels;
  const x = new Float32Array(c.batch * d);
  for (let i = 0; i < x.length; i++) x[i] = c.config.likelihood.kind === 'bernoulli' ? (rng.uniform() < 0.4 ? 1 : 0) : rng.uniform();
  const xEnc = c.denoise ? x.map((v) => (rng.uniform() < 0.3 ? 0 : v)) : x;
  return { x, xEnc, eps: rng.normals(c.batch * c.config.latent) };
}

/** tfjs's loss and gradients (the trainer's code path) on the current backend. */
function tfjsGradients(
  vae: Vae, c: Case, x: Float32Array, xEnc: Float32Array, eps: Float32Array,
): { grads: Float32Array[]; reconstruction: number; kl: number } {
  const vars = vae.trainableWeights;
  return tf.tidy(() => {
    const shape: [number, number, number, number] = [c.batch, c.config.height, c.config.width, c.config.channels];
    const xt = tf.tensor4d(x, shape);
    const xIn = tf.tensor4d(xEnc, shape);
    const et = tf.tensor2d(eps, [c.batch, c.config.latent]);
    let stats: number[] = [];
    const { grads } = tf.variableGrads(() => {
      const { mu, logvar } = vae.encode(xIn, true);
      const terms = elboSingleSample({ x: xt, mu, logvar, eps: et, likelihood: c.config.likelihood, beta: c.loss.beta, kl: c.loss.kl, decode: (z) => vae.decode(z, true) });
      stats = [terms.reconstruction.mean().dataSync()[0], terms.kl.mean().dataSync()[0]];
      return negElboLoss(terms);
    }, vars);
    return { grads: vars.map((v) => grads[v.name].dataSync() as Float32Array), reconstruction: stats[0], kl: stats[1] };
  });
}

/** Long synchronous cpu-backend work starves vitest's worker RPC; let it answer in between. */
function yieldToVitest(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** |a − b| ≤ tol·max(1e-3, max|b|) elementwise: relative to the tensor's own scale. */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string, tol: number): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  const scale = Math.max(1e-3, maxAbs(b));
  expect(worst / scale, `${what}: max abs diff ${worst} at scale ${scale}`).toBeLessThan(tol);
}

/** The same weights in a wasm model: copy the cpu model's values. */
async function copyToWasm(config: ModelConfig, values: Float32Array[]): Promise<Vae> {
  await useBackend('wasm');
  const vae = Vae.create(config, 99);
  vae.trainableWeights.forEach((v, i) => {
    const t = tf.tensor(values[i], v.shape);
    v.assign(t);
    t.dispose();
  });
  return vae;
}

describe.skipIf(!native.addon)('native training step', () => {
  beforeAll(async () => {
    tf.env().set('PROD', true);
    await useBackend('cpu');
  });

  it("useBackend('native') runs tfjs on wasm with the addon on", async () => {
    expect(await useBackend('native')).toBe('native');
    expect(tf.getBackend()).toBe('wasm');
    expect(backendInUse()).toBe('native');
    expect(nativeUnavailable()).toBe('');
    expect(await useBackend('wasm')).toBe('wasm');
    expect(backendInUse()).toBe('wasm');
  });

  for (const c of CASES) {
    it(`gradients agree with tfjs cpu: ${c.name}`, async () => {
      await useBackend('cpu');
      const ref = Vae.create(c.config, 3);
      const values = ref.trainableWeights.map((v) => v.dataSync().slice() as Float32Array);
      const { x, xEnc, eps } = inputs(c, 11);
      const expected = tfjsGradients(ref, c, x, xEnc, eps);
      ref.dispose();
      await yieldToVitest();

      const vae = await copyToWasm(c.config, values);
      expect(fusedStepRefusal(c.config, vae.trainableWeights)).toBe('');
      const step = FusedTrainStep.create(c.config, vae.trainableWeights, null, c.batch + 3, { requireActive: false })!;
      expect(step).not.toBeNull();
      step.chunk = c.chunk;
      const got = step.gradients(x, eps, c.batch, c.loss, xEnc);
      const names = vae.trainableWeights.map((v) => v.name);
      expect(Math.abs(got.stats[0] - expected.reconstruction) / Math.max(1, Math.abs(expected.reconstruction))).toBeLessThan(1e-5);
      expect(Math.abs(got.stats[1] - expected.kl) / Math.max(1, Math.abs(expected.kl))).toBeLessThan(1e-5);
      got.grads.forEach((g, i) => expectClose(g, expected.grads[i], `gradient of ${names[i]}`, 2e-4));
      vae.dispose();
    });
  }

  // the cpu backend needs seconds per conv image: the seed-000 model takes 2 images here
  for (const c of [{ ...CASES[0], batch: 2 }, CASES[1], CASES[3], CASES[4]]) {
    it(`three Adam steps agree with tfjs's Adam on cpu, tensor count stable: ${c.name}`, async () => {
      await useBackend('cpu');
      const ref = Vae.create(c.config, 5);
      const values = ref.trainableWeights.map((v) => v.dataSync().slice() as Float32Array);
      const refOpt = tf.train.adam(1e-3);
      const batches = [0, 1, 2].map((k) => inputs(c, 20 + k));
      const refStats: number[][] = [];
      for (const { x, eps } of batches) {
        await yieldToVitest();
        const vars = ref.trainableWeights;
        tf.tidy(() => {
          const xt = tf.tensor4d(x, [c.batch, c.config.height, c.config.width, c.config.channels]);
          const et = tf.tensor2d(eps, [c.batch, c.config.latent]);
          let s: number[] = [];
          const { grads } = tf.variableGrads(() => {
            const { mu, logvar } = ref.encode(xt, true);
            const terms = elboSingleSample({ x: xt, mu, logvar, eps: et, likelihood: c.config.likelihood, beta: c.loss.beta, kl: c.loss.kl, decode: (z) => ref.decode(z, true) });
            s = [terms.reconstruction.mean().dataSync()[0], terms.kl.mean().dataSync()[0]];
            return negElboLoss(terms);
          }, vars);
          refOpt.applyGradients(grads as NamedVariableMap);
          refStats.push(s);
        });
      }
      const refAfter = ref.trainableWeights.map((v) => v.dataSync().slice() as Float32Array);
      const refMoments = (await refOpt.getWeights()).map((w) => w.tensor.dataSync().slice() as Float32Array);
      ref.dispose();
      refOpt.dispose();

      const vae = await copyToWasm(c.config, values);
      const opt = tf.train.adam(1e-3);
      const step = FusedTrainStep.create(c.config, vae.trainableWeights, opt, c.batch, { requireActive: false })!;
      step.chunk = c.chunk;
      let tensors = 0;
      batches.forEach(({ x, eps }, k) => {
        const [reconstruction, kl] = step.step(x, eps, c.batch, c.loss);
        expect(Math.abs(reconstruction - refStats[k][0]) / Math.max(1, Math.abs(refStats[k][0]))).toBeLessThan(1e-5);
        expect(Math.abs(kl - refStats[k][1]) / Math.max(1, Math.abs(refStats[k][1]))).toBeLessThan(1e-4);
        if (k === 1) tensors = tf.memory().numTensors;
      });
      expect(tf.memory().numTensors).toBe(tensors);
      // weights moved by up to 3·lr; they agree to well under one step
      vae.trainableWeights.forEach((v, i) => {
        const got = v.dataSync();
        let worst = 0;
        for (let j = 0; j < got.length; j++) worst = Math.max(worst, Math.abs(got[j] - refAfter[i][j]));
        expect(worst, `${v.name} after 3 Adam steps`).toBeLessThan(5e-5);
      });
      // the optimizer's state is tfjs's: iterations, then the moments under tfjs's names
      const w = await opt.getWeights();
      expect(w[0].tensor.dataSync()[0]).toBe(3);
      expect(w.slice(1).map((e) => e.name)).toEqual([
        ...vae.trainableWeights.map((v) => `${v.name}/m`), ...vae.trainableWeights.map((v) => `${v.name}/v`),
      ]);
      w.slice(1).forEach((e, i) => expectClose(e.tensor.dataSync(), refMoments[i + 1], `moment ${e.name}`, 2e-3));
      vae.dispose();
      opt.dispose();
    });
  }

  for (const c of [CASES[1], CASES[3]]) {
    it(`evaluation (forward only, batches split below the step's batch size) agrees with tfjs cpu: ${c.name}`, async () => {
      const count = 7;
      const batchSize = 5;
      await useBackend('cpu');
      const ref = Vae.create(c.config, 8);
      const values = ref.trainableWeights.map((v) => v.dataSync().slice() as Float32Array);
      const { x } = inputs({ ...c, batch: count }, 30);
      const expected = evaluateElbo(ref, x, count, 77, batchSize);
      ref.dispose();
      const vae = await copyToWasm(c.config, values);
      const step = FusedTrainStep.create(c.config, vae.trainableWeights, null, 3, { requireActive: false })!;
      const rng = new Rng(77);
      const got = step.evaluate(x, count, batchSize, (n) => rng.normals(n));
      for (const k of ['loss', 'reconstruction', 'kl'] as const) {
        expect(Math.abs(got[k] - expected[k]), `${k}: ${got[k]} vs ${expected[k]}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected[k])));
      }
      vae.dispose();
    });
  }

  it('is deterministic: the same step from the same state gives the same bits (sums in chunk order)', async () => {
    await useBackend('wasm');
    const c = { ...CASES[0], batch: 40 }; // three conv chunks of 16, 16 and 8 over the threads
    const run = (): Float32Array[] => {
      const vae = Vae.create(c.config, 4);
      const opt = tf.train.adam(1e-3);
      const step = FusedTrainStep.create(c.config, vae.trainableWeights, opt, c.batch, { requireActive: false })!;
      for (let k = 0; k < 2; k++) {
        const { x, eps } = inputs(c, 40 + k);
        step.step(x, eps, c.batch, c.loss);
      }
      const w = vae.trainableWeights.map((v) => v.dataSync().slice() as Float32Array);
      vae.dispose();
      opt.dispose();
      return w;
    };
    const a = run();
    const b = run();
    a.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(b[i].buffer)), `weight ${i}`).toBe(true));
  });

  it('refuses models it does not implement (the trainer then uses tfjs)', async () => {
    await useBackend('wasm');
    const vae = Vae.create(MLP_400_20, 1);
    const wrong = { ...MLP_400_20, hidden: [300] };
    expect(fusedStepRefusal(wrong, vae.trainableWeights)).toMatch(/expected enc1 \[784,300\]/);
    expect(FusedTrainStep.create(wrong, vae.trainableWeights, null, 8, { requireActive: false })).toBeNull();
    // and nothing is fused unless the native path was switched on
    expect(FusedTrainStep.create(MLP_400_20, vae.trainableWeights, null, 8)).toBeNull();
    vae.dispose();
  });
});
