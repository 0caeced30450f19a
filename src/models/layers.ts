/**
 * The one place where a ModelConfig becomes layers: `modelLayers(config)` returns the plain,
 * serialisable layer description (src/engine/layers.ts) that build.ts turns into tfjs models and
 * the native engine is configured from.
 *
 * - conv (seed 000): per filter count, zero-pad 1 then a 3×3 stride-2 'valid' convolution with ReLU
 *   (PyTorch's Conv2d(k=3, s=2, padding=1) exactly; tfjs 'same' would pad only bottom/right);
 *   flatten; dense mu and logvar. Decoder: dense to (H/2^n)(W/2^n)·last with ReLU, reshape, then
 *   4×4 stride-2 transposed convolutions ('same' = PyTorch's padding=1) mirroring the filters, the
 *   last one to the image's channels.
 * - mlp: flatten, per hidden size a dense layer and its activation layer; dense mu and logvar.
 *   Decoder: the hidden sizes reversed, then a dense output layer and a reshape to the image.
 * The output head's activation follows the likelihood: sigmoid means for the Gaussians, logits
 * (linear) for the Bernoullis.
 */
import type { ActivationName, LayerSpec, NetDescription } from '../engine/layers.js';
import type { Activation, ModelConfig } from './config.js';
import { decoderOutputsLogits } from '../math/likelihood.js';

export type { LayerSpec, NetDescription } from '../engine/layers.js';

/**
 * Activation of the output head for a likelihood: sigmoid means for the Gaussians (fixed or
 * learned variance), linear means when a Gaussian asks for `mean: 'identity'` (standardised
 * tabular data), logits (linear) for the Bernoulli and the continuous Bernoulli.
 */
function outputActivation(c: ModelConfig): ActivationName {
  if (decoderOutputsLogits(c.likelihood)) return 'linear';
  const mean = (c.likelihood as { mean?: string }).mean;
  return mean === 'identity' ? 'linear' : 'sigmoid';
}

function activationLayer(a: Activation, name: string): LayerSpec {
  return a === 'leakyRelu' ? { kind: 'activation', name, activation: 'leakyRelu', alpha: 0.2 } : { kind: 'activation', name, activation: a };
}

export function modelLayers(c: ModelConfig): NetDescription {
  const encoder: LayerSpec[] = [];
  const decoder: LayerSpec[] = [];
  if (c.kind === 'conv') {
    const n = c.filters.length;
    const last = c.filters[n - 1];
    c.filters.forEach((f, i) => {
      encoder.push({ kind: 'zeroPad2d', name: `pad${i + 1}`, pad: 1 });
      encoder.push({ kind: 'conv2d', name: `conv${i + 1}`, filters: f, kernel: 3, stride: 2, activation: 'relu' });
    });
    encoder.push({ kind: 'flatten', name: 'flatten' });
    const hs = c.height / 2 ** n;
    const ws = c.width / 2 ** n;
    decoder.push({ kind: 'dense', name: 'fc', units: hs * ws * last, activation: 'relu' });
    decoder.push({ kind: 'reshape', name: 'unflatten', shape: [hs, ws, last] });
    const outFilters = [...c.filters.slice(0, n - 1).reverse(), c.channels];
    outFilters.forEach((f, i) => {
      const isLast = i === outFilters.length - 1;
      decoder.push({ kind: 'conv2dTranspose', name: `deconv${i + 1}`, filters: f, kernel: 4, stride: 2, activation: isLast ? outputActivation(c) : 'relu' });
    });
  } else {
    encoder.push({ kind: 'flatten', name: 'flatten' });
    c.hidden.forEach((units, i) => {
      encoder.push({ kind: 'dense', name: `enc${i + 1}`, units, activation: 'linear' });
      encoder.push(activationLayer(c.activation, `enc${i + 1}_act`));
    });
    [...c.hidden].reverse().forEach((units, i) => {
      decoder.push({ kind: 'dense', name: `dec${i + 1}`, units, activation: 'linear' });
      decoder.push(activationLayer(c.activation, `dec${i + 1}_act`));
    });
    decoder.push({ kind: 'dense', name: 'out', units: c.height * c.width * c.channels, activation: outputActivation(c) });
    decoder.push({ kind: 'reshape', name: 'unflatten', shape: [c.height, c.width, c.channels] });
  }
  return {
    input: [c.height, c.width, c.channels],
    latent: c.latent,
    encoder,
    mu: { kind: 'dense', name: 'mu', units: c.latent, activation: 'linear' },
    logvar: { kind: 'dense', name: 'logvar', units: c.latent, activation: 'linear' },
    decoder,
    likelihood: { ...c.likelihood },
    prior: c.prior ? { ...c.prior } : { kind: 'standard' },
  };
}
