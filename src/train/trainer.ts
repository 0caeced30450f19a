/**
 * The training loop (nanoGPT style: reads top to bottom). One epoch = shuffle, then for each
 * minibatch: encode, reparameterise, decode, loss = −ELBO (β-weighted KL), Adam step.
 * Then the validation −ELBO, reconstruction and KL with a fixed eps so epochs are comparable.
 *
 * Options beyond the plain ELBO change only the training objective, never what is reported (the
 * train and validation figures are the true ELBO: β = 1, no floor, clean input):
 * - `warmup`: β ramps linearly from 0 to β over that many epochs, per step (Bowman et al. 2016,
 *   Sønderby et al. 2016), see `warmupBeta`;
 * - `freeBits`: the KL of each latent dimension, averaged over the minibatch, floored at λ nats
 *   (Kingma et al. 2016), see `freeBitsKl`;
 * - `corrupt`: the encoder sees a seeded corrupted copy of the batch, the likelihood scores the
 *   clean batch (denoising, seed 004);
 * - a mixture prior in the model config: the KL is log q(z|x) − log p(z) at the sampled z and the
 *   prior's parameters train with the rest.
 */
import * as tf from '../engine/tfjs.js';
import type { Dataset, ImageSet } from '../data/dataset.js';
import { imageSize } from '../data/dataset.js';
import { binarize, type BinarizeMode } from '../data/binarize.js';
import { Rng, type RngState } from '../math/rng.js';
import { corrupt, type Corruption } from '../math/corrupt.js';
import { chooseEngine, type Terms, type TrainStep } from './engine.js';
import type { KlMode } from '../math/kl.js';
import type { Vae } from '../models/vae.js';
import type { EpochRecord } from './history.js';
import { UserError } from '../errors.js';

/** How to train: epochs, minibatch size, Adam's learning rate, the objective's options and the seed. */
export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Weight of the KL term in the training objective (β-VAE); 1 is the plain ELBO. */
  beta: number;
  kl: KlMode;
  binarize: BinarizeMode;
  seed: number;
  /** KL warm-up: epochs over which β ramps linearly from 0 (per step); absent or 0 = none. */
  warmup?: number;
  /** Free bits λ in nats per latent dimension (Kingma et al. 2016); absent or 0 = none. */
  freeBits?: number;
  /** Denoising: corruption of the encoder's input (the target stays clean); absent = none. */
  corrupt?: Corruption;
  /** The bound a step maximises: 'elbo' (default) or 'iwae' (Burda et al. 2015). */
  objective?: 'elbo' | 'iwae';
  /** Samples of z per example in a training step (k-sample ELBO or IWAE-k); absent = 1. */
  k?: number;
  /**
   * Perturbed training data (input and target alike, before binarisation), for the background
   * model of a likelihood ratio (Ren et al. 2019, `replace:μ`); absent = none. Validation stays clean.
   */
  perturb?: Corruption;
}

/**
 * β at a training step under KL warm-up: β · min(1, s / (warmup · steps)), s = (epoch − 1)·steps +
 * step the 0-based global step, so the first step has β = 0 and β is reached after `warmup`
 * epochs. A function of the position only, so a resumed run gets the same values.
 */
export function warmupBeta(beta: number, warmup: number | undefined, epoch: number, step: number, steps: number): number {
  if (!warmup || warmup <= 0) return beta;
  const s = (epoch - 1) * steps + step;
  return beta * Math.min(1, s / (warmup * steps));
}

/** The defaults of `train` and `vae train`: 30 epochs, batch 64, Adam 1e-3, β = 1, analytic KL, seed 0. */
export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  epochs: 30,
  batchSize: 64,
  learningRate: 1e-3,
  beta: 1,
  kl: 'analytic',
  binarize: 'none',
  seed: 0,
};

/** Progress after one training step: its epoch, step number, steps per epoch and minibatch loss. */
export interface StepInfo {
  epoch: number;
  step: number;
  steps: number;
  loss: number;
}

export type { Terms } from './engine.js';
export { evaluateElbo } from './engine.js';

/** Where an epoch stands after `step` of its `steps` steps: enough to continue it bit for bit. */
export interface EpochProgress {
  epoch: number;
  step: number;
  steps: number;
  /** RNG state at the start of the epoch (it draws the epoch's permutation). */
  epochRng: { s: RngState; spare: number | null };
  /** RNG state after the step. */
  rng: { s: RngState; spare: number | null };
  /** Sums over the steps so far (loss, reconstruction and KL times batch size). */
  sums: Terms;
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
  private readonly size: number;
  private readonly trainImages: Float32Array;
  /** Validation images, binarised once (fixed seed) if the training data is binarised. */
  readonly validationImages: Float32Array;
  /** The engine that runs the steps and the validation, chosen once (see engine.ts). */
  readonly engine: TrainStep;

