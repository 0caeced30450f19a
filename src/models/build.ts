/**
 * Encoder and decoder builders. Both are tfjs LayersModels so a run can be saved in the tfjs
 * layers format and loaded in the browser with `tf.loadLayersModel`.
 *
 * - encoder: image [H, W, C] -> [mu, logvar], each [latent]
 * - decoder: z [latent] -> the likelihood's parameters with the image's shape [H, W, C]:
 *   means in (0, 1) (sigmoid) for the Gaussian, logits (no activation) for the Bernoulli.
 */
import * as tf from '@tensorflow/tfjs';
import type { ConvModelConfig, MlpModelConfig, ModelConfig, Activation } from './config.js';
import { decoderOutputsLogits } from '../math/likelihood.js';
import { biasInitializer, kernelInitializer, type InitScheme, type LayerShape } from './init.js';

export interface EncoderDecoder {
  encoder: tf.LayersModel;
  decoder: tf.LayersModel;
}

/**
 * Seeded initialisers (src/models/init.ts): the same seed gives the same weights. Kernel seeds
 * count up from seed·1000 + 1 as they always did; bias seeds (used by 'pytorch' only) from +501.
 */
class Seeds {
  private next: number;
  private nextBias: number;
  constructor(seed: number, private readonly init: InitScheme = 'glorot') {
    this.next = (Math.floor(seed) * 1000 + 1) >>> 0;
    this.nextBias = (Math.floor(seed) * 1000 + 501) >>> 0;
  }
  /** kernelInitializer and biasInitializer options of a layer. */
  layer(shape: LayerShape): { kernelInitializer: ReturnType<typeof kernelInitializer>; biasInitializer: ReturnType<typeof biasInitializer> } {
    return { kernelInitializer: kernelInitializer(this.init, shape, this.next++), biasInitializer: biasInitializer(this.init, shape, this.nextBias++) };
  }
}

function activationLayer(a: Activation, name: string): tf.layers.Layer {
  if (a === 'leakyRelu') return tf.layers.leakyReLU({ alpha: 0.2, name });
  return tf.layers.activation({ activation: a, name });
}

