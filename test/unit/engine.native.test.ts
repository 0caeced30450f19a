/**
 * The native engine (native/src/ through src/engine/native/nativeNet.ts, configured from the layer
 * description) against the tfjs engine (src/math's kSampleObjective with tfjs autodiff) on the same
 * weights: loss terms and the gradient of every weight, for every objective we offer (single- and
 * k-sample ELBO with analytic or Monte-Carlo KL, β, free bits, denoising inputs, IWAE-k, the
 * Gaussian-mixture prior with its parameters, the VampPrior with its pseudo-inputs, some outside the
 * clip to [0, 1], over several chunks of pseudo-inputs) on both model families (conv: padded stride-2 convs
 * and 'same' transposed convs; MLP: relu/tanh/leakyRelu, none), every likelihood (fixed-σ² and σ-VAE
 * Gaussians, Bernoulli and continuous Bernoulli; the σ-VAE's σ at its floor, the continuous Bernoulli near
 * λ = ½ and at large logits), odd batches and
 * uneven chunks; then three Adam steps against tfjs's Adam per objective and family; evaluation
 * (ELBO terms, IWAE log-weights, encodings); determinism; the reasons it declines.
 * In CI (CI=true) a missing addon fails these tests instead of skipping them.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as tf from '../../src/engine/tfjs.js';
import { useBackend, backendInUse, nativeUnavailable } from '../../src/engine/backend.js';
import { loadNativeAddon } from '../../src/engine/native/addon.js';
import { NativeNet, nativeNormals, nativeRefusal, type NativeObjective } from '../../src/engine/native/nativeNet.js';
import { nativeSpec } from '../../src/engine/native/netSpec.js';
import { paramShapes, type NetDescription } from '../../src/engine/layers.js';
import { modelLayers } from '../../src/models/layers.js';
import { SEED000_CONV, MLP_400_20, type ModelConfig } from '../../src/models/config.js';
import { Vae } from '../../src/models/vae.js';
import { kSampleObjective, logImportanceWeights } from '../../src/math/elbo.js';
import { klAnalyticPerDim } from '../../src/math/kl.js';
import { logMeanExp } from '../../src/math/iwae.js';
import { MIN_LOG_SIGMA, logContinuousBernoulliFromLogits, logGaussianOptimalVariance } from '../../src/math/likelihood.js';
import { Rng } from '../../src/math/rng.js';
import { evaluateElbo } from '../../src/train/trainer.js';

const native = loadNativeAddon();
const CI = process.env.CI === 'true';
if (!native.addon) console.log(`engine.native tests ${CI ? 'FAIL (CI=true)' : 'skipped'}: ${native.reason}`);

interface Family {
  name: string;
  config: ModelConfig;
  batch: number;
  /** examples per chunk inside the addon (0: its default) */
  chunk: number;
}

const FAMILIES: Family[] = [
  {
    name: 'conv 1x12x12 (12 -> 6 -> 3 and back), Bernoulli, chunks of 2',
    config: { ...SEED000_CONV, height: 12, width: 12, channels: 1, filters: [4, 6], latent: 3, likelihood: { kind: 'bernoulli' } },
    batch: 5, chunk: 2,
  },
  {
    name: 'conv 3x16x8, one stage, Gaussian σ²=0.3',
    config: { ...SEED000_CONV, height: 16, width: 8, channels: 3, filters: [5], latent: 4, likelihood: { kind: 'gaussian', sigma2: 0.3 } },
    batch: 4, chunk: 0,
  },
  {
    name: 'MLP tanh 36-30-20-5, Gaussian σ²=0.5, chunks of 1',
    config: { ...MLP_400_20, height: 6, width: 6, hidden: [30, 20], activation: 'tanh', latent: 5, likelihood: { kind: 'gaussian', sigma2: 0.5 } },
    batch: 3, chunk: 1,
  },
  {
    name: 'MLP leakyRelu 2x5x5 (50-16-3), Bernoulli',
    config: { ...MLP_400_20, height: 5, width: 5, channels: 2, hidden: [16], activation: 'leakyRelu', latent: 3 },
    batch: 9, chunk: 4,
  },
  {
    // grids of 64+ positions and 16 channels: with oneDNN built in, every convolution primitive
    // (forward, backward-data, backward-weights; native/src/conv_dnnl.c's table) runs on it
    name: 'conv 1x32x32 (32 -> 16 -> 8 and back, 16 filters), Gaussian σ²=1',
    config: { ...SEED000_CONV, height: 32, width: 32, channels: 1, filters: [16, 16], latent: 2 },
    batch: 3, chunk: 2,
  },
];

