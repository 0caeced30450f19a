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
import * as tf from '@tensorflow/tfjs';
import { logNormalDiag, logStandardNormal } from './gaussian.js';
import type { Rng } from './rng.js';

/** Which prior a model uses; absent in a model config means the standard normal. */
export type PriorConfig = { kind: 'standard' } | { kind: 'gmm'; components: number };

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

/** The prior a config asks for; `seed` draws the mixture's initial means. */
export function createPrior(config: PriorConfig | undefined, latent: number, rng: Rng): Prior {
  if (!config || config.kind === 'standard') return new StandardNormalPrior(latent);
  return GmmPrior.init(config.components, latent, rng);
}

/** Parses `standard` or `gmm:K` (K ≥ 1); throws an Error naming the problem. */
export function parsePrior(s: string): PriorConfig {
  if (s === 'standard' || s === 'normal') return { kind: 'standard' };
  const m = /^gmm:(\d+)$/.exec(s.trim());
  if (m && Number(m[1]) >= 1) return { kind: 'gmm', components: Number(m[1]) };
  throw new Error(`prior must be 'standard' or 'gmm:K' with K ≥ 1 components (got '${s}')`);
}
