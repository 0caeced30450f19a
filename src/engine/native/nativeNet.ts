/**
 * The native engine's network: our C code (native/src/) configured from the layer description,
 * running whole training steps (forward, objective, backward and tfjs's Adam update) and
 * evaluations (ELBO terms, IWAE log-weights, encodings) on the weights where tfjs keeps them.
 *
 * The weights and Adam's moments stay tfjs variables on the wasm heap; the addon reads them there
 * without copies and writes the new weights into freshly allocated wasm tensors that the
 * variables are then assigned (fresh memory, because the wasm backend caches XNNPACK operators
 * with packed weights per tensor). Moments are updated in place when nothing else shares their
 * memory. The optimizer's step counter and β-powers advance exactly as tfjs's
 * `AdamOptimizer.applyGradients` does, so checkpoints, `getWeights`/`setWeights` and resuming work
 * unchanged, and a run can switch engines between epochs.
 *
 * Browser-safe: without Node or the addon, `nativeRefusal` says why and `create` throws.
 */
import * as tf from '../tfjs.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { loadNativeAddon, type NativeAddon } from './addon.js';
import { nativeSpec } from './netSpec.js';
import { paramShapes, type NetDescription } from '../layers.js';

/** The objective of a step: k-sample ELBO (β, analytic or Monte-Carlo KL, free bits) or IWAE-k. */
export interface NativeObjective {
  objective: 'elbo' | 'iwae';
  /** Samples of z per example (eps is [k, batch, latent]). */
  k: number;
  beta: number;
  kl: 'analytic' | 'monte-carlo';
  /** Free bits λ (ELBO only; standard normal prior); 0 or absent: none. */
  freeBits?: number;
}

/** Batch means in nats per example: [E log p(x|z), KL, IWAE_k bound]. */
export type NativeStats = [reconstruction: number, kl: number, iwae: number];

/** Fields of tfjs 4.22's AdamOptimizer that its applyGradients uses (protected in the typings). */
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  incrementIterations(): void;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Why the native engine cannot run this description with these weights ('' if it can). */
export function nativeRefusal(d: NetDescription, vars: readonly tf.Variable[]): string {
  const { addon, reason } = loadNativeAddon();
  if (!addon) return reason;
  const spec = nativeSpec(d);
  if (spec.reason !== null) return spec.reason;
  const expected = paramShapes(d);
  if (vars.length !== expected.length) return `the description has ${expected.length} weights, the model ${vars.length}`;
  for (let i = 0; i < vars.length; i++) {
    if (vars[i].dtype !== 'float32' || !sameShape(vars[i].shape, expected[i].shape)) {
      return `weight ${i} (${vars[i].name}) is [${vars[i].shape}], the description's ${expected[i].layer} has [${expected[i].shape}]`;
    }
  }
  return '';
}

/** A generator whose state can be read and set (src/math/rng.ts's Rng). */
export interface RngLike {
  getState(): { s: [number, number, number, number]; spare: number | null };
  setState(state: { s: [number, number, number, number]; spare: number | null }): void;
}

/**
 * `out.length` standard normals drawn by the addon exactly as `rng.normals` draws them (the same
 * values; the generator advances the same way), much faster for long runs of eps.
 */
export function nativeNormals(addon: NativeAddon, rng: RngLike, out: Float32Array): Float32Array {
  const st = rng.getState();
  const s = Uint32Array.from(st.s);
  const spare = Float64Array.of(st.spare ?? NaN);
  addon.normals(s, spare, out);
  rng.setState({ s: [s[0], s[1], s[2], s[3]], spare: Number.isNaN(spare[0]) ? null : spare[0] });
  return out;
}

const MODE = { grad: 0, adam: 1, eval: 2, logw: 3, encode: 4 } as const;

export class NativeNet {
  private readonly hyper = new Float64Array(14);
  private readonly stats = new Float64Array(3);
  private readonly size: number;
  private readonly latent: number;

