/**
 * The VAE: an encoder q(z|x) = N(mu, diag(exp(logvar))) and a decoder p(x|z) whose parameters
 * (means or logits) have the image's shape. Thin on purpose: the math lives in src/math.
 */
import * as tf from '../engine/tfjs.js';
import type { ModelConfig } from './config.js';
import { buildModel, countParams, type EncoderDecoder } from './build.js';
import { VampPrior, createPrior, type LogDensity, type Prior } from '../math/prior.js';
import { Rng } from '../math/rng.js';
import { likelihoodMean } from '../math/likelihood.js';

/** q(z|x) = N(mu, diag(exp(logvar))) for a batch: two [batch, latent] tensors. */
export interface Posterior {
  mu: tf.Tensor2D;
  logvar: tf.Tensor2D;
}

/** Seed offset of a mixture prior's initial means (independent of the weights' seeds). */
const PRIOR_SEED = 0x9a1a;

/** A variational autoencoder: encoder, decoder and prior p(z), built from a `ModelConfig`. `Vae.create` makes a fresh one; `loadRunFromUrl` (browser) and `loadRunModel` (`vae-ts/node`) load a trained one. */
export class Vae {
  /** p(z): the standard normal unless the config names a mixture (whose variables train with the VAE). */
  readonly prior: Prior;

  constructor(
    readonly config: ModelConfig,
    readonly encoder: tf.LayersModel,
    readonly decoder: tf.LayersModel,
    /** Default: a fresh prior of the config's kind (a seed-0 mixture; load saved parameters instead). */
    prior?: Prior,
  ) {
    this.prior = prior ?? createPrior(config.prior, config.latent, new Rng(PRIOR_SEED), [config.height, config.width, config.channels]);
    // a VampPrior mixes this VAE's own posteriors of its pseudo-inputs
    if (this.prior instanceof VampPrior) this.prior.bindEncoder((x) => this.encode(x));
  }

  /** A fresh model of `config` with weights drawn from `seed` (the same seed gives the same weights). */
  static create(config: ModelConfig, seed = 0): Vae {
    const m: EncoderDecoder = buildModel(config, seed);
    return new Vae(config, m.encoder, m.decoder, createPrior(config.prior, config.latent, new Rng(seed ^ PRIOR_SEED), [config.height, config.width, config.channels]));
  }

  /**
   * log p(z) for the ELBO / IWAE functions' `logPz`: undefined for the standard normal (so they
   * keep the closed-form KL and their exact standard-normal values), the mixture's density otherwise.
   */
  get logPz(): LogDensity | undefined {
    return this.prior.config.kind === 'standard' ? undefined : this.prior.logProb;
  }

  /** Image shape [H, W, C] of one example. */
  get imageShape(): [number, number, number] {
    return [this.config.height, this.config.width, this.config.channels];
  }

  /** q(z|x): x [B, H, W, C] -> mu, logvar [B, latent]. Differentiable. */
  encode(x: tf.Tensor4D, training = false): Posterior {
    const [mu, logvar] = this.encoder.apply(x, { training }) as tf.Tensor2D[];
    return { mu, logvar };
  }

  /** Parameters of p(x|z): means (Gaussian) or logits (Bernoulli), shape [B, H, W, C]. */
  decode(z: tf.Tensor2D, training = false): tf.Tensor4D {
    return this.decoder.apply(z, { training }) as tf.Tensor4D;
  }

  /** Pixel intensities to show for z: the likelihood's means (sigmoid(logits) for a Bernoulli decoder, the continuous Bernoulli's mean for one). */
  decodeMean(z: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => likelihoodMean(this.config.likelihood, this.decode(z)) as tf.Tensor4D);
  }

  get trainableWeights(): tf.Variable[] {
    const layers = [...this.encoder.trainableWeights, ...this.decoder.trainableWeights].map((w) => w.read() as tf.Variable);
    return [...layers, ...this.prior.variables];
  }

  /** Number of weights of the encoder and of the decoder. */
  paramCounts(): { encoder: number; decoder: number } {
    return { encoder: countParams(this.encoder), decoder: countParams(this.decoder) };
  }

  /** Frees the tensors of the encoder, decoder and prior. */
  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
    this.prior.dispose();
  }
}
