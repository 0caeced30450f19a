/**
 * The training loop (nanoGPT style: reads top to bottom). One epoch = shuffle, then for each
 * minibatch: encode, reparameterise, decode, loss = −ELBO (β-weighted KL), Adam step.
 * Then the validation −ELBO, reconstruction and KL with a fixed eps so epochs are comparable.
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedVariableMap } from '@tensorflow/tfjs-core/dist/tensor_types.js';
import type { Dataset, ImageSet } from '../data/dataset.js';
import { imageSize } from '../data/dataset.js';
import { binarize, type BinarizeMode } from '../data/binarize.js';
import { Rng, type RngState } from '../math/rng.js';
import { sampleEps } from '../math/gaussian.js';
import { elboSingleSample, negElboLoss } from '../math/elbo.js';
import type { KlMode } from '../math/kl.js';
import type { Likelihood } from '../math/likelihood.js';
import type { Vae } from '../models/vae.js';
import type { EpochRecord } from './history.js';
import { UserError } from '../errors.js';

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Weight of the KL term in the training objective (β-VAE); 1 is the plain ELBO. */
  beta: number;
  kl: KlMode;
  binarize: BinarizeMode;
  seed: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  epochs: 30,
  batchSize: 64,
  learningRate: 1e-3,
  beta: 1,
  kl: 'analytic',
  binarize: 'none',
  seed: 0,
};

export interface StepInfo {
  epoch: number;
  step: number;
  steps: number;
  loss: number;
}

export interface Terms {
  loss: number;
  reconstruction: number;
  kl: number;
}

/** Raised when the loss becomes NaN or infinite; the last good checkpoint is left as it is. */
export class DivergedError extends UserError {
  constructor(epoch: number, step: number, lr: number) {
    super(
      `training diverged at epoch ${epoch}, step ${step}: the loss is not a finite number. ` +
        `The last good checkpoint is kept. Try a smaller --lr (now ${lr}), e.g. ${lr / 10}.`,
    );
    this.name = 'DivergedError';
  }
}

/** Seed used for the fixed eps and binarisation of validation/test data. */
const EVAL_SEED = 0x5eed;

/** The seed of a run's evaluation randomness (fixed eps, binarisation of held-out data). */
export function evalSeed(trainingSeed: number): number {
  return trainingSeed ^ EVAL_SEED;
}

export class Trainer {
  readonly optimizer: tf.AdamOptimizer;
  readonly rng: Rng;
  private readonly likelihood: Likelihood;
  private readonly size: number;
  private readonly trainImages: Float32Array;
  /** Validation images, binarised once (fixed seed) if the training data is binarised. */
  readonly validationImages: Float32Array;

  constructor(
    readonly vae: Vae,
    readonly data: Dataset,
    readonly options: TrainOptions,
    /** Adam with restored state when resuming; a fresh one otherwise. */
    optimizer?: tf.AdamOptimizer,
  ) {
    this.optimizer = optimizer ?? tf.train.adam(options.learningRate);
    this.rng = new Rng(options.seed);
    this.likelihood = vae.config.likelihood;
    this.size = imageSize(data);
    const fixed = new Rng(evalSeed(options.seed));
    // static: one seeded sample of the training set, made once; dynamic: re-sampled per batch.
    this.trainImages =
      options.binarize === 'threshold' || options.binarize === 'static'
        ? binarize(data.train.images, options.binarize, { rng: fixed })
        : data.train.images;
    this.validationImages = prepareEvalImages(data.validation, options.binarize, options.seed);
  }

  /** Runs one epoch of training and the validation pass; returns the epoch's record. */
  trainEpoch(epoch: number, onStep?: (s: StepInfo) => void): EpochRecord {
    const start = performance.now();
    const n = this.data.train.count;
    const bs = this.options.batchSize;
    const steps = Math.ceil(n / bs);
    const order = this.rng.permutation(n);
    const vars = this.vae.trainableWeights;
    const batch = new Float32Array(bs * this.size);
    const sums = { loss: 0, reconstruction: 0, kl: 0 };

    for (let step = 0; step < steps; step++) {
      const b = Math.min(bs, n - step * bs);
      for (let i = 0; i < b; i++) {
        const src = order[step * bs + i] * this.size;
        batch.set(this.trainImages.subarray(src, src + this.size), i * this.size);
      }
      let xs: Float32Array = batch.subarray(0, b * this.size);
      if (this.options.binarize === 'dynamic') xs = binarize(xs, 'dynamic', { rng: this.rng });
      const values = tf.tidy(() => {
        const x = tf.tensor4d(xs, [b, this.data.height, this.data.width, this.data.channels]);
        const eps = sampleEps(this.rng, [b, this.vae.config.latent]);
        let stats: tf.Tensor | undefined;
        const { grads } = tf.variableGrads(() => {
          const { mu, logvar } = this.vae.encode(x, true);
          const terms = elboSingleSample({
            x, mu, logvar, eps, likelihood: this.likelihood, beta: this.options.beta, kl: this.options.kl,
            decode: (z) => this.vae.decode(z, true),
          });
          stats = tf.keep(tf.stack([terms.reconstruction.mean(), terms.kl.mean()]));
          return negElboLoss(terms) as tf.Scalar;
        }, vars);
        this.optimizer.applyGradients(grads as NamedVariableMap);
        const v = stats!.dataSync();
        stats!.dispose(); // kept out of variableGrads' scope, so ours to free
        return v;
      });
      const reconstruction = -values[0];
      const kl = values[1];
      const loss = reconstruction + kl;
      if (!Number.isFinite(loss)) throw new DivergedError(epoch, step + 1, this.options.learningRate);
      sums.loss += loss * b;
      sums.reconstruction += reconstruction * b;
      sums.kl += kl * b;
      onStep?.({ epoch, step: step + 1, steps, loss });
    }
    const trainSeconds = (performance.now() - start) / 1000;
    const validation = this.evaluate(this.validationImages, this.data.validation.count);
    if (!Number.isFinite(validation.loss)) throw new DivergedError(epoch, steps, this.options.learningRate);
    return {
      epoch,
      train: { loss: sums.loss / n, reconstruction: sums.reconstruction / n, kl: sums.kl / n },
      validation,
      seconds: (performance.now() - start) / 1000,
      imagesPerSecond: n / trainSeconds,
    };
  }

  /** Mean −ELBO, reconstruction (−E log p(x|z)) and analytic KL over `count` images, fixed eps. */
  evaluate(images: Float32Array, count: number, batchSize = 256): Terms {
    return evaluateElbo(this.vae, images, count, evalSeed(this.options.seed), batchSize);
  }

  getRngState(): { s: RngState; spare: number | null } {
    return this.rng.getState();
  }
}

/** Validation/test images as the model sees them: binarised once with a fixed seed if needed. */
export function prepareEvalImages(set: ImageSet, mode: BinarizeMode, seed: number): Float32Array {
  if (mode === 'none') return set.images;
  // threshold stays threshold; static and dynamic are evaluated on one fixed stochastic sample
  return binarize(set.images, mode === 'threshold' ? 'threshold' : 'static', { rng: new Rng(evalSeed(seed)) });
}

/** Single-sample ELBO terms averaged over a set of images (no gradients, bounded memory). */
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
        decode: (z) => vae.decode(z),
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