  private constructor(
    private readonly addon: NativeAddon,
    private readonly net: object,
    readonly description: NetDescription,
    private readonly vars: readonly tf.Variable[],
    private readonly optimizer: tf.AdamOptimizer | null,
    readonly maxBatch: number,
    /** Most rows (examples × samples) the addon runs per chunk; bounds k. */
    readonly rowsCap: number,
  ) {
    this.size = description.input[0] * description.input[1] * description.input[2];
    this.latent = description.latent;
  }

  /**
   * The native network for this description and its tfjs weights (in `vae.trainableWeights`
   * order) with `optimizer` (Adam; null for gradients and evaluation only). Throws, with the
   * reason, when the native engine cannot run it (see `nativeRefusal`). tfjs must be on wasm.
   */
  static create(d: NetDescription, vars: readonly tf.Variable[], optimizer: tf.Optimizer | null, maxBatch: number, maxK = 1): NativeNet {
    const refusal = nativeRefusal(d, vars);
    if (refusal) throw new Error(`native engine: ${refusal}`);
    if (tf.getBackend() !== 'wasm') throw new Error(`native engine: tfjs is on '${tf.getBackend()}', the weights must be on wasm`);
    if (optimizer !== null && optimizer.getClassName() !== 'Adam') throw new Error(`native engine: optimizer ${optimizer.getClassName()} (Adam only)`);
    const addon = loadNativeAddon().addon!;
    const { net, paramSizes, rowsCap } = addon.createNet(nativeSpec(d).spec!, maxBatch, maxK);
    if (paramSizes.length !== vars.length || paramSizes.some((s, i) => s !== vars[i].size)) {
      throw new Error('native engine: parameter sizes disagree with the model (addon and netSpec.ts out of step)');
    }
    return new NativeNet(addon, net, d, vars, optimizer as tf.AdamOptimizer | null, maxBatch, rowsCap);
  }

  /** Examples per chunk inside the addon (0: its default, set by the batch and k alone). */
  chunk = 0;

  private check(x: Float32Array, xEnc: Float32Array, eps: Float32Array, batch: number, k: number): void {
    if (!(Number.isInteger(batch) && batch >= 1 && batch <= this.maxBatch)) throw new Error(`native engine: batch ${batch} outside 1..${this.maxBatch}`);
    if (!(Number.isInteger(k) && k >= 1 && k <= this.rowsCap)) throw new Error(`native engine: k ${k} outside 1..${this.rowsCap}`);
    if (x.length < batch * this.size || xEnc.length < batch * this.size || eps.length < k * batch * this.latent) throw new Error('native engine: x, xEnc or eps shorter than the batch');
  }

  private setHyper(mode: number, o: NativeObjective): void {
    const h = this.hyper;
    h.fill(0);
    const lik = this.description.likelihood;
    h[0] = mode;
    h[1] = o.beta;
    h[2] = lik.kind === 'gaussian' ? (lik.sigma2 ?? 1) : 1;
    h[3] = o.kl === 'monte-carlo' ? 1 : 0;
    h[4] = this.chunk;
    h[11] = o.objective === 'iwae' ? 1 : 0;
    h[12] = o.k;
    h[13] = o.objective === 'elbo' ? (o.freeBits ?? 0) : 0;
  }

  private get backend(): BackendWasm {
    return tf.backend() as BackendWasm;
  }

  private heapView(t: tf.Tensor): Float32Array {
    return this.backend.typedArrayFromHeap(t) as Float32Array;
  }

  /** A wasm tensor with uninitialised memory (the addon fills it). */
  private fresh(shape: number[]): tf.Tensor {
    const backend = this.backend;
    return tf.engine().makeTensorFromTensorInfo(backend.makeOutput(shape, 'float32'), backend);
  }

  private means(batch: number): NativeStats {
    return [this.stats[0] / batch, this.stats[1] / batch, this.stats[2] / batch];
  }

