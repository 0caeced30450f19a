/**
 * The prior p(z): the standard normal of seed 000, or a learnable mixture of K diagonal Gaussians
 * (seed 004 mentions Gaussian-mixture priors):
 *
 *   p(z) = Σ_k π_k · N(z; μ_k, diag σ_k²),   π = softmax(logits),
 *
 * with logits [K], means μ [K, D] and log-variances log σ² [K, D] trained jointly with the VAE.
 * The mixture has no closed-form KL against q(z|x), so the ELBO uses the Monte-Carlo KL
 * log q(z|x) − log p(z) at the sampled z (see `logPz` in elbo.ts).
 */
import * as tf from '../engine/tfjs.js';
import { logNormalDiag, logStandardNormal } from './gaussian.js';
import type { Rng } from './rng.js';

/** Which prior a model uses; absent in a model config means the standard normal. */
export type PriorConfig = { kind: 'standard' } | { kind: 'gmm'; components: number } | { kind: 'vamp'; components: number };

/** A log-density over the last axis: z [..., D] → log p(z) [...]. */
export type LogDensity = (z: tf.Tensor) => tf.Tensor;

/** The learnable parameters of a mixture prior, as plain numbers (exact float32 values). */
export interface GmmParams {
  /** [K] unnormalised log mixture weights. */
  logits: number[];
  /** [K][D] component means. */
  means: number[][];
  /** [K][D] component log-variances. */
  logvars: number[][];
}

/**
 * log Σ_k softmax(logits)_k · N(z; means_k, diag exp(logvars_k)), stably (log-sum-exp over k).
 * z [..., D], logits [K], means and logvars [K, D] → [...].
 */
export function logMixtureDiag(z: tf.Tensor, logits: tf.Tensor, means: tf.Tensor, logvars: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const perComponent = logNormalDiag(tf.expandDims(z, -2), means, logvars); // [..., K]
    return tf.logSumExp(tf.add(perComponent, tf.logSoftmax(logits)), -1);
  });
}

/** p(z): the standard normal or a learnable mixture of Gaussians. */
export interface Prior {
  readonly config: PriorConfig;
  /** log p(z), z [..., D] → [...]. Differentiable w.r.t. z and the prior's variables. */
  logProb: LogDensity;
  /** n draws z ~ p(z) from a seeded Rng, n·D values (row-major). */
  sample(rng: Rng, n: number): Float32Array;
  /** Trainable variables (none for the standard normal). */
  readonly variables: tf.Variable[];
  /** Frees the prior's variables. */
  dispose(): void;
}

/** p(z) = N(0, I); `sample` draws `rng.normals(n·D)`, as the rest of the project always did. */
export class StandardNormalPrior implements Prior {
  readonly config: PriorConfig = { kind: 'standard' };
  readonly variables: tf.Variable[] = [];
  constructor(readonly latent: number) {}
  logProb = (z: tf.Tensor): tf.Tensor => logStandardNormal(z);
  sample(rng: Rng, n: number): Float32Array {
    return rng.normals(n * this.latent);
  }
  dispose(): void {}
}

/** tfjs variable names must be unique in a process; string names also keep Adam's order stable. */
let gmmCounter = 0;

/** A learnable mixture of K diagonal Gaussians over D latent dimensions. */
export class GmmPrior implements Prior {
  readonly config: PriorConfig;
  readonly logits: tf.Variable;
  readonly means: tf.Variable;
  readonly logvars: tf.Variable;

  constructor(params: GmmParams) {
    const K = params.logits.length;
    const D = params.means[0]?.length ?? 0;
    if (K < 1 || D < 1) throw new Error('a mixture prior needs K ≥ 1 components of dimension D ≥ 1');
    for (const rows of [params.means, params.logvars]) {
      if (rows.length !== K || rows.some((r) => r.length !== D)) throw new Error(`mixture parameters must be [${K}] logits and [${K}, ${D}] means and logvars`);
    }
    const id = gmmCounter++;
    this.config = { kind: 'gmm', components: K };
    this.logits = tf.variable(tf.tensor1d(params.logits, 'float32'), true, `gmm${id}/logits`);
    this.means = tf.variable(tf.tensor2d(params.means, [K, D], 'float32'), true, `gmm${id}/means`);
    this.logvars = tf.variable(tf.tensor2d(params.logvars, [K, D], 'float32'), true, `gmm${id}/logvars`);
  }

