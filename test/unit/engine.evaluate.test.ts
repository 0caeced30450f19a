/**
 * Evaluation through the native engine (src/train/evaluate.ts) against the tfjs functions on the
 * same model and eps: the single-sample ELBO terms, the encoder means, and the IWAE-K estimate of
 * log p(x) per example, K split over several calls (log-sum-exp across calls) and several batches,
 * for an MLP with the standard normal prior and a conv model with a mixture prior. The engine is
 * chosen as asked (native / wasm) and says why it declines. CI=true: a missing addon fails.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '../../src/engine/tfjs.js';
import { useBackend } from '../../src/engine/backend.js';
import { loadNativeAddon } from '../../src/engine/native/addon.js';
import { SEED000_CONV, MLP_400_20, type ModelConfig } from '../../src/models/config.js';
import { Vae } from '../../src/models/vae.js';
import { Rng } from '../../src/math/rng.js';
import { estimateLogPx } from '../../src/math/iwae.js';
import { chooseEvaluator } from '../../src/train/evaluate.js';
import { evaluateElbo } from '../../src/train/trainer.js';
import { encodeImages } from '../../src/analysis/generate.js';

const native = loadNativeAddon();
const CI = process.env.CI === 'true';

const MODELS: [string, ModelConfig][] = [
  ['MLP 64-24-3, Bernoulli', { ...MLP_400_20, height: 8, width: 8, hidden: [24], latent: 3 }],
  ['conv 3x8x8, Gaussian, mixture prior', { ...SEED000_CONV, height: 8, width: 8, filters: [4, 6], latent: 2, prior: { kind: 'gmm', components: 3 } }],
];

describe.skipIf(!native.addon && !CI)('native evaluation', () => {
  beforeAll(async () => {
    if (CI) expect(native.reason, 'CI=true: the native addon must be built').toBe('');
    await useBackend('native');
  });

  for (const [name, config] of MODELS) {
    it(`agrees with tfjs: ELBO terms, encodings, IWAE-K over calls and batches: ${name}`, async () => {
      await useBackend('native');
      const vae = Vae.create(config, 4);
      const n = 7;
      const size = config.height * config.width * config.channels;
      const rng = new Rng(9);
      const x = Float32Array.from({ length: n * size }, () => (config.likelihood.kind === 'bernoulli' ? (rng.uniform() < 0.3 ? 1 : 0) : rng.uniform()));
      const ev = chooseEvaluator(vae);
      expect(ev.name).toBe('native');
      expect(ev.label).toMatch(/^native \(OpenBLAS .+, \d+ threads?\)$/);

      const want = evaluateElbo(vae, x, n, 5, 3);
      const got = ev.elbo(x, n, 5, 3);
      for (const k of ['loss', 'reconstruction', 'kl'] as const) expect(Math.abs(got[k] - want[k]), k).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[k])));

      const mu = encodeImages(vae, x, n).mu;
      const enc = ev.encode(x, n).mu;
      enc.forEach((v, i) => expect(Math.abs(v - mu[i])).toBeLessThan(1e-5));

      const K = 7;
      const ref = await estimateLogPx({
        x, shape: vae.imageShape, samples: K, rng: new Rng(3), batchSize: 4, encode: (t) => vae.encode(t as tf.Tensor4D),
        decode: (z) => vae.decode(z), likelihood: config.likelihood, logPz: vae.logPz,
      });
      let last = 0;
      const est = await ev.logPx({ x, samples: K, rng: new Rng(3), batchSize: 4, samplesPerCall: 3, onProgress: (done, total) => {
        expect(done).toBeGreaterThan(last);
        expect(total).toBe(n * K);
        last = done;
      } });
      expect(last).toBe(n * K);
      for (let i = 0; i < n; i++) {
        expect(Math.abs(est.logPx[i] - ref.logPx[i]), `log p(x) of ${i}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref.logPx[i])));
        expect(Math.abs(est.elbo[i] - ref.elbo[i]), `K-sample ELBO of ${i}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref.elbo[i])));
        expect(est.logPx[i]).toBeGreaterThanOrEqual(est.elbo[i]); // Jensen: IWAE_K ≥ the mean log-weight
      }
      vae.dispose();
    });
  }

  it('the engine is the one asked for: tfjs-wasm after useBackend("wasm"), native after useBackend("native")', async () => {
    await useBackend('wasm');
    const vae = Vae.create(MODELS[0][1], 1);
    expect(chooseEvaluator(vae).label).toBe('tfjs-wasm');
    await useBackend('native');
    const other = Vae.create({ ...MODELS[0][1], likelihood: { kind: 'bernoulli' } }, 1);
    expect(chooseEvaluator(other).name).toBe('native');
    vae.dispose();
    other.dispose();
  });
});