  /** The gradients of the mean loss over the batch w.r.t. every weight (no update), and the stats. */
  gradients(x: Float32Array, eps: Float32Array, batch: number, o: NativeObjective, xEnc = x): { grads: Float32Array[]; stats: NativeStats } {
    this.check(x, xEnc, eps, batch, o.k);
    this.setHyper(MODE.grad, o);
    const grads = this.vars.map((v) => new Float32Array(v.size));
    this.addon.step(this.net, this.vars.map((v) => this.heapView(v)), x, xEnc, eps, batch, this.hyper, this.stats, grads);
    return { grads, stats: this.means(batch) };
  }

  /**
   * One training step on x [batch, H, W, C] with eps [k, batch, latent]: gradients of the mean
   * loss, then Adam exactly as tfjs applies it. `xEnc` is what the encoder sees (a corrupted copy
   * for denoising; x itself by default). Returns the batch means.
   */
  step(x: Float32Array, eps: Float32Array, batch: number, o: NativeObjective, xEnc = x): NativeStats {
    this.check(x, xEnc, eps, batch, o.k);
    if (!this.optimizer) throw new Error('native engine: created without an optimizer');
    if (tf.getBackend() !== 'wasm') throw new Error(`native engine: tfjs is on '${tf.getBackend()}', the weights must be on wasm`);
    const opt = this.optimizer as unknown as AdamInternals;
    const backend = this.backend;
    // Adam's moments, created as tfjs creates them (same names, so getWeights/setWeights agree)
    const m = this.vars.map((v, i) => {
      opt.accumulatedFirstMoment[i] ??= { originalName: `${v.name}/m`, variable: tf.tidy(() => tf.zerosLike(v).variable(false)) };
      return opt.accumulatedFirstMoment[i]!.variable;
    });
    const s = this.vars.map((v, i) => {
      opt.accumulatedSecondMoment[i] ??= { originalName: `${v.name}/v`, variable: tf.tidy(() => tf.zerosLike(v).variable(false)) };
      return opt.accumulatedSecondMoment[i]!.variable;
    });
    const acc1 = this.heapView(opt.accBeta1)[0];
    const acc2 = this.heapView(opt.accBeta2)[0];
    this.setHyper(MODE.adam, o);
    const h = this.hyper;
    h[5] = opt.learningRate;
    h[6] = opt.beta1;
    h[7] = opt.beta2;
    h[8] = opt.epsilon;
    h[9] = Math.fround(1 - acc1);
    h[10] = Math.fround(1 - acc2);

    // every allocation first (one may grow the wasm heap and detach earlier views), then the views
    const newW = this.vars.map((v) => this.fresh(v.shape));
    const inPlace = (t: tf.Tensor): boolean => backend.refCount(t.dataId) === 1;
    const newM = m.map((t) => (inPlace(t) ? null : this.fresh(t.shape)));
    const newS = s.map((t) => (inPlace(t) ? null : this.fresh(t.shape)));
    const view = (t: tf.Tensor): Float32Array => this.heapView(t);
    const mViews = m.map(view);
    const sViews = s.map(view);
    this.addon.step(
      this.net, this.vars.map(view), x, xEnc, eps, batch, h, this.stats, newW.map(view),
      mViews, sViews, newM.map((t, i) => (t ? view(t) : mViews[i])), newS.map((t, i) => (t ? view(t) : sViews[i])),
    );
    this.vars.forEach((v, i) => v.assign(newW[i]));
    newM.forEach((t, i) => t && m[i].assign(t));
    newS.forEach((t, i) => t && s[i].assign(t));
    tf.dispose([...newW, ...newM.filter((t) => t !== null), ...newS.filter((t) => t !== null)]);
    // accBeta *= beta as tfjs does it (a float32 product), in place when the scalar is not shared
    const next = [Math.fround(acc1 * Math.fround(opt.beta1)), Math.fround(acc2 * Math.fround(opt.beta2))];
    [opt.accBeta1, opt.accBeta2].forEach((acc, i) => {
      if (inPlace(acc)) this.heapView(acc)[0] = next[i];
      else tf.tidy(() => acc.assign(tf.scalar(next[i])));
    });
    opt.incrementIterations();
    return this.means(batch);
  }