/** The real-valued likelihoods (src/math/likelihood.ts) on both families: σ-VAE Gaussian (sigmoid means) and continuous Bernoulli (logits). */
const REAL_FAMILIES: Family[] = [
  {
    name: 'conv 1x12x12 (12 -> 6 -> 3 and back), continuous Bernoulli, chunks of 2',
    config: { ...SEED000_CONV, height: 12, width: 12, channels: 1, filters: [4, 6], latent: 3, likelihood: { kind: 'continuous-bernoulli' } },
    batch: 5, chunk: 2,
  },
  {
    name: 'conv 3x16x8, one stage, σ-VAE Gaussian (optimal σ² per image)',
    config: { ...SEED000_CONV, height: 16, width: 8, channels: 3, filters: [5], latent: 4, likelihood: { kind: 'gaussian-learned' } },
    batch: 4, chunk: 0,
  },
  {
    name: 'MLP tanh 36-30-20-5, σ-VAE Gaussian, chunks of 1',
    config: { ...MLP_400_20, height: 6, width: 6, hidden: [30, 20], activation: 'tanh', latent: 5, likelihood: { kind: 'gaussian-learned' } },
    batch: 3, chunk: 1,
  },
  {
    name: 'MLP leakyRelu 2x5x5 (50-16-3), continuous Bernoulli',
    config: { ...MLP_400_20, height: 5, width: 5, channels: 2, hidden: [16], activation: 'leakyRelu', latent: 3, likelihood: { kind: 'continuous-bernoulli' } },
    batch: 9, chunk: 4,
  },
];

interface Objective {
  name: string;
  o: NativeObjective;
  denoise?: boolean;
  gmm?: number;
  /** VampPrior with this many pseudo-inputs */
  vamp?: number;
  /** free bits: λ set between the per-dimension KLs, so some dimensions are floored and some not */
  freeBits?: boolean;
}

const OBJECTIVES: Objective[] = [
  { name: 'ELBO, analytic KL', o: { objective: 'elbo', k: 1, beta: 1, kl: 'analytic' } },
  { name: 'ELBO, Monte-Carlo KL, β=0.5, denoising', o: { objective: 'elbo', k: 1, beta: 0.5, kl: 'monte-carlo' }, denoise: true },
  { name: '3-sample ELBO, analytic KL, β=2', o: { objective: 'elbo', k: 3, beta: 2, kl: 'analytic' } },
  { name: '2-sample ELBO, Monte-Carlo KL', o: { objective: 'elbo', k: 2, beta: 1, kl: 'monte-carlo' } },
  { name: 'free bits, analytic KL, β=1.5', o: { objective: 'elbo', k: 1, beta: 1.5, kl: 'analytic' }, freeBits: true },
  { name: 'free bits, 2-sample Monte-Carlo KL', o: { objective: 'elbo', k: 2, beta: 1, kl: 'monte-carlo' }, freeBits: true },
  { name: 'IWAE-5', o: { objective: 'iwae', k: 5, beta: 1, kl: 'analytic' } },
  { name: 'mixture prior (4 components), ELBO', o: { objective: 'elbo', k: 1, beta: 1, kl: 'analytic' }, gmm: 4 },
  { name: 'mixture prior (3 components), IWAE-4', o: { objective: 'iwae', k: 4, beta: 1, kl: 'analytic' }, gmm: 3 },
  // 70 pseudo-inputs: several chunks of them (16 per chunk for conv models, 64 for MLPs)
  { name: 'VampPrior (70 pseudo-inputs), ELBO', o: { objective: 'elbo', k: 1, beta: 1, kl: 'analytic' }, vamp: 70 },
  { name: 'VampPrior (4 pseudo-inputs), IWAE-3', o: { objective: 'iwae', k: 3, beta: 1, kl: 'analytic' }, vamp: 4 },
  { name: 'VampPrior (5 pseudo-inputs), 2-sample ELBO, β=0.5, denoising', o: { objective: 'elbo', k: 2, beta: 0.5, kl: 'monte-carlo' }, vamp: 5, denoise: true },
];

function withPrior(c: ModelConfig, gmm?: number, vamp?: number): ModelConfig {
  return gmm ? { ...c, prior: { kind: 'gmm', components: gmm } } : vamp ? { ...c, prior: { kind: 'vamp', components: vamp } } : c;
}

function inputs(f: Family, ob: Objective, seed: number): { x: Float32Array; xEnc: Float32Array; eps: Float32Array } {
  const rng = new Rng(seed);
  const d = f.config.height * f.config.width * f.config.channels;
  const x = new Float32Array(f.batch * d);
  for (let i = 0; i < x.length; i++) x[i] = f.config.likelihood.kind === 'bernoulli' ? (rng.uniform() < 0.4 ? 1 : 0) : rng.uniform();
  const xEnc = ob.denoise ? x.map((v) => (rng.uniform() < 0.3 ? 0 : v)) : x;
  return { x, xEnc, eps: rng.normals(ob.o.k * f.batch * f.config.latent) };
}

/**
 * A fresh model whose mixture prior (if any) is moved off its symmetric start, so its gradients are
 * not trivial; a VampPrior's pseudo-inputs (0.5 ± 0.01) move by ~0.3, some of them outside [0, 1].
 */