  /** Seeded initial values: equal weights, means ~ N(0, I), unit variances. */
  static init(components: number, latent: number, rng: Rng): GmmPrior {
    const means = Array.from({ length: components }, () => Array.from(rng.normals(latent)));
    return new GmmPrior({
      logits: new Array<number>(components).fill(0),
      means,
      logvars: Array.from({ length: components }, () => new Array<number>(latent).fill(0)),
    });
  }

  get components(): number {
    return this.logits.shape[0] ?? 0;
  }

  get latent(): number {
    return this.means.shape[1] ?? 0;
  }

  get variables(): tf.Variable[] {
    return [this.logits, this.means, this.logvars];
  }

  logProb = (z: tf.Tensor): tf.Tensor => logMixtureDiag(z, this.logits, this.means, this.logvars);

  /** The current parameters as numbers (JSON round-trips them exactly). */
  getParams(): GmmParams {
    const K = this.components;
    const D = this.latent;
    const rows = (v: tf.Variable): number[][] => {
      const a = v.dataSync();
      return Array.from({ length: K }, (_, k) => Array.from(a.subarray(k * D, (k + 1) * D)));
    };
    return { logits: Array.from(this.logits.dataSync()), means: rows(this.means), logvars: rows(this.logvars) };
  }

  /**
   * Ancestral sampling: per draw, one uniform picks component k with probability softmax(logits)_k,
   * then z = μ_k + σ_k ⊙ eps with D normals.
   */
  sample(rng: Rng, n: number): Float32Array {
    const { logits, means, logvars } = this.getParams();
    const m = Math.max(...logits);
    const w = logits.map((l) => Math.exp(l - m));
    const total = w.reduce((a, b) => a + b, 0);
    const D = this.latent;
    const out = new Float32Array(n * D);
    for (let i = 0; i < n; i++) {
      let u = rng.uniform() * total;
      let k = 0;
      while (k < w.length - 1 && u >= w[k]) u -= w[k++];
      for (let j = 0; j < D; j++) out[i * D + j] = means[k][j] + Math.exp(0.5 * logvars[k][j]) * rng.normal();
    }
    return out;
  }

  /** Frees the mixture's variables. */
  dispose(): void {
    tf.dispose(this.variables);
  }
}

/** The encoder as the VampPrior needs it: images [K, H, W, C] → mu, logvar [K, D]. */
export type EncodeFn = (x: tf.Tensor4D) => { mu: tf.Tensor; logvar: tf.Tensor };

/** A VampPrior's learnable pseudo-inputs as plain numbers (exact float32 values). */
export interface VampParams {
  /** [K][H·W·C] pseudo-inputs u_k, NHWC order per image (raw; the encoder sees them clipped to [0, 1]). */
  pseudoInputs: number[][];
  /** [H, W, C] of one pseudo-input. */
  shape: [number, number, number];
}

let vampCounter = 0;

/**
 * The VampPrior (Tomczak & Welling 2018, "VAE with a VampPrior"): the aggregate posterior of K
 * learnable pseudo-inputs u_k,
 *
 *   p(z) = (1/K) Σ_k q(z | u_k),   q(z | u_k) = N(z; μ(u_k), diag σ²(u_k)),
 *
 * with μ, σ² the VAE's own encoder, so the prior moves with the encoder. Pseudo-inputs start as
 * N(0.5, 0.01²) per value (the paper starts them as small-variance noise around a constant) and
 * enter the encoder through a clip to [0, 1] (the paper's hardtanh). The KL has no closed form:
 * Monte-Carlo, log q(z|x) − log p(z). The encoder is bound after construction (`bindEncoder`,
 * done by the Vae), because a saved prior is loaded before the Vae exists.
 */
export class VampPrior implements Prior {
  readonly config: PriorConfig;
  readonly pseudoInputs: tf.Variable;
  readonly shape: [number, number, number];
  private encode: EncodeFn | null = null;

  constructor(params: VampParams, readonly latent: number) {
    const K = params.pseudoInputs.length;
    const size = params.shape.reduce((a, b) => a * b, 1);
    if (K < 1) throw new Error('a VampPrior needs K ≥ 1 pseudo-inputs');
    if (params.pseudoInputs.some((r) => r.length !== size)) throw new Error(`pseudo-inputs must be [${K}, ${size}] (images of ${params.shape.join('×')})`);
    this.shape = params.shape;
    this.config = { kind: 'vamp', components: K };
    this.pseudoInputs = tf.variable(tf.tensor4d(params.pseudoInputs.flat(), [K, ...params.shape], 'float32'), true, `vamp${vampCounter++}/pseudoInputs`);
  }