  /** Forward only: sums over the batch [Σ E log p(x|z), Σ KL, Σ IWAE_k] (k samples, eps [k, n, L]). */
  forwardSums(x: Float32Array, eps: Float32Array, n: number, k = 1): [number, number, number] {
    this.check(x, x, eps, n, k);
    this.setHyper(MODE.eval, { objective: 'elbo', k, beta: 1, kl: 'analytic' });
    this.addon.forward(this.net, this.vars.map((v) => this.heapView(v)), x, x, eps, n, this.hyper, this.stats);
    return [this.stats[0], this.stats[1], this.stats[2]];
  }

  /**
   * Single-sample −ELBO terms (analytic KL for the standard normal prior, Monte-Carlo otherwise)
   * over `count` images, in batches of `batchSize` with eps drawn by `nextEps(batch·latent)` per
   * batch, as the trainer's `evaluateElbo` does: the means of −log p(x|z), KL, and their sum.
   */
  evaluate(images: Float32Array, count: number, batchSize: number, nextEps: (n: number) => Float32Array): { loss: number; reconstruction: number; kl: number } {
    const d = this.size;
    const L = this.latent;
    let logPx = 0;
    let kl = 0;
    for (let start = 0; start < count; start += batchSize) {
      const b = Math.min(batchSize, count - start);
      const eps = nextEps(b * L);
      for (let s = 0; s < b; s += this.maxBatch) {
        const n = Math.min(this.maxBatch, b - s);
        const [r, k] = this.forwardSums(images.subarray((start + s) * d, (start + s + n) * d), eps.subarray(s * L, (s + n) * L), n);
        logPx += r;
        kl += k;
      }
    }
    const reconstruction = -logPx / count;
    return { loss: reconstruction + kl / count, reconstruction, kl: kl / count };
  }

  /**
   * IWAE log-weights of k samples per example, eps [k, n, L]: per example [log Σ_j w_j, Σ_j log w_j]
   * (out: Float64Array of 2n), to be combined across calls with a log-sum-exp.
   */
  logWeights(x: Float32Array, eps: Float32Array, n: number, k: number, out: Float64Array): void {
    this.check(x, x, eps, n, k);
    this.setHyper(MODE.logw, { objective: 'elbo', k, beta: 1, kl: 'analytic' });
    this.addon.forward(this.net, this.vars.map((v) => this.heapView(v)), x, x, eps, n, this.hyper, this.stats, out);
  }

  /** q(z|x) of n examples: mu then logvar, [2, n, latent]. */
  encode(x: Float32Array, n: number): Float32Array {
    const out = new Float32Array(2 * n * this.latent);
    this.check(x, x, new Float32Array(n * this.latent), n, 1);
    this.setHyper(MODE.encode, { objective: 'elbo', k: 1, beta: 1, kl: 'analytic' });
    this.addon.forward(this.net, this.vars.map((v) => this.heapView(v)), x, x, new Float32Array(n * this.latent), n, this.hyper, this.stats, out);
    return out;
  }

  /** `out.length` normals from `rng`, the same values `rng.normals` gives. */
  normals(rng: RngLike, out: Float32Array): Float32Array {
    return nativeNormals(this.addon, rng, out);
  }

  /** Threads, BLAS and its kernel set, e.g. "2 threads, OpenBLAS 0.3.21 SkylakeX". */
  info(): { threads: number; blas: string; core: string } {
    return this.addon.info();
  }

  /** The engine's label: "native (OpenBLAS 0.3.21 SkylakeX, 2 threads)". */
  label(): string {
    const i = this.info();
    const blas = i.blas.trim().startsWith('OpenBLAS') ? i.blas.trim() : `OpenBLAS ${i.blas.trim()}`;
    return `native (${blas} ${i.core.trim()}, ${i.threads} thread${i.threads === 1 ? '' : 's'})`;
  }
}
