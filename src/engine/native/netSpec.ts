/**
 * The native engine's configuration from the layer description (src/engine/layers.ts): the
 * Int32Array the addon's createNet reads (format in native/src/net.c), or the reason the C code
 * cannot run this description. Pure and browser-safe.
 *
 * Fusions (the C layers carry their activation and padding): a zeroPad2d before a conv2d becomes
 * the conv's padding; an activation layer right after a linear dense/conv layer becomes that
 * layer's activation; flatten is free in NHWC; a transposed conv's tfjs 'same' padding is made
 * explicit.
 */
import { samePadding, type ActivationName, type LayerSpec, type NetDescription, type Shape3 } from '../layers.js';

const ACT: Record<ActivationName, number> = { linear: 0, relu: 1, tanh: 2, leakyRelu: 3, sigmoid: 4 };
/** native/src/vae.h's LIK_*: every likelihood of src/math/likelihood.ts (a lookup, so an unknown kind is declined). */
const LIKELIHOOD = new Map<string, number>([['gaussian', 0], ['bernoulli', 1], ['gaussian-learned', 2], ['continuous-bernoulli', 3]]);
const L_DENSE = 0;
const L_CONV = 1;
const L_DECONV = 2;
const L_RESHAPE = 3;

export type NativeSpec = { spec: Int32Array; reason: null } | { spec: null; reason: string };

/** Records (9 ints each) of one layer list, from `shape`; throws Error(reason) on what C lacks. */
function records(layers: readonly LayerSpec[], shape: Shape3): { recs: number[][]; shape: Shape3 } {
  const recs: number[][] = [];
  let s: Shape3 = shape;
  let pad = 0;
  let last: { rec: number[]; act: ActivationName } | null = null; // the previous weight layer, while fusable
  for (const l of layers) {
    const [h, w, c] = s;
    if (pad && l.kind !== 'conv2d') throw new Error(`layer ${l.name}: zero padding not followed by a convolution`);
    switch (l.kind) {
      case 'flatten':
        s = [1, 1, h * w * c];
        last = null;
        break;
      case 'reshape':
        recs.push([L_RESHAPE, 0, l.shape[2], l.shape[0], l.shape[1], 0, 0, 0, 0]);
        s = [...l.shape];
        last = null;
        break;
      case 'zeroPad2d':
        pad = l.pad;
        break;
      case 'activation': {
        if (l.activation === 'leakyRelu' && (l.alpha ?? 0.2) !== 0.2) throw new Error(`layer ${l.name}: leakyRelu slope ${l.alpha} (the native engine has 0.2)`);
        if (!last || last.act !== 'linear') throw new Error(`layer ${l.name}: an activation that does not follow a linear dense or conv layer`);
        last.rec[1] = ACT[l.activation];
        last.act = l.activation;
        break;
      }
      case 'dense': {
        const rec = [L_DENSE, ACT[l.activation], l.units, 0, 0, 0, 0, 0, 0];
        recs.push(rec);
        last = { rec, act: l.activation };
        s = [1, 1, l.units];
        break;
      }
      case 'conv2d': {
        const hp = h + 2 * pad;
        const wp = w + 2 * pad;
        const rec = [L_CONV, ACT[l.activation], l.filters, l.kernel, l.stride, pad, pad, pad, pad];
        recs.push(rec);
        last = { rec, act: l.activation };
        s = [Math.floor((hp - l.kernel) / l.stride) + 1, Math.floor((wp - l.kernel) / l.stride) + 1, l.filters];
        pad = 0;
        break;
      }
      case 'conv2dTranspose': {
        const [top, bottom] = samePadding(h, l.kernel, l.stride);
        const [left, right] = samePadding(w, l.kernel, l.stride);
        const rec = [L_DECONV, ACT[l.activation], l.filters, l.kernel, l.stride, top, left, bottom, right];
        recs.push(rec);
        last = { rec, act: l.activation };
        s = [h * l.stride, w * l.stride, l.filters];
        break;
      }
    }
  }
  if (pad) throw new Error('zero padding at the end of a layer list');
  return { recs, shape: s };
}

/** The addon's net spec for a description, or why the native engine cannot run it. */
export function nativeSpec(d: NetDescription): NativeSpec {
  const lik = LIKELIHOOD.get(d.likelihood.kind);
  if (lik === undefined) return { spec: null, reason: `the ${d.likelihood.kind} likelihood` };
  if (d.prior.kind !== 'standard' && d.prior.kind !== 'gmm' && d.prior.kind !== 'vamp') return { spec: null, reason: `the ${d.prior.kind} prior` };
  for (const head of [d.mu, d.logvar]) {
    if (head.kind !== 'dense' || head.activation !== 'linear' || head.units !== d.latent) return { spec: null, reason: `head ${head.name} is not a linear dense layer of ${d.latent} units` };
  }
  try {
    const enc = records(d.encoder, d.input);
    const dec = records(d.decoder, [1, 1, d.latent]);
    const [h, w, c] = dec.shape;
    if (h * w * c !== d.input[0] * d.input[1] * d.input[2]) return { spec: null, reason: 'the decoder output is not the size of the input' };
    // the prior's field: 0 N(0, I), K a mixture of K Gaussians, −K a VampPrior of K pseudo-inputs
    const K = d.prior.kind === 'gmm' ? (d.prior.components ?? 0) : d.prior.kind === 'vamp' ? -(d.prior.components ?? 0) : 0;
    if (d.prior.kind !== 'standard' && !(Math.abs(K) >= 1)) return { spec: null, reason: `the ${d.prior.kind} prior without components` };
    const spec = Int32Array.from([2, ...d.input, d.latent, lik, K, enc.recs.length, ...enc.recs.flat(), dec.recs.length, ...dec.recs.flat()]);
    return { spec, reason: null };
  } catch (e) {
    return { spec: null, reason: (e as Error).message };
  }
}
