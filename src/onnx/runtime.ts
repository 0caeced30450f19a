/**
 * The model interface of the inference commands (`vae sample`, `decode`, `encode`, `reconstruct`):
 * a run opened for inference, whatever holds its model, so the commands do not branch on formats.
 *
 * - a trained run (tfjs layers files): the Vae, through src/analysis/generate.ts;
 * - an imported ONNX run (src/onnx/run.ts): both graphs in onnxruntime-node (an optional peer
 *   dependency, imported only when such a run is opened).
 *
 * Images are NHWC Float32Arrays in [0, 1] on both sides of the interface (as everywhere in the
 * project); an NCHW graph gets its images transposed on the way in and out.
 */
import * as path from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { UserError } from '../errors.js';
import type { LikelihoodConfig } from '../models/config.js';
import type { DatasetSpec } from '../data/load.js';
import { Rng } from '../math/rng.js';
import { StandardNormalPrior } from '../math/prior.js';
import { decodeZ, sampleImages } from '../analysis/generate.js';
import { loadRunModel, type RunJson } from '../train/run.js';
import { chooseEvaluator } from '../train/evaluate.js';
import { sigmoidInPlace, transposeImages } from './layout.js';
import { DECODER_FILE, ENCODER_FILE, isOnnxRunDir, readOnnxRun, type ImageLayout, type OnnxRunJson } from './run.js';

export interface Encoding {
  mu: Float32Array;
  logvar: Float32Array;
}

export interface InferenceModel {
  readonly latent: number;
  /** [height, width, channels] of one image. */
  readonly imageShape: [number, number, number];
  readonly likelihood: LikelihoodConfig;
  /** 'tfjs' or 'onnx' (what runs the model). */
  readonly engine: 'tfjs' | 'onnx';
  /** n draws z ~ p(z) from a seeded Rng, and their decoded means. */
  sample(n: number, seed: number): Promise<{ z: Float32Array; images: Float32Array }>;
  /** The decoder's means (sigmoid of the logits for a Bernoulli decoder), NHWC in [0, 1]. */
  decode(z: Float32Array, n: number): Promise<Float32Array>;
  /** q(z|x): mu and logvar, n × latent each. */
  encode(images: Float32Array, n: number): Promise<Encoding>;
  dispose(): Promise<void>;
}

/** What the inputs of a command (PNG files or SPLIT:INDEX, cli/inputs.ts) need to know about a run. */
export interface InputsRun {
  model: { height: number; width: number; channels: number };
  dataset: DatasetSpec | null;
  training: Pick<RunJson['training'], 'binarize' | 'seed'>;
}

/** Opens a run folder for inference: a trained run's best model, or an imported ONNX pair. */
export async function openInferenceRun(dir: string): Promise<{ run: InputsRun; model: InferenceModel }> {
  if (isOnnxRunDir(dir)) {
    const run = readOnnxRun(dir);
    return { run: { model: run.model, dataset: run.dataset, training: { binarize: 'none', seed: 0 } }, model: await OnnxModel.open(dir, run) };
  }
  const { run, vae } = await loadRunModel(dir);
  const model: InferenceModel = {
    latent: vae.config.latent,
    imageShape: vae.imageShape,
    likelihood: vae.config.likelihood,
    engine: 'tfjs',
    sample: async (n, seed) => sampleImages(vae, n, seed),
    decode: async (z, n) => decodeZ(vae, z, n),
    // the native engine where it runs this model (as vae eval and anomaly do), else tfjs
    encode: async (images, n) => chooseEvaluator(vae).encode(images, n),
    dispose: async () => vae.dispose(),
  };
  return { run, model };
}

type Ort = typeof import('onnxruntime-node');

/** onnxruntime-node, imported on first use (an optional peer dependency). */
export async function loadOrt(): Promise<Ort> {
  try {
    return await import('onnxruntime-node');
  } catch (e) {
    throw new UserError(`ONNX runs need the npm package onnxruntime-node (npm install onnxruntime-node): ${(e as Error).message.split('\n')[0]}`);
  }
}

const BATCH = 256;

/** An ONNX run's pair in onnxruntime-node. */
export class OnnxModel implements InferenceModel {
  readonly engine = 'onnx';
  readonly latent: number;
  readonly imageShape: [number, number, number];
  readonly likelihood: LikelihoodConfig;
  private readonly layout: ImageLayout;
  private readonly batch: number;

