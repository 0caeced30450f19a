/**
 * The training-step interface and the one place where a run's engine is chosen.
 *
 * Two engines run the same layer description (src/models/layers.ts) and the same objectives:
 * - `tfjs`: autodiff over src/math and src/models on tfjs's backend (wasm in Node; the reference,
 *   and the browser's engine);
 * - `native`: our C code (native/src/) configured from the description, a whole step per call.
 * The choice is made once per run (`chooseEngine`), said out loud (`engine.label`: e.g.
 * "native (OpenBLAS 0.3.21, 2 threads)" or "tfjs-wasm — native declined: <reason>") and recorded
 * per epoch in run.json. The native engine is used when it was asked for (backend 'native') and
 * `supports` has no objection; never a silent fallback. Both draw eps from the same seeded Rng in
 * the same order ([k, batch, latent] per step), so they see the same numbers.
 */
import * as tf from '../engine/tfjs.js';
import type { NamedVariableMap } from '@tensorflow/tfjs-core/dist/tensor_types.js';
import { nativeWanted } from '../engine/native/state.js';
import { loadNativeAddon } from '../engine/native/addon.js';
import { nativeSpec } from '../engine/native/netSpec.js';
import { NativeNet } from '../engine/native/nativeNet.js';
import { modelLayers } from '../models/layers.js';
import type { ModelConfig } from '../models/config.js';
import type { Vae } from '../models/vae.js';
import { elboSingleSample, kSampleObjective } from '../math/elbo.js';
import { sampleEps } from '../math/gaussian.js';
import { Rng } from '../math/rng.js';

/** What a step needs from the trainer's options. */
export interface StepOptions {
  batchSize: number;
  seed: number;
  kl: 'analytic' | 'monte-carlo';
  objective?: 'elbo' | 'iwae';
  /** Samples of z per example (default 1). */
  k?: number;
  freeBits?: number;
}

/** One minibatch: x (the likelihood's target), xEnc (what the encoder sees), β of this step. */
export interface StepBatch {
  x: Float32Array;
  xEnc: Float32Array;
  batch: number;
  beta: number;
  /** Draws this step's eps, k·batch·latent normals. */
  rng: Rng;
}

export interface Terms {
  loss: number;
  reconstruction: number;
  kl: number;
}

export interface TrainStep {
  /** 'native', 'tfjs-wasm' or 'tfjs-cpu'. */
  readonly name: string;
  /** The line the CLI prints after "engine: ". */
  readonly label: string;
  /** One optimizer step; returns the batch means [E log p(x|z), KL] (the true ELBO terms). */
  step(b: StepBatch): [number, number];
  /** Mean single-sample −ELBO, reconstruction and KL over `count` images with the run's fixed eps. */
  evaluate(images: Float32Array, count: number, evalSeed: number, batchSize?: number): Terms;
}

export interface Engine {
  readonly name: string;
  /** Why this engine cannot run the config and options (null: it can). */
  supports(config: ModelConfig, options: StepOptions): string | null;
  create(vae: Vae, options: StepOptions, optimizer: tf.AdamOptimizer): TrainStep;
}

const samples = (o: StepOptions): number => o.k ?? 1;

/** tfjs: autodiff over kSampleObjective; eps [batch, latent] for k = 1, else [k, batch, latent]. */
export const tfjsEngine: Engine = {
  get name() {
    return `tfjs-${tf.getBackend()}`;
  },
  supports: () => null,
  create(vae, options, optimizer) {
    const k = samples(options);
    const name = `tfjs-${tf.getBackend()}`;
    return {
      name,
      label: name,
      step({ x, xEnc, batch, beta, rng }) {
        return tf.tidy(() => {
          const [h, w, c] = vae.imageShape;
          const xt = tf.tensor4d(x, [batch, h, w, c]);
          const xIn = xEnc === x ? xt : tf.tensor4d(xEnc, [batch, h, w, c]);
          const eps = sampleEps(rng, k === 1 ? [batch, vae.config.latent] : [k, batch, vae.config.latent]);
          let stats: tf.Tensor | undefined;
          const { grads } = tf.variableGrads(() => {
            const { mu, logvar } = vae.encode(xIn, true);
            const { loss, terms } = kSampleObjective({
              x: xt, mu, logvar, eps, likelihood: vae.config.likelihood, beta, kl: options.kl, freeBits: options.freeBits,
              objective: options.objective, logPz: vae.logPz, decode: (z) => vae.decode(z, true),
            });
            stats = tf.keep(tf.stack([terms.reconstruction.mean(), terms.kl.mean()]));
            return loss;
          }, vae.trainableWeights);
          optimizer.applyGradients(grads as NamedVariableMap);
          const v = stats!.dataSync();
          stats!.dispose(); // kept out of variableGrads' scope, so ours to free
          return [v[0], v[1]];
        });
      },
      evaluate: (images, count, seed, batchSize = 256) => evaluateElbo(vae, images, count, seed, batchSize),
    };
  },
};

