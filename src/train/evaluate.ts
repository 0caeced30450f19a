/**
 * Evaluation through the run's engine: single-sample ELBO terms, encodings (q(z|x)) and the
 * IWAE-K estimate of log p(x), on the native engine when it was asked for and supports the model
 * (the same layer description and C code as training), else on tfjs. Chosen once, said out loud
 * (`label`), the same eps as the tfjs functions so both engines estimate the same numbers.
 *
 * IWAE-K natively: each batch of examples is encoded once per call and decoded for kc samples at
 * once (rows = examples × samples: the decoder's GEMMs are as large as the thread budget allows);
 * the C code returns per example log Σ_j w_j and Σ_j log w_j over its kc samples, combined here
 * across calls by a log-sum-exp in doubles. Memory is bounded for any K. log p(z) is the model's
 * prior on both engines: N(0, I), the Gaussian mixture, or the VampPrior (the C code encodes its
 * pseudo-inputs once per call, native/src/prior_vamp.c).
 */
import * as tf from '../engine/tfjs.js';
import { nativeWanted } from '../engine/native/state.js';
import { NativeNet } from '../engine/native/nativeNet.js';
import { modelLayers } from '../models/layers.js';
import type { Vae } from '../models/vae.js';
import { estimateLogPx, type LogPxEstimate } from '../math/iwae.js';
import { Rng } from '../math/rng.js';
import { encodeImages } from '../analysis/generate.js';
import { evaluateElbo, nativeEngine, type Terms } from './engine.js';

export interface LogPxOptions {
  /** n examples (NHWC, model-ready). */
  x: Float32Array;
  samples: number;
  rng: Rng;
  /** Examples per batch (the eps order depends on it, as in estimateLogPx). Default 100. */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
  /** Native: samples decoded per call and example (default 500); results do not depend on it. */
  samplesPerCall?: number;
}

export interface Evaluator {
  /** 'native' or 'tfjs-<backend>'. */
  readonly name: string;
  /** What the CLI prints after "engine: ". */
  readonly label: string;
  /** Mean single-sample −ELBO, reconstruction and KL with eps from Rng(seed), batch by batch. */
  elbo(images: Float32Array, count: number, seed: number, batchSize?: number): Terms;
  /** Encoder means and log-variances of n images, each [n, latent]. */
  encode(images: Float32Array, n: number): { mu: Float32Array; logvar: Float32Array };
  /** IWAE-K per example: log p(x) estimates and the K-sample ELBO. */
  logPx(o: LogPxOptions): Promise<LogPxEstimate>;
}

/** Lets the event loop run (a progress bar repaint, Ctrl-C) between calls. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** log(e^a + e^b) in doubles, stable, with −∞ as the identity. */
function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

function tfjsEvaluator(vae: Vae, label: string): Evaluator {
  return {
    name: `tfjs-${tf.getBackend()}`,
    label,
    elbo: (images, count, seed, batchSize = 256) => evaluateElbo(vae, images, count, seed, batchSize),
    encode: (images, n) => encodeImages(vae, images, n),
    logPx: (o) => estimateLogPx({
      x: o.x, shape: vae.imageShape, samples: o.samples, rng: o.rng, batchSize: o.batchSize, onProgress: o.onProgress,
      encode: (x) => vae.encode(x as tf.Tensor4D), decode: (z) => vae.decode(z), likelihood: vae.config.likelihood, logPz: vae.logPz,
    }),
  };
}

/** Samples decoded per call and example (the eps per call are kc·batch·latent values). */
const SAMPLES_PER_CALL = 500;

function nativeEvaluator(vae: Vae): Evaluator {
  const d = modelLayers(vae.config);
  const vars = vae.trainableWeights;
  const L = vae.config.latent;
  const size = vae.imageShape.reduce((a, b) => a * b, 1);
  const small = NativeNet.create(d, vars, null, 256, 1);
  return {
    name: 'native',
    label: small.label(),
    elbo(images, count, seed, batchSize = 256) {
      const rng = new Rng(seed);
      return small.evaluate(images, count, batchSize, (n) => rng.normals(n));
    },
    encode(images, n) {
      const mu = new Float32Array(n * L);
      const logvar = new Float32Array(n * L);
      for (let s = 0; s < n; s += 256) {
        const b = Math.min(256, n - s);
        const out = small.encode(images.subarray(s * size, (s + b) * size), b);
        mu.set(out.subarray(0, b * L), s * L);
        logvar.set(out.subarray(b * L), s * L);
      }
      return { mu, logvar };
    },
    async logPx({ x, samples: K, rng, batchSize = 100, onProgress, samplesPerCall = SAMPLES_PER_CALL }) {
      const n = Math.floor(x.length / size);
      const bs0 = Math.max(1, Math.min(batchSize, n));
      const kc0 = Math.max(1, Math.min(K, samplesPerCall));
      const net = NativeNet.create(d, vars, null, bs0, kc0);
      const logPx = new Float32Array(n);
      const elbo = new Float32Array(n);
      const out = new Float64Array(2 * bs0);
      const eps = new Float32Array(kc0 * bs0 * L);
      let done = 0;
      for (let start = 0; start < n; start += bs0) {
        const bs = Math.min(bs0, n - start);
        const xb = x.subarray(start * size, (start + bs) * size);
        const logSumW = new Float64Array(bs).fill(-Infinity);
        const sumLogW = new Float64Array(bs);
        for (let k0 = 0; k0 < K; k0 += kc0) {
          const kc = Math.min(kc0, K - k0);
          // the draws in estimateLogPx's order: per batch, sample-major [K, bs, L]
          const e = net.normals(rng, eps.subarray(0, kc * bs * L));
          net.logWeights(xb, e, bs, kc, out);
          for (let i = 0; i < bs; i++) {
            logSumW[i] = logAddExp(logSumW[i], out[2 * i]);
            sumLogW[i] += out[2 * i + 1];
          }
          done += kc * bs;
          onProgress?.(done, n * K);
          await yieldToEventLoop();
        }
        for (let i = 0; i < bs; i++) {
          logPx[start + i] = logSumW[i] - Math.log(K);
          elbo[start + i] = sumLogW[i] / K;
        }
      }
      return { logPx, elbo };
    },
  };
}

/**
 * The evaluator of a trained model: native when it was asked for (useBackend('native')) and
 * supports the model, else tfjs, with the reason in its label.
 */
export function chooseEvaluator(vae: Vae): Evaluator {
  const tfName = `tfjs-${tf.getBackend()}`;
  if (!nativeWanted()) return tfjsEvaluator(vae, tfName);
  const declined = nativeEngine.supports(vae.config, { batchSize: 1, seed: 0, kl: 'analytic' });
  if (declined !== null) return tfjsEvaluator(vae, `${tfName} — native declined: ${declined}`);
  return nativeEvaluator(vae);
}
