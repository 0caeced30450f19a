/**
 * One whole VAE training step in C (native/vae_native.c): forward, −ELBO, backward and tfjs's Adam
 * update, for the two model families of src/models/build.ts. The weights and Adam's moments stay
 * tfjs variables on the wasm heap; the addon reads them there without copies and writes the new
 * weights into freshly allocated wasm tensors that the variables are then assigned (fresh memory,
 * because the wasm backend caches XNNPACK operators with packed weights per tensor). Moments are
 * updated in place when nothing else shares their memory. The optimizer's step counter and
 * β-powers advance exactly as tfjs's `AdamOptimizer.applyGradients` does, so checkpoints,
 * `getWeights`/`setWeights` and resuming work unchanged, and a run can switch paths between epochs.
 *
 * Browser-safe: without Node or the addon, `create` returns null and callers use tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { loadNativeAddon, type NativeAddon } from './addon.js';
import { nativeActive } from './state.js';

/** The part of a model config (src/models/config.ts) the fused step reads. */
export interface FusedModelConfig {
  kind: 'conv' | 'mlp';
  height: number;
  width: number;
  channels: number;
  latent: number;
  filters?: number[];
  hidden?: number[];
  activation?: 'relu' | 'tanh' | 'leakyRelu';
  likelihood: { kind: 'gaussian'; sigma2: number } | { kind: 'bernoulli' } | { kind: 'gaussian-learned' } | { kind: 'continuous-bernoulli' };
}

/** The training objective: −(log p(x|z) − β·KL), single sample, standard normal prior. */
export interface FusedLoss {
  beta: number;
  kl: 'analytic' | 'monte-carlo';
}

/** Means over the batch, in nats per example: [E log p(x|z), KL] (the trainer's order). */
export type FusedStats = [reconstruction: number, kl: number];

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

interface Param {
  layer: string;
  shape: number[];
}

/** The trainable weights build.ts makes, in `vae.trainableWeights` order, or null if the config
 *  is outside what the C step implements. */
export function expectedParams(c: FusedModelConfig): Param[] | null {
  if (c.likelihood.kind !== 'gaussian' && c.likelihood.kind !== 'bernoulli') return null; // the C step has these two
  const d = c.height * c.width * c.channels;
  const L = c.latent;
  const out: Param[] = [];
  const dense = (layer: string, i: number, o: number): void => {
    out.push({ layer, shape: [i, o] }, { layer, shape: [o] });
  };
  if (c.kind === 'mlp') {
    const hidden = c.hidden ?? [];
    let f = d;
    hidden.forEach((u, i) => {
      dense(`enc${i + 1}`, f, u);
      f = u;
    });
    dense('mu', f, L);
    dense('logvar', f, L);
    let g = L;
    [...hidden].reverse().forEach((u, i) => {
      dense(`dec${i + 1}`, g, u);
      g = u;
    });
    dense('out', g, d);
    return out;
  }
  const filters = c.filters ?? [];
  const n = filters.length;
  if (n === 0 || c.height % 2 ** n !== 0 || c.width % 2 ** n !== 0) return null;
  let ch = c.channels;
  filters.forEach((f, i) => {
    out.push({ layer: `conv${i + 1}`, shape: [3, 3, ch, f] }, { layer: `conv${i + 1}`, shape: [f] });
    ch = f;
  });
  const feat = (c.height / 2 ** n) * (c.width / 2 ** n) * ch;
  dense('mu', feat, L);
  dense('logvar', feat, L);
  dense('fc', L, feat);
  const outFilters = [...filters.slice(0, n - 1).reverse(), c.channels];
  outFilters.forEach((f, i) => {
    out.push({ layer: `deconv${i + 1}`, shape: [4, 4, f, ch] }, { layer: `deconv${i + 1}`, shape: [f] });
    ch = f;
  });
  return out;
}