  constructor(
    readonly vae: Vae,
    readonly data: Dataset,
    readonly options: TrainOptions,
    /** Adam with restored state when resuming; a fresh one otherwise. */
    optimizer?: tf.AdamOptimizer,
  ) {
    if ((options.freeBits ?? 0) > 0 && vae.logPz) throw new UserError('free bits need the standard normal prior (a mixture prior has no per-dimension KL)');
    this.optimizer = optimizer ?? tf.train.adam(options.learningRate);
    this.rng = new Rng(options.seed);
    this.size = imageSize(data);
    const fixed = new Rng(evalSeed(options.seed));
    // static: one seeded sample of the training set, made once; dynamic: re-sampled per batch.
    this.trainImages =
      options.binarize === 'threshold' || options.binarize === 'static'
        ? binarize(data.train.images, options.binarize, { rng: fixed })
        : data.train.images;
    this.validationImages = prepareEvalImages(data.validation, options.binarize, options.seed);
    if (options.objective === 'iwae' && (options.freeBits ?? 0) > 0) throw new UserError('free bits apply to the ELBO, not to --objective iwae');
    this.engine = chooseEngine(vae, options, this.optimizer);
  }

  /** Runs one epoch of training and the validation pass; returns the epoch's record. */
  trainEpoch(epoch: number, onStep?: (s: StepInfo) => void): EpochRecord {
    const it = this.epochSteps(epoch, onStep);
    for (;;) {
      const r = it.next();
      if (r.done) return r.value;
    }
  }

  /**
   * One epoch as a generator that yields after every step what is needed to continue it bit for
   * bit (so a caller can pause between steps, save and stop); `from` continues such a point.
   */
  *epochSteps(epoch: number, onStep?: (s: StepInfo) => void, from?: EpochProgress): Generator<EpochProgress, EpochRecord> {
    const start = performance.now();
    const n = this.data.train.count;
    const bs = this.options.batchSize;
    const steps = Math.ceil(n / bs);
    if (from) this.rng.setState(from.epochRng);
    const epochRng = this.rng.getState();
    const order = this.rng.permutation(n);
    const batch = new Float32Array(bs * this.size);
    const sums = { loss: 0, reconstruction: 0, kl: 0 };
    let first = 0;
    if (from) {
      if (from.epoch !== epoch || !(from.step >= 0 && from.step <= steps)) throw new UserError(`cannot continue epoch ${epoch} at step ${from.step} of ${steps}`);
      this.rng.setState(from.rng);
      Object.assign(sums, from.sums);
      first = from.step;
    }

    for (let step = first; step < steps; step++) {
      const b = Math.min(bs, n - step * bs);
      for (let i = 0; i < b; i++) {
        const src = order[step * bs + i] * this.size;
        batch.set(this.trainImages.subarray(src, src + this.size), i * this.size);
      }
      let xs: Float32Array = batch.subarray(0, b * this.size);
      if (this.options.perturb) xs = corrupt(xs, this.options.perturb, this.rng, this.data.channels);
      if (this.options.binarize === 'dynamic') xs = binarize(xs, 'dynamic', { rng: this.rng });
      // denoising: the encoder sees a corrupted copy, the likelihood scores the clean xs
      const input = this.options.corrupt ? corrupt(xs, this.options.corrupt, this.rng, this.data.channels) : xs;
      const beta = warmupBeta(this.options.beta, this.options.warmup, epoch, step, steps);
      const values = this.engine.step({ x: xs, xEnc: input, batch: b, beta, rng: this.rng });
      const reconstruction = -values[0];
      const kl = values[1];
      const loss = reconstruction + kl;
      if (!Number.isFinite(loss)) throw new DivergedError(epoch, step + 1, this.options.learningRate);
      sums.loss += loss * b;
      sums.reconstruction += reconstruction * b;
      sums.kl += kl * b;
      onStep?.({ epoch, step: step + 1, steps, loss });
      yield { epoch, step: step + 1, steps, epochRng, rng: this.rng.getState(), sums: { ...sums } };
    }
    const trainSeconds = (performance.now() - start) / 1000;
    const validation = this.evaluate(this.validationImages, this.data.validation.count);
    if (!Number.isFinite(validation.loss)) throw new DivergedError(epoch, steps, this.options.learningRate);
    return {
      epoch,
      train: { loss: sums.loss / n, reconstruction: sums.reconstruction / n, kl: sums.kl / n },
      validation,
      seconds: (performance.now() - start) / 1000,
      imagesPerSecond: Math.max(0, n - first * bs) / trainSeconds,
      engine: this.engine.name,
    };
  }

  /** Mean −ELBO, reconstruction (−E log p(x|z)) and analytic KL (Monte-Carlo for a mixture prior) over `count` images, fixed eps. */
  evaluate(images: Float32Array, count: number, batchSize = 256): Terms {
    return this.engine.evaluate(images, count, evalSeed(this.options.seed), batchSize);
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