function model(config: ModelConfig, seed: number): Vae {
  const vae = Vae.create(config, seed);
  const rng = new Rng(seed + 100);
  for (const v of vae.prior.variables) {
    const t = tf.tensor(Array.from(v.dataSync(), (a) => a + 0.3 * rng.normal()), v.shape);
    v.assign(t);
    t.dispose();
  }
  return vae;
}

/** λ between the batch-mean per-dimension analytic KLs (some dimensions floored, some not). */
function freeBitsFor(vae: Vae, f: Family, xEnc: Float32Array): number {
  return tf.tidy(() => {
    const { mu, logvar } = vae.encode(tf.tensor4d(xEnc, [f.batch, f.config.height, f.config.width, f.config.channels]));
    const means = Array.from(tf.mean(klAnalyticPerDim(mu, logvar), 0).dataSync()).sort((a, b) => a - b);
    return (means[0] + means[means.length - 1]) / 2;
  });
}

/** tfjs's loss terms and gradients (the tfjs engine's code path). */
function tfjsGradients(vae: Vae, f: Family, o: NativeObjective, x: Float32Array, xEnc: Float32Array, eps: Float32Array): { grads: Float32Array[]; reconstruction: number; kl: number } {
  const vars = vae.trainableWeights;
  return tf.tidy(() => {
    const shape: [number, number, number, number] = [f.batch, f.config.height, f.config.width, f.config.channels];
    const xt = tf.tensor4d(x, shape);
    const xIn = tf.tensor4d(xEnc, shape);
    const et = o.k === 1 ? tf.tensor2d(eps, [f.batch, f.config.latent]) : tf.tensor3d(eps, [o.k, f.batch, f.config.latent]);
    let stats: number[] = [];
    const { grads } = tf.variableGrads(() => {
      const { mu, logvar } = vae.encode(xIn, true);
      const { loss, terms } = kSampleObjective({
        x: xt, mu, logvar, eps: et, likelihood: f.config.likelihood, beta: o.beta, kl: o.kl, freeBits: o.freeBits, objective: o.objective,
        logPz: vae.logPz, decode: (z) => vae.decode(z, true),
      });
      stats = [terms.reconstruction.mean().dataSync()[0], terms.kl.mean().dataSync()[0]];
      return loss;
    }, vars);
    return { grads: vars.map((v) => grads[v.name].dataSync() as Float32Array), reconstruction: stats[0], kl: stats[1] };
  });
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

function relClose(a: number, b: number, what: string, tol = 1e-5): void {
  expect(Math.abs(a - b) / Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`).toBeLessThan(tol);
}

/** The native gradients and loss terms against tfjs's on the same weights, inputs and eps. */
function gradientsAgree(f: Family, ob: Objective): void {
  const config = withPrior(f.config, ob.gmm, ob.vamp);
  const vae = model(config, 3);
  const { x, xEnc, eps } = inputs(f, ob, 11);
  const o = { ...ob.o, ...(ob.freeBits ? { freeBits: freeBitsFor(vae, f, xEnc) } : {}) };
  const expected = tfjsGradients(vae, f, o, x, xEnc, eps);
  expect(nativeRefusal(modelLayers(config), vae.trainableWeights)).toBe('');
  const net = NativeNet.create(modelLayers(config), vae.trainableWeights, null, f.batch + 3, o.k);
  net.chunk = f.chunk;
  const got = net.gradients(x, eps, f.batch, o, xEnc);
  relClose(got.stats[0], expected.reconstruction, 'E log p(x|z)');
  relClose(got.stats[1], expected.kl, 'KL', 1e-4);
  const names = vae.trainableWeights.map((v) => v.name);
  got.grads.forEach((g, i) => expectClose(g, expected.grads[i], `gradient of ${names[i]}`, 2e-4));
  // every weight gets a gradient (nothing silently dropped), the prior's too
  got.grads.forEach((g, i) => expect(maxAbs(g), `gradient of ${names[i]} is not all zero`).toBeGreaterThan(0));
  vae.dispose();
}

/** Three native Adam steps against three of tfjs's Adam on tfjs's gradients, from the same start. */
function adamAgrees(f: Family, ob: Objective): void {
  const config = withPrior(f.config, ob.gmm, ob.vamp);
  const batches = [0, 1, 2].map((k) => inputs(f, ob, 20 + k));
  const ref = model(config, 5);
  const o = { ...ob.o, ...(ob.freeBits ? { freeBits: freeBitsFor(ref, f, batches[0].xEnc) } : {}) };
  const refOpt = tf.train.adam(1e-3);
  const refStats: number[][] = [];
  for (const { x, xEnc, eps } of batches) {
    tf.tidy(() => {
      const g = tfjsGradients(ref, f, o, x, xEnc, eps);
      refOpt.applyGradients(ref.trainableWeights.map((v, i) => ({ name: v.name, tensor: tf.tensor(g.grads[i], v.shape) })));
      refStats.push([g.reconstruction, g.kl]);
    });
  }
  const refAfter = ref.trainableWeights.map((v) => v.dataSync().slice() as Float32Array);
  ref.dispose();
  refOpt.dispose();

  const vae = model(config, 5);
  const opt = tf.train.adam(1e-3);
  const net = NativeNet.create(modelLayers(config), vae.trainableWeights, opt, f.batch, o.k);
  net.chunk = f.chunk;
  let tensors = 0;
  batches.forEach(({ x, xEnc, eps }, k) => {
    const [reconstruction, kl] = net.step(x, eps, f.batch, o, xEnc);
    relClose(reconstruction, refStats[k][0], `step ${k + 1} E log p(x|z)`);
    relClose(kl, refStats[k][1], `step ${k + 1} KL`, 1e-4);
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
  vae.dispose();
  opt.dispose();
}

/** Evaluation against tfjs: the trainer's ELBO terms, IWAE-6 log-weights and the encodings. */
function evaluationAgrees(f: Family, gmm: number, vamp: number): void {
  const config = withPrior(f.config, gmm || undefined, vamp || undefined);
  const vae = model(config, 8);
  const count = 7;
  const { x } = inputs({ ...f, batch: count }, OBJECTIVES[0], 30);
  const expected = evaluateElbo(vae, x, count, 77, 5);
  const net = NativeNet.create(modelLayers(config), vae.trainableWeights, null, 3, 6);
  const rng = new Rng(77);
  const got = net.evaluate(x, count, 5, (n) => rng.normals(n));
  for (const k of ['loss', 'reconstruction', 'kl'] as const) relClose(got[k], expected[k], k);

  const k = 6;
  const eps = new Rng(5).normals(k * 3 * config.latent);
  const xs = x.subarray(0, 3 * f.config.height * f.config.width * f.config.channels);
  const out = new Float64Array(6);
  net.logWeights(xs, eps, 3, k, out);
  const ref = tf.tidy(() => {
    const xt = tf.tensor4d(xs, [3, f.config.height, f.config.width, f.config.channels]);
    const { mu, logvar } = vae.encode(xt);
    const logw = logImportanceWeights({ x: xt, mu, logvar, eps: tf.tensor3d(eps, [k, 3, config.latent]), likelihood: config.likelihood, decode: (z) => vae.decode(z), logPz: vae.logPz });
    return [logMeanExp(logw, 0).dataSync(), tf.sum(logw, 0).dataSync(), tf.concat([mu, logvar], 0).dataSync()];
  });
  for (let i = 0; i < 3; i++) {
    relClose(out[2 * i] - Math.log(k), ref[0][i], `IWAE-${k} of example ${i}`);
    relClose(out[2 * i + 1], ref[1][i], `Σ log w of example ${i}`);
  }
  expectClose(net.encode(xs, 3), ref[2], 'mu and logvar', 1e-5);
  vae.dispose();
}

describe.skipIf(!native.addon && !CI)('native engine', () => {
  beforeAll(async () => {
    tf.env().set('PROD', true);
    if (CI) expect(native.reason, 'CI=true: the native addon must be built (apt-get install libopenblas-dev; npm run build:native)').toBe('');
    await useBackend('wasm');
  });

  it("useBackend('native') runs tfjs on wasm with the addon loaded; backendInUse names tfjs's backend", async () => {
    expect(await useBackend('native')).toBe('native');
    expect(tf.getBackend()).toBe('wasm');
    expect(backendInUse()).toBe('wasm');
    expect(nativeUnavailable()).toBe('');
    expect(await useBackend('wasm')).toBe('wasm');
  });

  for (const f of FAMILIES) {
    for (const ob of OBJECTIVES) {
      it(`gradients agree with tfjs: ${f.name} · ${ob.name}`, () => gradientsAgree(f, ob));
    }
  }

  // the real-valued likelihoods: single-sample ELBO (analytic and Monte-Carlo KL), k-sample ELBO,
  // IWAE-5, and IWAE-4 with the mixture prior (OBJECTIVES 0, 1, 3, 6, 8)
  const REAL_OBJECTIVES = [OBJECTIVES[0], OBJECTIVES[1], OBJECTIVES[3], OBJECTIVES[6], OBJECTIVES[8]];
  for (const f of REAL_FAMILIES) {
    for (const ob of REAL_OBJECTIVES) {
      it(`gradients agree with tfjs: ${f.name} · ${ob.name}`, () => gradientsAgree(f, ob));
    }
    for (const ob of [OBJECTIVES[0], OBJECTIVES[6]]) {
      it(`three Adam steps agree with tfjs's Adam, tensor count stable: ${f.name} · ${ob.name}`, () => adamAgrees(f, ob));
    }
    it(`evaluation agrees with tfjs (ELBO terms, IWAE log-weights, encodings): ${f.name}`, () => evaluationAgrees(f, 0, 0));
  }

  /** An MLP whose output head has a zero kernel, so every row decodes to the head's bias (through the head's activation). */
  function constantDecoder(config: ModelConfig, bias: number[]): Vae {
    const vae = Vae.create(config, 13);
    const [kernel, b] = vae.trainableWeights.slice(-2);
    expect(b.shape).toEqual([bias.length]);
    tf.tidy(() => {
      kernel.assign(tf.zerosLike(kernel));
      b.assign(tf.tensor1d(bias));
    });
    return vae;
  }

  it('σ-VAE Gaussian at its floor: an image reconstructed exactly, and one within e⁻⁶ RMS, get log σ = −6 and no reconstruction gradient; just above, (out − x)/σ², as src/math/likelihood.ts', () => {
    const config: ModelConfig = { ...MLP_400_20, height: 4, width: 4, hidden: [8], latent: 2, likelihood: { kind: 'gaussian-learned' } };
    const D = 16;
    const batch = 3;
    const rng = new Rng(21);
    const vae = constantDecoder(config, Array.from({ length: D }, () => rng.normal()));
    const mean = tf.tidy(() => vae.decode(tf.zeros([1, 2])).dataSync() as Float32Array); // sigmoid(bias), for every z
    const floor = Math.exp(2 * MIN_LOG_SIGMA);
    // image 0: the reconstruction itself; 1: off by ±√(floor/2) (MSE half the floor); 2: by ±√(4·floor)
    const offsets = [0, Math.sqrt(floor / 2), Math.sqrt(4 * floor)];
    const x = new Float32Array(batch * D);
    offsets.forEach((o, i) => mean.forEach((m, j) => (x[i * D + j] = m + (j % 2 ? o : -o))));
    const eps = rng.normals(batch * config.latent);
    const net = NativeNet.create(modelLayers(config), vae.trainableWeights, null, batch, 1);
    const atFloor = -0.5 * D * (2 * MIN_LOG_SIGMA + Math.log(2 * Math.PI) + 1);
    const mse = offsets.map((_, i) => mean.reduce((s, m, j) => s + (m - x[i * D + j]) ** 2, 0) / D);
    expect(mse[1]).toBeLessThan(floor);
    expect(mse[2]).toBeGreaterThan(floor);
    for (let i = 0; i < batch; i++) {
      const [logPx] = net.forwardSums(x.subarray(i * D, (i + 1) * D), eps.subarray(i * 2, (i + 1) * 2), 1);
      const ts = tf.tidy(() => logGaussianOptimalVariance(tf.tensor2d(x.subarray(i * D, (i + 1) * D), [1, D]), tf.tensor2d(mean, [1, D])).dataSync()[0]);
      relClose(logPx, ts, `image ${i}: log p(x|z) against logGaussianOptimalVariance`);
      if (i < 2) relClose(logPx, atFloor, `image ${i}: −½·D·(log 2π + 1 − 12), σ at its floor`, 1e-7);
      else relClose(logPx, -0.5 * D * (Math.log(mse[2]) + Math.log(2 * Math.PI) + 1), 'image 2: −½·D·(log 2π + log MSE + 1)');
    }
    // the output bias's gradient is the reconstruction's alone (the kernel is 0): only image 2 adds to it
    const o: NativeObjective = { objective: 'elbo', k: 1, beta: 1, kl: 'analytic' };
    const got = net.gradients(x, eps, batch, o);
    const closed = Array.from(mean, (m, j) => ((m - x[2 * D + j]) / mse[2]) * m * (1 - m) / batch);
    expectClose(got.grads.at(-1)!, closed, 'output bias: (out − x)/σ² of image 2 through the sigmoid, over the batch', 2e-4);
    const expected = tfjsGradients(vae, { name: '', config, batch, chunk: 0 }, o, x, x, eps);
    got.grads.forEach((g, i) => expectClose(g, expected.grads[i], `gradient ${i} against tfjs`, 2e-4));
    vae.dispose();
  });

  /** log C(l) of the continuous Bernoulli and its derivative, in doubles (C = l / tanh(l/2), C(0) = 2). */
  const logC = (l: number): number => (l === 0 ? Math.LN2 : Math.log(Math.abs(l) / Math.abs(Math.tanh(l / 2))));
  const dLogC = (l: number): number => (l === 0 ? 0 : 1 / l - 1 / Math.sinh(l));
  const softplus = (l: number): number => Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l)));
  const CB_EDGES = [
    { name: 'near λ = ½ (logits around 0 and both sides of the Taylor switch at |l| = 0.1)', logits: [0, 1e-4, -1e-4, 0.01, -0.03, 0.05, -0.07, 0.0999, -0.0999, 0.1, -0.1, 0.1001, -0.1001, 0.2, -0.35, 0.5], valueTol: 1e-6 },
    { name: 'large |logit| (λ near 0 and 1, to ±200)', logits: [1, -2, 3.5, -6, 10, -15, 20, -30, 40, -50, 60, -87, 90, -100, 150, -200], valueTol: 1e-4 },
  ];
  for (const edge of CB_EDGES) {
    it(`continuous Bernoulli ${edge.name}: log p(x|z) and its gradient against doubles, src/math/likelihood.ts and tfjs`, () => {
      const config: ModelConfig = { ...MLP_400_20, height: 4, width: 4, hidden: [8], latent: 2, likelihood: { kind: 'continuous-bernoulli' } };
      const D = 16;
      const batch = 3;
      const vae = constantDecoder(config, edge.logits);
      const l = edge.logits.map(Math.fround);
      const rng = new Rng(22);
      // x: uniform values, then 0s and 1s, then ½
      const x = Float32Array.from({ length: batch * D }, (_, i) => (i < D ? rng.uniform() : i < 2 * D ? i % 2 : 0.5));
      const eps = rng.normals(batch * config.latent);
      const net = NativeNet.create(modelLayers(config), vae.trainableWeights, null, batch, 1);
      for (let i = 0; i < batch; i++) {
        const xi = x.subarray(i * D, (i + 1) * D);
        const [logPx] = net.forwardSums(xi, eps.subarray(i * 2, (i + 1) * 2), 1);
        const exact = l.reduce((s, lj, j) => s + xi[j] * lj - softplus(lj) + logC(lj), 0);
        const ts = tf.tidy(() => logContinuousBernoulliFromLogits(tf.tensor2d(xi, [1, D]), tf.tensor2d(l, [1, D])).dataSync()[0]);
        expect(Math.abs(logPx - exact), `image ${i}: ${logPx} vs ${exact} in doubles`).toBeLessThan(edge.valueTol);
        expect(Math.abs(logPx - ts), `image ${i}: ${logPx} vs ${ts} (logContinuousBernoulliFromLogits)`).toBeLessThan(edge.valueTol);
      }
      // the output bias's gradient (the kernel is 0): mean over images of σ(l) − x − ∂log C/∂l
      const o: NativeObjective = { objective: 'elbo', k: 1, beta: 1, kl: 'analytic' };
      const got = net.gradients(x, eps, batch, o);
      const closed = l.map((lj, j) => {
        let s = 0;
        for (let i = 0; i < batch; i++) s += 1 / (1 + Math.exp(-lj)) - x[i * D + j] - dLogC(lj);
        return s / batch;
      });
      const bias = got.grads.at(-1)!;
      const worst = Math.max(...closed.map((c, j) => Math.abs(bias[j] - c)));
      expect(worst, `output bias against σ(l) − x − (1/l − 1/sinh l) in doubles: ${Array.from(bias)} vs ${closed}`).toBeLessThan(2e-6);
      const expected = tfjsGradients(vae, { name: '', config, batch, chunk: 0 }, o, x, x, eps);
      got.grads.forEach((g, i) => expectClose(g, expected.grads[i], `gradient ${i} against tfjs`, 2e-4));
      vae.dispose();
    });
  }

  // the wasm reference above runs our own conv kernels (src/engine/kernels/); tfjs's cpu backend
  // is an independent implementation of the same gradients
  for (const ob of [OBJECTIVES[1], OBJECTIVES[6], OBJECTIVES[8], OBJECTIVES[9]]) {
    it(`conv gradients also agree with tfjs's cpu backend: ${FAMILIES[0].name} · ${ob.name}`, async () => {
      const f = FAMILIES[0];
      const config = withPrior(f.config, ob.gmm, ob.vamp);
      const vae = model(config, 6);
      const values = vae.trainableWeights.map((v) => v.dataSync().slice() as Float32Array);
      const { x, xEnc, eps } = inputs(f, ob, 12);
      const net = NativeNet.create(modelLayers(config), vae.trainableWeights, null, f.batch, ob.o.k);
      const got = net.gradients(x, eps, f.batch, ob.o, xEnc);
      await useBackend('cpu');
      const ref = Vae.create(config, 6);
      ref.trainableWeights.forEach((v, i) => {
        const t = tf.tensor(values[i], v.shape);
        v.assign(t);
        t.dispose();
      });
      const expected = tfjsGradients(ref, f, ob.o, x, xEnc, eps);
      ref.dispose();
      await useBackend('wasm');
      relClose(got.stats[0], expected.reconstruction, 'E log p(x|z)');
      got.grads.forEach((g, i) => expectClose(g, expected.grads[i], `gradient ${i}`, 2e-4));
      vae.dispose();
    });
  }

  for (const f of [FAMILIES[0], FAMILIES[2]]) {
    for (const ob of OBJECTIVES) {
      it(`three Adam steps agree with tfjs's Adam, tensor count stable: ${f.name} · ${ob.name}`, () => adamAgrees(f, ob));
    }
  }

  it("Adam's state is tfjs's: iterations, then the moments under tfjs's names", async () => {
    const f = FAMILIES[3];
    const vae = model(f.config, 2);
    const opt = tf.train.adam(1e-3);
    const net = NativeNet.create(modelLayers(f.config), vae.trainableWeights, opt, f.batch);
    const { x, eps } = inputs(f, OBJECTIVES[0], 1);
    net.step(x, eps, f.batch, OBJECTIVES[0].o);
    net.step(x, eps, f.batch, OBJECTIVES[0].o);
    const w = await opt.getWeights();
    expect(w[0].tensor.dataSync()[0]).toBe(2);
    expect(w.slice(1).map((e) => e.name)).toEqual([...vae.trainableWeights.map((v) => `${v.name}/m`), ...vae.trainableWeights.map((v) => `${v.name}/v`)]);
    vae.dispose();
    opt.dispose();
  });

  for (const [f, gmm, vamp] of [[FAMILIES[0], 0, 0], [FAMILIES[2], 3, 0], [FAMILIES[0], 0, 5], [FAMILIES[3], 0, 4]] as const) {
    it(`evaluation agrees with tfjs (ELBO terms, IWAE log-weights, encodings): ${f.name}${gmm ? ', mixture prior' : ''}${vamp ? ', VampPrior' : ''}`, () => evaluationAgrees(f, gmm, vamp));
  }

  // prior_mixture.c expands (z − m)²/σ² into GEMMs: with narrow components (σ = e^-3) far from the
  // origin the expanded terms are ~10⁴× the result; in double nothing is lost
  it('mixture prior with narrow components far out: log p(z) in the IWAE log-weights and the gradients agree with tfjs', () => {
    const f = FAMILIES[2];
    const config = withPrior(f.config, 6);
    const vae = Vae.create(config, 9);
    const rng = new Rng(9);
    const L = config.latent;
    const set = (v: tf.Variable, values: number[]): void => {
      const t = tf.tensor(values, v.shape);
      v.assign(t);
      t.dispose();
    };
    const [logits, means, logvars] = vae.prior.variables;
    set(logits, Array.from({ length: 6 }, () => rng.normal()));
    set(means, Array.from({ length: 6 * L }, () => 4 * rng.normal()));
    set(logvars, Array.from({ length: 6 * L }, () => -6 + 0.5 * rng.normal()));
    const { x } = inputs(f, OBJECTIVES[0], 31);
    // eps that put z near the components: mu + σ·eps lands on a component mean (plus noise)
    const [mu, lv] = tf.tidy(() => {
      const q = vae.encode(tf.tensor4d(x, [f.batch, f.config.height, f.config.width, f.config.channels]));
      return [q.mu.dataSync(), q.logvar.dataSync()];
    });
    const m = means.dataSync();
    const k = 4;
    const eps = new Float32Array(k * f.batch * L);
    for (let j = 0; j < k; j++) {
      for (let i = 0; i < f.batch; i++) {
        const c = (i + j) % 6;
        for (let d = 0; d < L; d++) eps[(j * f.batch + i) * L + d] = (m[c * L + d] + 0.03 * rng.normal() - mu[i * L + d]) / Math.exp(0.5 * lv[i * L + d]);
      }
    }
    const net = NativeNet.create(modelLayers(config), vae.trainableWeights, null, f.batch, k);
    const out = new Float64Array(2 * f.batch);
    net.logWeights(x, eps, f.batch, k, out);
    const ref = tf.tidy(() => {
      const xt = tf.tensor4d(x, [f.batch, f.config.height, f.config.width, f.config.channels]);
      const q = vae.encode(xt);
      const logw = logImportanceWeights({ x: xt, mu: q.mu, logvar: q.logvar, eps: tf.tensor3d(eps, [k, f.batch, L]), likelihood: config.likelihood, decode: (z) => vae.decode(z), logPz: vae.logPz });
      return tf.sum(logw, 0).dataSync();
    });
    for (let i = 0; i < f.batch; i++) relClose(out[2 * i + 1], ref[i], `Σ log w of example ${i}`);
    const o: NativeObjective = { objective: 'iwae', k, beta: 1, kl: 'analytic' };
    const expected = tfjsGradients(vae, f, o, x, x, eps);
    const got = net.gradients(x, eps, f.batch, o);
    const names = vae.trainableWeights.map((v) => v.name);
    got.grads.forEach((g, i) => expectClose(g, expected.grads[i], `gradient of ${names[i]}`, 2e-4));
    vae.dispose();
  });

  const VAMP_MLP = { ...FAMILIES[2], name: `${FAMILIES[2].name}, VampPrior of 150 pseudo-inputs`, config: { ...FAMILIES[2].config, prior: { kind: 'vamp' as const, components: 150 } } };
  it.each([FAMILIES[1], FAMILIES[4], VAMP_MLP])('is deterministic: the same step from the same state gives the same bits (sums in chunk order): $name', (family) => {
    const f = { ...family, batch: 40, chunk: 0 }; // chunks of 16, 16 and 8 (conv) or 20 and 20 (MLP; pseudo-inputs 64, 64, 22) over the threads
    const run = (): Float32Array[] => {
      const vae = model(f.config, 4);
      const opt = tf.train.adam(1e-3);
      const net = NativeNet.create(modelLayers(f.config), vae.trainableWeights, opt, f.batch, 3);
      for (let k = 0; k < 2; k++) {
        const { x, eps } = inputs(f, OBJECTIVES[6], 40 + k);
        net.step(x, eps.subarray(0, 3 * f.batch * f.config.latent), f.batch, { ...OBJECTIVES[6].o, k: 3 });
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

  it("draws eps in C exactly as src/math/rng.ts's normals (the same values, the generator left in the same state)", () => {
    for (const [seed, skip, n] of [[1, 0, 100_001], [7, 1, 3], [123, 3, 1], [5, 1, 0]] as const) {
      const a = new Rng(seed);
      const b = new Rng(seed);
      a.normals(skip); // an odd count leaves a spare value cached
      b.normals(skip);
      const want = a.normals(n);
      const got = nativeNormals(native.addon!, b, new Float32Array(n));
      let differ = 0;
      for (let i = 0; i < n; i++) if (got[i] !== want[i]) differ++;
      expect(differ, `seed ${seed}: values that differ`).toBe(0);
      expect(b.getState()).toEqual(a.getState());
      expect(b.normal()).toBe(a.normal());
    }
  });

  it("runs OpenBLAS's kernels for the CPU's features (a VM that hides the Intel model would get the generic SSE3 ones)", () => {
    const info = native.addon!.info();
    expect(info.core).not.toBe('');
    const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
    const flags = (/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1] ?? '').split(/\s+/);
    if (/GenuineIntel/.test(cpuinfo) && ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx512cd'].every((f) => flags.includes(f))) {
      expect(info.core).toBe(process.env.OPENBLAS_CORETYPE ?? 'SkylakeX');
    }
  });

  it('runs the dense layers on the GEMM VAE_NATIVE_GEMM names (default: oneDNN on Intel AVX-512 CPUs when built with it)', () => {
    const dense = (choice: string | undefined): string => {
      const env = { ...process.env };
      if (choice === undefined) delete env.VAE_NATIVE_GEMM;
      else env.VAE_NATIVE_GEMM = choice;
      const js = `console.log(require(${JSON.stringify(native.file)}).info().dense)`;
      return execFileSync(process.execPath, ['-e', js], { env, encoding: 'utf8' }).trim();
    };
    const info = native.addon!.info() as { conv?: string };
    const withDnnl = /^oneDNN/.test(info.conv ?? '');
    expect(dense('openblas')).toBe(withDnnl ? 'OpenBLAS sgemm (VAE_NATIVE_GEMM=openblas)' : 'OpenBLAS sgemm (built without oneDNN)');
    if (!withDnnl) return;
    expect(dense('dnnl')).toMatch(/^oneDNN \d+\.\d+\.\d+ sgemm \(VAE_NATIVE_GEMM=dnnl\)$/);
    const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
    const intelAvx512 = /GenuineIntel/.test(cpuinfo) && /^flags\s*:.*\bavx512f\b/m.test(cpuinfo);
    expect(dense(undefined)).toMatch(intelAvx512 ? /^oneDNN .* sgemm \(auto: Intel with AVX-512\)$/ : /^OpenBLAS sgemm \(auto: not an Intel AVX-512 CPU\)$/);
  });

  it('is configured from the layer description alone, and says why it declines one', () => {
    const d = modelLayers(MLP_400_20);
    expect(paramShapes(d).map((p) => p.shape)).toEqual([[784, 400], [400], [400, 20], [20], [400, 20], [20], [20, 400], [400], [400, 784], [784]]);
    expect(nativeSpec(d).reason).toBeNull();
    // every likelihood of src/math/likelihood.ts runs, field 5 of the spec (native/src/vae.h's LIK_*); an unknown one is declined
    const kinds = [{ kind: 'gaussian', sigma2: 1 }, { kind: 'bernoulli' }, { kind: 'gaussian-learned' }, { kind: 'continuous-bernoulli' }] as const;
    expect(kinds.map((likelihood) => nativeSpec({ ...d, likelihood }).spec?.[5])).toEqual([0, 1, 2, 3]);
    expect(nativeSpec({ ...d, likelihood: { kind: 'laplace' } as unknown as NetDescription['likelihood'] }).reason).toMatch(/the laplace likelihood/);
    expect(nativeSpec({ ...d, prior: { kind: 'flow', components: 2 } }).reason).toMatch(/flow prior/);
    expect(nativeSpec({ ...d, prior: { kind: 'vamp' } }).reason).toMatch(/vamp prior without components/);
    const vamp = modelLayers({ ...MLP_400_20, prior: { kind: 'vamp', components: 3 } });
    expect(nativeSpec(vamp).reason).toBeNull();
    expect(paramShapes(vamp).at(-1)).toEqual({ layer: 'prior', shape: [3, 28, 28, 1] });
    const slope = { ...d, encoder: d.encoder.map((l) => (l.kind === 'activation' ? { ...l, activation: 'leakyRelu' as const, alpha: 0.1 } : l)) };
    expect(nativeSpec(slope).reason).toMatch(/slope 0.1/);
    const vae = Vae.create(MLP_400_20, 1);
    expect(nativeRefusal(modelLayers({ ...MLP_400_20, hidden: [300] }), vae.trainableWeights)).toMatch(/\[784,400\].*\[784,300\]/);
    expect(() => NativeNet.create(modelLayers({ ...MLP_400_20, hidden: [300] }), vae.trainableWeights, null, 8)).toThrow(/native engine/);
    vae.dispose();
  });
});
