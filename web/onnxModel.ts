/**
 * An imported ONNX run (`vae import-onnx`) in the page: its encoder.onnx and decoder.onnx in
 * onnxruntime-web (WebAssembly execution provider, one thread), behind the same interface as
 * LoadedModel (model.ts), so the widgets and the queue do not know which engine runs a model.
 *
 * onnxruntime-web is imported dynamically (model.ts imports this file only for ONNX runs): its
 * script is a separate chunk and its ~14 MB WebAssembly binary (emitted by Vite into assets/) is
 * fetched only when an ONNX run is opened.
 */
import * as tf from '@tensorflow/tfjs';
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import { logImportanceWeights } from '../src/math/elbo.js';
import { logMeanExp } from '../src/math/iwae.js';
import type { Rng } from '../src/math/rng.js';
import { sigmoidInPlace, transposeImages } from '../src/onnx/layout.js';
import type { OnnxServed } from '../src/onnx/run.js';
import type { RunSummary } from '../src/server/runs.js';
import type { Encoding, LoadedModel } from './model.js';

type Ort = typeof import('onnxruntime-web');

/** LoadedModel's public interface (its private fields are tfjs models, which this one has none of). */
export type PageModel = Pick<LoadedModel, keyof LoadedModel>;

let ortPromise: Promise<Ort> | null = null;

/** onnxruntime-web's wasm build; Vite emits its .wasm next to the chunk (assets/), where the bundle finds it. */
function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-web/wasm').then((ort) => {
    ort.env.wasm.numThreads = 1; // the page is not cross-origin isolated: no threads anyway
    ort.env.wasm.proxy = false;
    return ort as unknown as Ort;
  });
  return ortPromise;
}

export class OnnxPageModel implements PageModel {
  readonly prior = null;
  private readonly batch: number;

  private constructor(
    readonly run: RunSummary,
    private readonly ort: Ort,
    private readonly spec: OnnxServed,
    private readonly encoder: InferenceSession,
    private readonly decoder: InferenceSession,
  ) {
    this.batch = spec.batch === 'dynamic' ? 256 : 1;
  }

  static async load(run: RunSummary): Promise<OnnxPageModel> {
    const spec = run.onnx;
    if (!spec) throw new Error(`run '${run.name}' is not an ONNX run`);
    const ort = await loadOrt();
    const open = async (url: string): Promise<InferenceSession> => {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`${url}: ${res.status}`);
      return ort.InferenceSession.create(new Uint8Array(await res.arrayBuffer()), { executionProviders: ['wasm'] });
    };
    const [encoder, decoder] = await Promise.all([open(spec.encoder), open(spec.decoder)]);
    return new OnnxPageModel(run, ort, spec, encoder, decoder);
  }

  get latent(): number {
    return this.run.model.latent;
  }

  get imageShape(): [number, number, number] {
    return [this.run.model.height, this.run.model.width, this.run.model.channels];
  }

  get imageSize(): number {
    const [h, w, c] = this.imageShape;
    return h * w * c;
  }

  private async runOne(session: InferenceSession, input: string, tensor: Tensor, outputs: string[]): Promise<Float32Array[]> {
    const out = await session.run({ [input]: tensor });
    tensor.dispose();
    return outputs.map((name) => {
      const t = out[name];
      const data = (t.data as Float32Array).slice();
      t.dispose();
      return data;
    });
  }

  async encode(images: Float32Array, count: number): Promise<Encoding> {
    const d = this.latent;
    const size = this.imageSize;
    const [h, w, c] = this.imageShape;
    const mu = new Float32Array(count * d);
    const logvar = new Float32Array(count * d);
    for (let s = 0; s < count; s += this.batch) {
      const b = Math.min(this.batch, count - s);
      const x = images.slice(s * size, (s + b) * size);
      const nchw = this.spec.layout === 'NCHW';
      const t = new this.ort.Tensor('float32', nchw ? transposeImages(x, b, this.imageShape, true) : x, nchw ? [b, c, h, w] : [b, h, w, c]);
      const [m, l] = await this.runOne(this.encoder, this.spec.encoderIo.input, t, this.spec.encoderIo.outputs);
      mu.set(m, s * d);
      logvar.set(l, s * d);
    }
    return { mu, logvar };
  }

  /** The decoder's mean images, NHWC (sigmoid of the logits for Bernoulli runs). */
  async decode(z: Float32Array, count: number): Promise<Float32Array> {
    const out = await this.decodeRaw(z, count);
    return this.run.model.likelihood.kind === 'bernoulli' ? sigmoidInPlace(out) : out;
  }

  /** The decoder's outputs as they are (Gaussian means or Bernoulli logits), NHWC. */
  private async decodeRaw(z: Float32Array, count: number): Promise<Float32Array> {
    const d = this.latent;
    const size = this.imageSize;
    const out = new Float32Array(count * size);
    for (let s = 0; s < count; s += this.batch) {
      const b = Math.min(this.batch, count - s);
      const t = new this.ort.Tensor('float32', z.slice(s * d, (s + b) * d), [b, d]);
      const [y] = await this.runOne(this.decoder, this.spec.decoderIo.input, t, [this.spec.decoderIo.output]);
      const nhwc = this.spec.layout === 'NCHW' ? transposeImages(y, b, this.imageShape, false) : y;
      out.set(nhwc, s * size);
    }
    return out;
  }

  /**
   * Per image: the K-sample −ELBO and −IWAE_K in nats, as LoadedModel.scores: the graphs run in
   * onnxruntime-web (encoder once, decoder on all K·count draws z = mu + σ·eps), the log densities
   * are src/math's (logImportanceWeights with the run's likelihood, prior N(0, I)). eps from `rng`
   * in the order [sample, image, latent], as sampleEps draws them.
   */
  async scores(images: Float32Array, count: number, samples: number, rng: Rng): Promise<{ negElbo: Float32Array; negLogPx: Float32Array }> {
    const D = this.latent;
    const K = samples;
    const x = images.subarray(0, count * this.imageSize);
    const { mu, logvar } = await this.encode(x, count);
    const eps = rng.normals(K * count * D);
    const z = new Float32Array(eps.length);
    for (let k = 0; k < K; k++) {
      for (let i = 0; i < count * D; i++) z[k * count * D + i] = mu[i] + Math.exp(0.5 * logvar[i]) * eps[k * count * D + i];
    }
    const raw = await this.decodeRaw(z, K * count);
    const [logw, elbo] = tf.tidy(() => {
      const lw = logImportanceWeights({
        x: tf.tensor(x, [count, ...this.imageShape]), mu: tf.tensor2d(mu, [count, D]), logvar: tf.tensor2d(logvar, [count, D]),
        decode: () => tf.tensor(raw, [K * count, ...this.imageShape]), likelihood: this.run.model.likelihood, eps: tf.tensor(eps, [K, count, D]),
      });
      return [logMeanExp(lw, 0), tf.mean(lw, 0)];
    });
    try {
      const [lp, el] = await Promise.all([logw.data(), elbo.data()]);
      return { negElbo: (el as Float32Array).map((v) => -v), negLogPx: (lp as Float32Array).map((v) => -v) };
    } finally {
      logw.dispose();
      elbo.dispose();
    }
  }

  dispose(): void {
    for (const s of [this.encoder, this.decoder]) s.release().catch((e: unknown) => console.warn(`releasing an ONNX session: ${String(e)}`));
  }
}