/** Single-sample ELBO terms averaged over a set of images with tfjs (no gradients, bounded memory). */
export function evaluateElbo(vae: Vae, images: Float32Array, count: number, seed: number, batchSize = 256): Terms {
  const [h, w, c] = vae.imageShape;
  const size = h * w * c;
  const rng = new Rng(seed);
  const sums = { reconstruction: 0, kl: 0 };
  for (let start = 0; start < count; start += batchSize) {
    const b = Math.min(batchSize, count - start);
    const values = tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(start * size, (start + b) * size), [b, h, w, c]);
      const { mu, logvar } = vae.encode(x);
      const terms = elboSingleSample({
        x, mu, logvar, eps: sampleEps(rng, [b, vae.config.latent]), likelihood: vae.config.likelihood,
        decode: (z) => vae.decode(z), logPz: vae.logPz,
      });
      return tf.stack([terms.reconstruction.sum(), terms.kl.sum()]).dataSync();
    });
    sums.reconstruction -= values[0];
    sums.kl += values[1];
  }
  const reconstruction = sums.reconstruction / count;
  const kl = sums.kl / count;
  return { loss: reconstruction + kl, reconstruction, kl };
}

/** native: the C step configured from the model's layer description. */
export const nativeEngine: Engine = {
  name: 'native',
  supports(config, options) {
    const { addon, reason } = loadNativeAddon();
    if (!addon) return reason;
    if (tf.getBackend() !== 'wasm') return `tfjs is on '${tf.getBackend()}' (the native engine works on the wasm backend's weights)`;
    const spec = nativeSpec(modelLayers(config));
    if (spec.reason !== null) return `the model: ${spec.reason}`;
    if ((options.freeBits ?? 0) > 0 && config.prior && config.prior.kind !== 'standard') return 'free bits with a non-standard prior';
    return null;
  },
  create(vae, options, optimizer) {
    const k = samples(options);
    const net = NativeNet.create(modelLayers(vae.config), vae.trainableWeights, optimizer, options.batchSize, k);
    const objective = { objective: options.objective ?? 'elbo', k, kl: options.kl, freeBits: options.freeBits } as const;
    const L = vae.config.latent;
    return {
      name: 'native',
      label: net.label(),
      step({ x, xEnc, batch, beta, rng }) {
        const eps = net.normals(rng, new Float32Array(k * batch * L)); // rng.normals' values, drawn in C
        const [reconstruction, kl] = net.step(x, eps, batch, { ...objective, beta }, xEnc);
        return [reconstruction, kl];
      },
      evaluate(images, count, seed, batchSize = 256) {
        const rng = new Rng(seed); // the same eps, batch by batch, as the tfjs evaluation
        return net.evaluate(images, count, batchSize, (n) => rng.normals(n));
      },
    };
  },
};

/**
 * The run's engine: native when it was asked for (useBackend('native')) and supports the run,
 * else tfjs on the current backend, with the reason in its label.
 */
export function chooseEngine(vae: Vae, options: StepOptions, optimizer: tf.AdamOptimizer): TrainStep {
  if (nativeWanted()) {
    const declined = nativeEngine.supports(vae.config, options);
    if (declined === null) return nativeEngine.create(vae, options, optimizer);
    const step = tfjsEngine.create(vae, options, optimizer);
    return { ...step, step: step.step, evaluate: step.evaluate, label: `${step.name} — native declined: ${declined}` };
  }
  return tfjsEngine.create(vae, options, optimizer);
}