/** The Int32Array the addon's createNet reads: [kind, H, W, C, latent, likelihood, activation, n, sizes…]. */
export function netSpec(c: FusedModelConfig): Int32Array {
  const sizes = c.kind === 'conv' ? (c.filters ?? []) : (c.hidden ?? []);
  const act = c.activation === 'tanh' ? 1 : c.activation === 'leakyRelu' ? 2 : 0;
  return Int32Array.from([
    c.kind === 'conv' ? 1 : 0, c.height, c.width, c.channels, c.latent,
    c.likelihood.kind === 'gaussian' ? 0 : 1, act, sizes.length, ...sizes,
  ]);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Why `FusedTrainStep.create` would refuse, or '' if it would accept. */
export function fusedStepRefusal(c: FusedModelConfig, vars: readonly tf.Variable[]): string {
  const expected = expectedParams(c);
  if (!expected) return 'model shape not supported by the native step';
  if (c.kind === 'mlp' && c.activation !== undefined && !['relu', 'tanh', 'leakyRelu'].includes(c.activation)) return `activation ${c.activation}`;
  if (vars.length !== expected.length) return `expected ${expected.length} trainable weights, got ${vars.length}`;
  for (let i = 0; i < vars.length; i++) {
    const v = vars[i];
    const layer = v.name.split('/')[0];
    if (v.dtype !== 'float32' || layer !== expected[i].layer || !sameShape(v.shape, expected[i].shape)) {
      return `weight ${i} is ${v.name} [${v.shape}], expected ${expected[i].layer} [${expected[i].shape}]`;
    }
  }
  return '';
}

export class FusedTrainStep {
  private readonly hyper = new Float64Array(11);
  private readonly stats = new Float64Array(2);

  private constructor(
    private readonly addon: NativeAddon,
    private readonly net: object,
    readonly config: FusedModelConfig,
    private readonly vars: readonly tf.Variable[],
    private readonly optimizer: tf.AdamOptimizer | null,
    readonly maxBatch: number,
  ) {}

  /**
   * The fused step for this model and optimizer, or null when the native path is off (not
   * switched on by useBackend('native'), not built, not on wasm) or the model is not one of ours.
   * `optimizer` may be null for gradient-only use (tests).
   */
  static create(
    config: FusedModelConfig, vars: readonly tf.Variable[], optimizer: tf.Optimizer | null, maxBatch: number,
    { requireActive = true } = {},
  ): FusedTrainStep | null {
    if (requireActive && !nativeActive()) return null;
    if (tf.getBackend() !== 'wasm') return null;
    const { addon } = loadNativeAddon();
    if (!addon) return null;
    if (optimizer !== null && optimizer.getClassName() !== 'Adam') return null;
    if (fusedStepRefusal(config, vars) !== '') return null;
    const { net, paramSizes } = addon.createNet(netSpec(config), maxBatch);
    if (paramSizes.length !== vars.length || paramSizes.some((s, i) => s !== vars[i].size)) {
      throw new Error('vae_native: parameter sizes disagree with the model (addon and fusedStep.ts out of step)');
    }
    return new FusedTrainStep(addon, net, config, vars, optimizer as tf.AdamOptimizer | null, maxBatch);
  }

  /** Chunk of examples per task inside the addon (0: the batch split evenly over the threads). */
  chunk = 0;

  private checkBatch(x: Float32Array, xEnc: Float32Array, eps: Float32Array, batch: number): void {
    const d = this.config.height * this.config.width * this.config.channels;
    if (!(Number.isInteger(batch) && batch >= 1 && batch <= this.maxBatch)) throw new Error(`fused step: batch ${batch} outside 1..${this.maxBatch}`);
    if (x.length < batch * d || xEnc.length < batch * d || eps.length < batch * this.config.latent) throw new Error('fused step: x, xEnc or eps shorter than the batch');
  }

  private setLoss(mode: number, loss: FusedLoss): void {
    const h = this.hyper;
    h.fill(0);
    h[0] = mode;
    h[1] = loss.beta;
    h[2] = this.config.likelihood.kind === 'gaussian' ? this.config.likelihood.sigma2 : 1;
    h[3] = loss.kl === 'monte-carlo' ? 1 : 0;
    h[4] = this.chunk;
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

  /** The gradients of the mean loss over the batch w.r.t. every weight (no update), and the stats. */
  gradients(x: Float32Array, eps: Float32Array, batch: number, loss: FusedLoss, xEnc = x): { grads: Float32Array[]; stats: FusedStats } {
    this.checkBatch(x, xEnc, eps, batch);
    this.setLoss(0, loss);
    const grads = this.vars.map((v) => new Float32Array(v.size));
    this.addon.step(this.net, this.vars.map((v) => this.heapView(v)), x, xEnc, eps, batch, this.hyper, this.stats, grads);
    return { grads, stats: [this.stats[0] / batch, this.stats[1] / batch] };
  }

  /**
   * One training step on x [batch, H, W, C] with eps [batch, latent]: gradients of the mean loss,
   * then Adam exactly as tfjs applies it. `xEnc` is what the encoder sees (a corrupted copy for
   * denoising; x itself by default). Returns the batch means [E log p(x|z), KL].
   */
  step(x: Float32Array, eps: Float32Array, batch: number, loss: FusedLoss, xEnc = x): FusedStats {
    this.checkBatch(x, xEnc, eps, batch);
    if (!this.optimizer) throw new Error('fused step: created without an optimizer');
    if (tf.getBackend() !== 'wasm') throw new Error(`fused step: tfjs is on '${tf.getBackend()}', the weights must be on wasm`);
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
    this.setLoss(1, loss);
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
    return [this.stats[0] / batch, this.stats[1] / batch];
  }

  /**
   * Single-sample −ELBO terms (standard normal prior, analytic KL) over `count` images, in batches
   * of `batchSize` with eps drawn by `nextEps(batch·latent)` per batch, as the trainer's
   * `evaluateElbo` does: returns the means of −log p(x|z) (`reconstruction`), KL, and their sum.
   */
  evaluate(images: Float32Array, count: number, batchSize: number, nextEps: (n: number) => Float32Array): { loss: number; reconstruction: number; kl: number } {
    const d = this.config.height * this.config.width * this.config.channels;
    const L = this.config.latent;
    this.setLoss(2, { beta: 1, kl: 'analytic' });
    let logPx = 0;
    let kl = 0;
    for (let start = 0; start < count; start += batchSize) {
      const b = Math.min(batchSize, count - start);
      const eps = nextEps(b * L);
      for (let s = 0; s < b; s += this.maxBatch) {
        const n = Math.min(this.maxBatch, b - s);
        const x = images.subarray((start + s) * d, (start + s + n) * d);
        const params = this.vars.map((v) => this.heapView(v));
        this.addon.step(this.net, params, x, x, eps.subarray(s * L, (s + n) * L), n, this.hyper, this.stats, params);
        logPx += this.stats[0];
        kl += this.stats[1];
      }
    }
    const reconstruction = -logPx / count;
    return { loss: reconstruction + kl / count, reconstruction, kl: kl / count };
  }

  /** Threads and BLAS of the addon. */
  info(): { threads: number; blas: string } {
    return this.addon.info();
  }
}

/**
 * The trainer's entry point: a fused step when the native path is on and the model fits, else null.
 * `config` is the VAE's model config, `vars` its trainable weights in `vae.trainableWeights` order.
 */
export function fusedTrainStep(
  config: FusedModelConfig, vars: readonly tf.Variable[], optimizer: tf.Optimizer, maxBatch: number,
): FusedTrainStep | null {
  return FusedTrainStep.create(config, vars, optimizer, maxBatch);
}
