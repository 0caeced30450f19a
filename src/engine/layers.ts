/**
 * The layer description: a plain, serialisable list of a VAE's layers (what src/models/layers.ts
 * derives from a ModelConfig in one place). The tfjs models are built from it (src/models/build.ts)
 * and the native engine is configured from it (src/engine/native/netSpec.ts). It names layers and
 * shapes only; no model families here.
 *
 * Layouts are tfjs's: images NHWC, dense kernels [in, out], conv kernels [k, k, ci, co],
 * transposed-conv kernels [k, k, co, ci]; every layer with weights has a kernel and a bias.
 */

export type ActivationName = 'linear' | 'relu' | 'tanh' | 'leakyRelu' | 'sigmoid';

export type LayerSpec =
  | { kind: 'dense'; name: string; units: number; activation: ActivationName }
  /** Stride-s k×k convolution with 'valid' padding (explicit padding is a zeroPad2d before it). */
  | { kind: 'conv2d'; name: string; filters: number; kernel: number; stride: number; activation: ActivationName }
  /** Transposed convolution, tfjs's 'same' padding (output = input · stride). */
  | { kind: 'conv2dTranspose'; name: string; filters: number; kernel: number; stride: number; activation: ActivationName }
  | { kind: 'zeroPad2d'; name: string; pad: number }
  /** An activation as its own layer; `alpha` is leakyRelu's negative slope. */
  | { kind: 'activation'; name: string; activation: ActivationName; alpha?: number }
  | { kind: 'flatten'; name: string }
  | { kind: 'reshape'; name: string; shape: [number, number, number] };

export interface NetDescription {
  /** One example, [H, W, C]. */
  input: [number, number, number];
  latent: number;
  /** x → the features the heads read. */
  encoder: LayerSpec[];
  /** The heads: dense, linear, `latent` units each, both reading the encoder's features. */
  mu: LayerSpec & { kind: 'dense' };
  logvar: LayerSpec & { kind: 'dense' };
  /** z → the likelihood's parameters; its last layer is the output head. */
  decoder: LayerSpec[];
  /** What the output head parameterises (the engines read `kind`; other fields are its settings). */
  likelihood: { kind: string; sigma2?: number };
  /** p(z): 'standard' (N(0, I)), 'gmm' or 'vamp' (VampPrior) with `components`; others may be added. */
  prior: { kind: string; components?: number };
}

/** Shape of one example after each layer: [h, w, c] (dense and flatten give [1, 1, n]). */
export type Shape3 = [number, number, number];

/** Padding of a tfjs 'same' transposed convolution from h to h·s: [before, after]. */
export function samePadding(h: number, kernel: number, stride: number): [number, number] {
  const total = Math.max((h - 1) * stride + kernel - h * stride, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Walks layers from `shape`, calling `visit` with each layer's input and output shapes. */
export function walkLayers(layers: readonly LayerSpec[], shape: Shape3, visit?: (l: LayerSpec, input: Shape3, output: Shape3) => void): Shape3 {
  let s: Shape3 = shape;
  for (const l of layers) {
    const [h, w, c] = s;
    let next: Shape3;
    switch (l.kind) {
      case 'dense': next = [1, 1, l.units]; break;
      case 'flatten': next = [1, 1, h * w * c]; break;
      case 'reshape': next = [...l.shape]; break;
      case 'zeroPad2d': next = [h + 2 * l.pad, w + 2 * l.pad, c]; break;
      case 'activation': next = s; break;
      case 'conv2d': next = [Math.floor((h - l.kernel) / l.stride) + 1, Math.floor((w - l.kernel) / l.stride) + 1, l.filters]; break;
      case 'conv2dTranspose': next = [h * l.stride, w * l.stride, l.filters]; break;
    }
    visit?.(l, s, next);
    s = next;
  }
  return s;
}

/** Every trainable weight in tfjs's order (encoder, mu, logvar, decoder; kernel then bias; then the prior's). */
export function paramShapes(d: NetDescription): { layer: string; shape: number[] }[] {
  const out: { layer: string; shape: number[] }[] = [];
  const visit = (l: LayerSpec, [h, w, c]: Shape3): void => {
    if (l.kind === 'dense') out.push({ layer: l.name, shape: [h * w * c, l.units] }, { layer: l.name, shape: [l.units] });
    else if (l.kind === 'conv2d') out.push({ layer: l.name, shape: [l.kernel, l.kernel, c, l.filters] }, { layer: l.name, shape: [l.filters] });
    else if (l.kind === 'conv2dTranspose') out.push({ layer: l.name, shape: [l.kernel, l.kernel, l.filters, c] }, { layer: l.name, shape: [l.filters] });
  };
  const feat = walkLayers(d.encoder, d.input, visit);
  walkLayers([d.mu], feat, visit);
  walkLayers([d.logvar], feat, visit);
  walkLayers(d.decoder, [1, 1, d.latent], visit);
  if (d.prior.kind === 'gmm') {
    const K = d.prior.components ?? 0;
    out.push({ layer: 'prior', shape: [K] }, { layer: 'prior', shape: [K, d.latent] }, { layer: 'prior', shape: [K, d.latent] });
  }
  if (d.prior.kind === 'vamp') out.push({ layer: 'prior', shape: [d.prior.components ?? 0, ...d.input] }); // the pseudo-inputs
  return out;
}
