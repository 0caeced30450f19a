/**
 * A run's encoder and decoder loaded in the browser (tf.loadLayersModel from the run folder's
 * tfjs layers files). Every call goes through the page's ModelQueue (see queue.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { estimateLogPx } from '../src/math/iwae.js';
import { likelihoodMean } from '../src/math/likelihood.js';
import { GmmPrior, type GmmParams } from '../src/math/prior.js';
import type { Rng } from '../src/math/rng.js';
import type { RunSummary } from '../src/server/runs.js';
import type { ModelFiles } from './training/protocol.js';

export interface Encoding {
  mu: Float32Array;
  logvar: Float32Array;
}

export class LoadedModel {
  /** The run's mixture prior p(z) (from its prior file), or null for N(0, I). */
  prior: GmmPrior | null = null;

  private constructor(
    readonly run: RunSummary,
    private readonly encoder: tf.LayersModel,
    private readonly decoder: tf.LayersModel,
  ) {}

  static async load(run: RunSummary): Promise<LoadedModel> {
    // an imported ONNX run: onnxruntime-web, fetched only now (web/onnxModel.ts; same public interface)
    if (run.onnx) return (await (await import('./onnxModel.js')).OnnxPageModel.load(run)) as unknown as LoadedModel;
    const [encoder, decoder, prior] = await Promise.all([tf.loadLayersModel(run.urls.encoder), tf.loadLayersModel(run.urls.decoder), fetchPrior(run)]);
    const m = new LoadedModel(run, encoder, decoder);
    m.prior = prior;
    return m;
  }

  /**
   * A run whose models are in memory (trained in the page or loaded from a run file). Throws if
   * the models do not take the image shape and latent size that `run.model` describes.
   */
  static async fromArtifacts(run: RunSummary, encoderFiles: ModelFiles, decoderFiles: ModelFiles): Promise<LoadedModel> {
    const [encoder, decoder] = await Promise.all([encoderFiles, decoderFiles].map((f) => tf.loadLayersModel(tf.io.fromMemory({ ...f }))));
    const { height, width, channels, latent } = run.model;
    const same = (a: readonly (number | null)[], b: readonly (number | null)[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
    const problem =
      !same(encoder.inputs[0].shape, [null, height, width, channels]) ? `the encoder takes ${JSON.stringify(encoder.inputs[0].shape)}, not ${height}×${width}×${channels} images`
      : encoder.outputs.length !== 2 || !encoder.outputs.every((o) => same(o.shape, [null, latent])) ? `the encoder does not give mu and logvar of size ${latent}`
      : !same(decoder.inputs[0].shape, [null, latent]) ? `the decoder does not take ${latent}-D latent points`
      : !same(decoder.outputs[0].shape, [null, height, width, channels]) ? `the decoder does not give ${height}×${width}×${channels} images`
      : null;
    if (problem) {
      encoder.dispose();
      decoder.dispose();
      throw new Error(`run '${run.name}': ${problem} (as its model config says)`);
    }
    return new LoadedModel(run, encoder, decoder);
  }

  get latent(): number {
    return this.run.model.latent;
  }

  /** [height, width, channels] of one image. */
  get imageShape(): [number, number, number] {
    return [this.run.model.height, this.run.model.width, this.run.model.channels];
  }

  get imageSize(): number {
    const [h, w, c] = this.imageShape;
    return h * w * c;
  }

  /** q(z|x) for `count` images (NHWC values in [0, 1]): mu and logvar, count × latent each. */
  async encode(images: Float32Array, count: number): Promise<Encoding> {
    const [mu, logvar] = tf.tidy(() => {
      const x = tf.tensor4d(images, [count, ...this.imageShape]);
      return this.encoder.predict(x) as tf.Tensor[];
    });
    try {
      const [m, l] = await Promise.all([mu.data(), logvar.data()]);
      return { mu: m as Float32Array, logvar: l as Float32Array };
    } finally {
      mu.dispose();
      logvar.dispose();
    }
  }

  /** The decoder's mean images (sigmoid of the logits for Bernoulli runs) for `count` latent points. */
  async decode(z: Float32Array, count: number): Promise<Float32Array> {
    const out = tf.tidy(() => {
      const y = this.decoder.predict(tf.tensor2d(z, [count, this.latent])) as tf.Tensor;
      return likelihoodMean(this.run.model.likelihood, y); // Bernoulli: sigmoid; continuous Bernoulli: its mean
    });
    try {
      return (await out.data()) as Float32Array;
    } finally {
      out.dispose();
    }
  }

  /**
   * Per image: the K-sample −ELBO and −IWAE_K (≈ −log p(x)) in nats, from src/math/iwae.ts's
   * estimator with the run's likelihood and prior (the mixture when it has one), K = `samples`
   * draws of z per image from `rng`. Images NHWC in [0, 1].
   */
  async scores(images: Float32Array, count: number, samples: number, rng: Rng): Promise<{ negElbo: Float32Array; negLogPx: Float32Array }> {
    const est = await estimateLogPx({
      x: images.subarray(0, count * this.imageSize), shape: this.imageShape, samples, rng, batchSize: count,
      encode: (x) => {
        const [mu, logvar] = this.encoder.predict(x) as tf.Tensor[];
        return { mu, logvar };
      },
      decode: (z) => this.decoder.predict(z) as tf.Tensor,
      likelihood: this.run.model.likelihood,
      logPz: this.prior?.logProb,
    });
    return { negElbo: est.elbo.map((v) => -v), negLogPx: est.logPx.map((v) => -v) };
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
    this.prior?.dispose();
  }
}

/**
 * The mixture prior a run's summary names (`urls.prior`, a mixture-prior run's prior-<tag>.json),
 * or null: no such file means N(0, I), as for every other run. A file that does not fit the run's
 * latent size is reported as a warning and also gives N(0, I).
 */
async function fetchPrior(run: RunSummary): Promise<GmmPrior | null> {
  const url = run.urls.prior;
  // a VampPrior run's file also holds the equal-weight mixture its pseudo-inputs give through the saved encoder
  if (!url || (run.model.prior?.kind !== 'gmm' && run.model.prior?.kind !== 'vamp')) return null;
  const res = await fetch(url);
  if (!res.ok) {
    console.warn(`${url}: ${res.status}; using N(0, I)`);
    return null;
  }
  const p = (await res.json()) as Partial<GmmParams>;
  const D = run.model.latent;
  const K = run.model.prior.components;
  const rows = (r: unknown): boolean => Array.isArray(r) && r.length === K && r.every((v) => Array.isArray(v) && v.length === D && v.every((x) => typeof x === 'number'));
  if (!Array.isArray(p.logits) || p.logits.length !== K || !rows(p.means) || !rows(p.logvars)) {
    console.warn(`${url}: not ${K} mixture components of dimension ${D}; using N(0, I)`);
    return null;
  }
  return new GmmPrior({ logits: p.logits, means: p.means as number[][], logvars: p.logvars as number[][] });
}