  private constructor(private readonly ort: Ort, private readonly run: OnnxRunJson, private readonly encoder: InferenceSession, private readonly decoder: InferenceSession) {
    this.latent = run.model.latent;
    this.imageShape = [run.model.height, run.model.width, run.model.channels];
    this.likelihood = run.model.likelihood;
    this.layout = run.layout;
    this.batch = run.batch === 'dynamic' ? BATCH : 1;
  }

  /** Sessions from bytes (import checks) or from an ONNX run folder's files. */
  static async create(run: OnnxRunJson, encoder: Uint8Array | string, decoder: Uint8Array | string): Promise<OnnxModel> {
    const ort = await loadOrt();
    const session = async (src: Uint8Array | string, what: string): Promise<InferenceSession> => {
      try {
        return typeof src === 'string' ? await ort.InferenceSession.create(src) : await ort.InferenceSession.create(src);
      } catch (e) {
        throw new UserError(`${what}: onnxruntime cannot load it (${(e as Error).message.split('\n')[0]})`);
      }
    };
    const enc = await session(encoder, typeof encoder === 'string' ? encoder : 'the encoder');
    let dec: InferenceSession;
    try {
      dec = await session(decoder, typeof decoder === 'string' ? decoder : 'the decoder');
    } catch (e) {
      await enc.release();
      throw e;
    }
    return new OnnxModel(ort, run, enc, dec);
  }

  static open(dir: string, run: OnnxRunJson): Promise<OnnxModel> {
    return OnnxModel.create(run, path.join(dir, ENCODER_FILE), path.join(dir, DECODER_FILE));
  }

  private get imageDims(): (n: number) => number[] {
    const [h, w, c] = this.imageShape;
    return (n) => (this.layout === 'NCHW' ? [n, c, h, w] : [n, h, w, c]);
  }

  private async runOne(session: InferenceSession, what: string, input: Tensor): Promise<Float32Array[]> {
    let out: InferenceSession.OnnxValueMapType;
    try {
      out = await session.run({ [session.inputNames[0]]: input });
    } catch (e) {
      throw new UserError(`${what}: onnxruntime failed (${(e as Error).message.split('\n')[0]})`);
    }
    return session.outputNames.map((name) => {
      const t = out[name] as Tensor;
      const data = t.data as Float32Array;
      t.dispose();
      return data;
    });
  }

  async decode(z: Float32Array, n: number): Promise<Float32Array> {
    const d = this.latent;
    if (z.length !== n * d) throw new Error(`decode: expected ${n * d} values, got ${z.length}`);
    const size = this.imageShape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(n * size);
    for (let s = 0; s < n; s += this.batch) {
      const b = Math.min(this.batch, n - s);
      const [y] = await this.runOne(this.decoder, 'decoder.onnx', new this.ort.Tensor('float32', z.slice(s * d, (s + b) * d), [b, d]));
      if (y.length !== b * size) throw new UserError(`decoder.onnx: gave ${y.length} values for ${b} latent points, not ${b} images of ${size}`);
      const nhwc = this.layout === 'NCHW' ? transposeImages(y, b, this.imageShape, false) : y;
      out.set(this.likelihood.kind === 'bernoulli' ? sigmoidInPlace(nhwc) : nhwc, s * size);
    }
    return out;
  }

  async encode(images: Float32Array, n: number): Promise<Encoding> {
    const d = this.latent;
    const size = this.imageShape.reduce((a, b) => a * b, 1);
    const mu = new Float32Array(n * d);
    const logvar = new Float32Array(n * d);
    for (let s = 0; s < n; s += this.batch) {
      const b = Math.min(this.batch, n - s);
      const x = images.slice(s * size, (s + b) * size);
      const input = this.layout === 'NCHW' ? transposeImages(x, b, this.imageShape, true) : x;
      const [m, lv] = await this.runOne(this.encoder, 'encoder.onnx', new this.ort.Tensor('float32', input, this.imageDims(b)));
      if (m.length !== b * d || lv.length !== b * d) throw new UserError(`encoder.onnx: gave ${m.length} and ${lv.length} values for ${b} images, not ${b}×${d}`);
      mu.set(m, s * d);
      logvar.set(lv, s * d);
    }
    return { mu, logvar };
  }

  /** z ~ N(0, I), drawn as a trained run's standard prior draws them for the same seed. */
  async sample(n: number, seed: number): Promise<{ z: Float32Array; images: Float32Array }> {
    const z = new StandardNormalPrior(this.latent).sample(new Rng(seed), n);
    return { z, images: await this.decode(z, n) };
  }

  async dispose(): Promise<void> {
    await this.encoder.release();
    await this.decoder.release();
  }

  get info(): OnnxRunJson {
    return this.run;
  }
}
