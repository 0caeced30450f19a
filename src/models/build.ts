/**
 * Encoder and decoder builders. Both are tfjs LayersModels so a run can be saved in the tfjs
 * layers format and loaded in the browser with `tf.loadLayersModel`. They are built from the
 * layer description (`modelLayers` in layers.ts), the same one the native engine is configured from.
 *
 * - encoder: image [H, W, C] -> [mu, logvar], each [latent]
 * - decoder: z [latent] -> the likelihood's parameters with the image's shape [H, W, C]:
 *   means in (0, 1) (sigmoid) for the Gaussian, logits (no activation) for the Bernoulli.
 */
import * as tf from '../engine/tfjs.js';
import type { ModelConfig } from './config.js';
import { modelLayers, type LayerSpec } from './layers.js';
import type { ActivationName } from '../engine/layers.js';
import { biasInitializer, kernelInitializer, type InitScheme, type LayerShape } from './init.js';

export interface EncoderDecoder {
  encoder: tf.LayersModel;
  decoder: tf.LayersModel;
}

type Initializer = ReturnType<typeof tf.initializers.glorotUniform>;

/**
 * The initialisers, chosen in one place (the scheme in src/models/init.ts): one call per layer
 * kernel and per layer bias, in the order the layers are built. Seeded: the same seed gives the
 * same weights. Kernel seeds count up from seed·1000 + 1 as they always did; bias seeds (used by
 * 'pytorch' only) from seed·1000 + 501.
 */
class Initializers {
  private next: number;
  private nextBias: number;
  constructor(seed: number, private readonly scheme: InitScheme) {
    this.next = (Math.floor(seed) * 1000 + 1) >>> 0;
    this.nextBias = (Math.floor(seed) * 1000 + 501) >>> 0;
  }
  kernel(layer: LayerShape): Initializer {
    return kernelInitializer(this.scheme, layer, this.next++);
  }
  bias(layer: LayerShape): Initializer {
    return biasInitializer(this.scheme, layer, this.nextBias++);
  }
}

/** PyTorch's view of a layer's weight (for fan-in), from the layer and the channels (or features) it reads. */
function layerShape(l: LayerSpec & { kind: 'dense' | 'conv2d' | 'conv2dTranspose' }, inputs: number): LayerShape {
  return l.kind === 'dense'
    ? { kind: 'dense', inputs, units: l.units }
    : { kind: l.kind, inChannels: inputs, filters: l.filters, kernelSize: l.kernel };
}

/** A dense or conv layer's own activation (tfjs layers have no leakyRelu identifier: that is an activation layer). */
function ownActivation(l: LayerSpec & { activation: ActivationName }): 'linear' | 'relu' | 'tanh' | 'sigmoid' {
  if (l.activation === 'leakyRelu') throw new Error(`layer ${l.name}: leakyRelu must be its own activation layer`);
  return l.activation;
}

/** One tfjs layer for one entry of the description. */
function tfLayer(l: LayerSpec, init: Initializers, inputs: number): tf.layers.Layer {
  switch (l.kind) {
    case 'dense':
      return tf.layers.dense({ units: l.units, activation: ownActivation(l), ...initializers(l, init, inputs), name: l.name });
    case 'conv2d':
      return tf.layers.conv2d({
        filters: l.filters, kernelSize: l.kernel, strides: l.stride, padding: 'valid', activation: ownActivation(l),
        ...initializers(l, init, inputs), name: l.name,
      });
    case 'conv2dTranspose':
      return tf.layers.conv2dTranspose({
        filters: l.filters, kernelSize: l.kernel, strides: l.stride, padding: 'same', activation: ownActivation(l),
        ...initializers(l, init, inputs), name: l.name,
      });
    case 'zeroPad2d':
      return tf.layers.zeroPadding2d({ padding: l.pad, name: l.name });
    case 'activation':
      return l.activation === 'leakyRelu' ? tf.layers.leakyReLU({ alpha: l.alpha ?? 0.2, name: l.name }) : tf.layers.activation({ activation: l.activation, name: l.name });
    case 'flatten':
      return tf.layers.flatten({ name: l.name });
    case 'reshape':
      return tf.layers.reshape({ targetShape: l.shape, name: l.name });
  }
}

/** A layer's kernel and bias initialisers (both drawn in this order, once per layer). */
function initializers(l: LayerSpec & { kind: 'dense' | 'conv2d' | 'conv2dTranspose' }, init: Initializers, inputs: number): { kernelInitializer: Initializer; biasInitializer: Initializer } {
  const shape = layerShape(l, inputs);
  return { kernelInitializer: init.kernel(shape), biasInitializer: init.bias(shape) };
}

/** The last dimension (channels or features) of a symbolic tensor. */
const lastDim = (t: tf.SymbolicTensor): number => t.shape[t.shape.length - 1] as number;

function applyAll(layers: readonly LayerSpec[], input: tf.SymbolicTensor, init: Initializers): tf.SymbolicTensor {
  return layers.reduce((h, l) => tfLayer(l, init, lastDim(h)).apply(h) as tf.SymbolicTensor, input);
}

/** Builds a fresh encoder and decoder with weights drawn from `seed`. */
export function buildModel(config: ModelConfig, seed = 0): EncoderDecoder {
  const d = modelLayers(config);
  const init = new Initializers(seed, config.init ?? 'glorot');
  const x = tf.input({ shape: d.input, name: 'x' });
  const h = applyAll(d.encoder, x, init);
  const mu = tfLayer(d.mu, init, lastDim(h)).apply(h) as tf.SymbolicTensor;
  const logvar = tfLayer(d.logvar, init, lastDim(h)).apply(h) as tf.SymbolicTensor;
  const encoder = tf.model({ inputs: x, outputs: [mu, logvar], name: 'encoder' });
  const z = tf.input({ shape: [d.latent], name: 'z' });
  const decoder = tf.model({ inputs: z, outputs: applyAll(d.decoder, z, init), name: 'decoder' });
  return { encoder, decoder };
}

/** Number of trainable scalars of a model. */
export function countParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((s, w) => s + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}