function buildConv(c: ConvModelConfig, seeds: Seeds): EncoderDecoder {
  const n = c.filters.length;
  const down = 2 ** n;
  const hs = c.height / down;
  const ws = c.width / down;
  const last = c.filters[n - 1];

  // Encoder: (zero-pad 1, conv k3 s2 valid) matches PyTorch's Conv2d(k=3, s=2, padding=1) exactly;
  // tfjs 'same' would pad only bottom/right and shift the sampling grid by one pixel.
  const x = tf.input({ shape: [c.height, c.width, c.channels], name: 'x' });
  let h: tf.SymbolicTensor = x;
  c.filters.forEach((f, i) => {
    const inChannels = i === 0 ? c.channels : c.filters[i - 1];
    h = tf.layers.zeroPadding2d({ padding: 1, name: `pad${i + 1}` }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.conv2d({
      filters: f, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu',
      ...seeds.layer({ kind: 'conv2d', inChannels, filters: f, kernelSize: 3 }), name: `conv${i + 1}`,
    }).apply(h) as tf.SymbolicTensor;
  });
  h = tf.layers.flatten({ name: 'flatten' }).apply(h) as tf.SymbolicTensor;
  const flat = hs * ws * last;
  const mu = tf.layers.dense({ units: c.latent, ...seeds.layer({ kind: 'dense', inputs: flat, units: c.latent }), name: 'mu' }).apply(h) as tf.SymbolicTensor;
  const logvar = tf.layers.dense({ units: c.latent, ...seeds.layer({ kind: 'dense', inputs: flat, units: c.latent }), name: 'logvar' }).apply(h) as tf.SymbolicTensor;
  const encoder = tf.model({ inputs: x, outputs: [mu, logvar], name: 'encoder' });

  // Decoder: dense to (H/2^n)(W/2^n)·last, ReLU, then transposed convs k4 s2. tfjs's 'same'
  // padding for k=4, s=2 is one pixel on each side, i.e. PyTorch's ConvTranspose2d(k=4, s=2, p=1).
  const z = tf.input({ shape: [c.latent], name: 'z' });
  let g = tf.layers.dense({ units: hs * ws * last, activation: 'relu', ...seeds.layer({ kind: 'dense', inputs: c.latent, units: flat }), name: 'fc' }).apply(z) as tf.SymbolicTensor;
  g = tf.layers.reshape({ targetShape: [hs, ws, last], name: 'unflatten' }).apply(g) as tf.SymbolicTensor;
  const outFilters = [...c.filters.slice(0, n - 1).reverse(), c.channels];
  outFilters.forEach((f, i) => {
    const inChannels = i === 0 ? last : outFilters[i - 1];
    const isLast = i === outFilters.length - 1;
    const act = isLast ? (decoderOutputsLogits(c.likelihood) ? 'linear' : 'sigmoid') : 'relu';
    g = tf.layers.conv2dTranspose({
      filters: f, kernelSize: 4, strides: 2, padding: 'same', activation: act,
      ...seeds.layer({ kind: 'conv2dTranspose', inChannels, filters: f, kernelSize: 4 }), name: `deconv${i + 1}`,
    }).apply(g) as tf.SymbolicTensor;
  });
  const decoder = tf.model({ inputs: z, outputs: g, name: 'decoder' });
  return { encoder, decoder };
}

function buildMlp(c: MlpModelConfig, seeds: Seeds): EncoderDecoder {
  const d = c.height * c.width * c.channels;
  const x = tf.input({ shape: [c.height, c.width, c.channels], name: 'x' });
  let h = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  c.hidden.forEach((units, i) => {
    h = tf.layers.dense({ units, ...seeds.layer({ kind: 'dense', inputs: i === 0 ? d : c.hidden[i - 1], units }), name: `enc${i + 1}` }).apply(h) as tf.SymbolicTensor;
    h = activationLayer(c.activation, `enc${i + 1}_act`).apply(h) as tf.SymbolicTensor;
  });
  const top = c.hidden.length > 0 ? c.hidden[c.hidden.length - 1] : d;
  const mu = tf.layers.dense({ units: c.latent, ...seeds.layer({ kind: 'dense', inputs: top, units: c.latent }), name: 'mu' }).apply(h) as tf.SymbolicTensor;
  const logvar = tf.layers.dense({ units: c.latent, ...seeds.layer({ kind: 'dense', inputs: top, units: c.latent }), name: 'logvar' }).apply(h) as tf.SymbolicTensor;
  const encoder = tf.model({ inputs: x, outputs: [mu, logvar], name: 'encoder' });

  const z = tf.input({ shape: [c.latent], name: 'z' });
  let g: tf.SymbolicTensor = z;
  const reversed = [...c.hidden].reverse();
  reversed.forEach((units, i) => {
    g = tf.layers.dense({ units, ...seeds.layer({ kind: 'dense', inputs: i === 0 ? c.latent : reversed[i - 1], units }), name: `dec${i + 1}` }).apply(g) as tf.SymbolicTensor;
    g = activationLayer(c.activation, `dec${i + 1}_act`).apply(g) as tf.SymbolicTensor;
  });
  const outAct = decoderOutputsLogits(c.likelihood) ? 'linear' : 'sigmoid';
  g = tf.layers.dense({ units: d, activation: outAct, ...seeds.layer({ kind: 'dense', inputs: reversed.length > 0 ? reversed[reversed.length - 1] : c.latent, units: d }), name: 'out' }).apply(g) as tf.SymbolicTensor;
  g = tf.layers.reshape({ targetShape: [c.height, c.width, c.channels], name: 'unflatten' }).apply(g) as tf.SymbolicTensor;
  const decoder = tf.model({ inputs: z, outputs: g, name: 'decoder' });
  return { encoder, decoder };
}

/** Builds a fresh encoder and decoder with weights drawn from `seed`. */
export function buildModel(config: ModelConfig, seed = 0): EncoderDecoder {
  const seeds = new Seeds(seed, config.init ?? 'glorot');
  return config.kind === 'conv' ? buildConv(config, seeds) : buildMlp(config, seeds);
}

/** Number of trainable scalars of a model. */
export function countParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((s, w) => s + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}