  /** Seeded initial pseudo-inputs: N(0.5, 0.01²) per value. */
  static init(components: number, latent: number, shape: [number, number, number], rng: Rng): VampPrior {
    const size = shape.reduce((a, b) => a * b, 1);
    const pseudoInputs = Array.from({ length: components }, () => Array.from(rng.normals(size), (e) => 0.5 + 0.01 * e));
    return new VampPrior({ pseudoInputs, shape }, latent);
  }

  /** Sets the encoder q(z|·) the prior mixes over (the VAE's own). */
  bindEncoder(encode: EncodeFn): void {
    this.encode = encode;
  }

  get components(): number {
    return this.pseudoInputs.shape[0] ?? 0;
  }

  get variables(): tf.Variable[] {
    return [this.pseudoInputs];
  }

  /** μ(u_k), log σ²(u_k), each [K, D]: the mixture's components. Differentiable w.r.t. u and the encoder. */
  componentParams(): { mu: tf.Tensor; logvar: tf.Tensor } {
    if (!this.encode) throw new Error('VampPrior: no encoder bound (bindEncoder)');
    const encode = this.encode;
    return tf.tidy(() => encode(tf.clipByValue(this.pseudoInputs, 0, 1) as tf.Tensor4D));
  }

  /** log p(z) = log (1/K) Σ_k N(z; μ_k, σ_k²), z [..., D] → [...]. */
  logProb = (z: tf.Tensor): tf.Tensor => tf.tidy(() => {
    const { mu, logvar } = this.componentParams();
    return logMixtureDiag(z, tf.zeros([this.components]), mu, logvar);
  });

  /** The prior as the equal-weight mixture it is for the current encoder (for files the explorer reads). */
  mixture(): GmmParams {
    const { mu, logvar } = this.componentParams();
    const K = this.components;
    const D = this.latent;
    const [m, v] = [mu.dataSync() as Float32Array, logvar.dataSync() as Float32Array];
    tf.dispose([mu, logvar]);
    const rows = (a: Float32Array): number[][] => Array.from({ length: K }, (_, k) => Array.from(a.subarray(k * D, (k + 1) * D)));
    return { logits: new Array<number>(K).fill(0), means: rows(m), logvars: rows(v) };
  }

  getParams(): VampParams {
    const size = this.shape.reduce((a, b) => a * b, 1);
    const a = this.pseudoInputs.dataSync();
    return { pseudoInputs: Array.from({ length: this.components }, (_, k) => Array.from(a.subarray(k * size, (k + 1) * size))), shape: this.shape };
  }

  /** Per draw: one uniform picks k (equal weights), then z = μ_k + σ_k ⊙ eps with D normals. */
  sample(rng: Rng, n: number): Float32Array {
    const { means, logvars } = this.mixture();
    const K = this.components;
    const D = this.latent;
    const out = new Float32Array(n * D);
    for (let i = 0; i < n; i++) {
      const k = Math.min(K - 1, Math.floor(rng.uniform() * K));
      for (let j = 0; j < D; j++) out[i * D + j] = means[k][j] + Math.exp(0.5 * logvars[k][j]) * rng.normal();
    }
    return out;
  }

  dispose(): void {
    tf.dispose(this.variables);
  }
}

/** The prior a config asks for; `rng` draws the mixture's initial means or the pseudo-inputs (which need the image shape). */
export function createPrior(config: PriorConfig | undefined, latent: number, rng: Rng, imageShape?: [number, number, number]): Prior {
  if (!config || config.kind === 'standard') return new StandardNormalPrior(latent);
  if (config.kind === 'vamp') {
    if (!imageShape) throw new Error('a VampPrior needs the image shape');
    return VampPrior.init(config.components, latent, imageShape, rng);
  }
  return GmmPrior.init(config.components, latent, rng);
}

/** Parses `standard`, `gmm:K` or `vamp:K` (K ≥ 1); throws an Error naming the problem. */
export function parsePrior(s: string): PriorConfig {
  if (s === 'standard' || s === 'normal') return { kind: 'standard' };
  const m = /^(gmm|vamp):(\d+)$/.exec(s.trim());
  if (m && Number(m[2]) >= 1) return { kind: m[1] as 'gmm' | 'vamp', components: Number(m[2]) };
  throw new Error(`prior must be 'standard', 'gmm:K' (a mixture of K Gaussians) or 'vamp:K' (a VampPrior with K pseudo-inputs), K ≥ 1 (got '${s}')`);
}
