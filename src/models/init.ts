/**
 * Weight initialisation of the tfjs layers (the native engine trains the weights tfjs created, so
 * this is the only place initialisation lives).
 *
 * - `glorot`: tfjs's defaults, Glorot-uniform kernels U(±√(6 / (fan_in + fan_out))) and zero biases.
 *   Runs whose run.json has no `init` were trained with it.
 * - `pytorch`: PyTorch 1.13's defaults for nn.Linear, nn.Conv2d and nn.ConvTranspose2d: kernels
 *   Kaiming-uniform with a = √5, which is U(±1/√fan_in), and biases U(±1/√fan_in), where PyTorch
 *   computes fan_in from its weight tensor as `weight.size(1) × kernel area`:
 *     Linear(in, out)           weight [out, in]          fan_in = in
 *     Conv2d(in, out, k)        weight [out, in, k, k]    fan_in = in · k²
 *     ConvTranspose2d(in, out, k) weight [in, out, k, k]  fan_in = out · k²   (the layer's OUTPUT channels)
 *   tfjs stores the same kernels as dense [in, out], conv2d [k, k, in, out] and conv2dTranspose
 *   [k, k, out, in]; the bound depends only on fan_in, so the layout does not matter for the
 *   distribution, only the fan_in rule above.
 *
 * Both are built from tfjs's own seeded initialisers (serialisable in model.json, so the browser
 * loads the models unchanged).
 */
import * as tf from '../engine/tfjs.js';

export type InitScheme = 'glorot' | 'pytorch';
export const INIT_SCHEMES: readonly InitScheme[] = ['glorot', 'pytorch'];

/** What an initialiser needs to know about a layer (PyTorch's view of its weight). */
export type LayerShape =
  | { kind: 'dense'; inputs: number; units: number }
  | { kind: 'conv2d'; inChannels: number; filters: number; kernelSize: number }
  | { kind: 'conv2dTranspose'; inChannels: number; filters: number; kernelSize: number };

type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** PyTorch 1.13's fan_in of a layer's weight: weight.size(1) × kernel area. */
export function torchFanIn(layer: LayerShape): number {
  switch (layer.kind) {
    case 'dense':
      return layer.inputs;
    case 'conv2d':
      return layer.inChannels * layer.kernelSize * layer.kernelSize;
    case 'conv2dTranspose':
      return layer.filters * layer.kernelSize * layer.kernelSize;
  }
}

/** The kernel initialiser of a layer under a scheme, seeded. */
export function kernelInitializer(init: InitScheme, layer: LayerShape, seed: number): Initializer {
  if (init === 'glorot') return tf.initializers.glorotUniform({ seed });
  const bound = 1 / Math.sqrt(torchFanIn(layer));
  return tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed });
}

/** The bias initialiser of a layer under a scheme (zeros for glorot, so no seed is used). */
export function biasInitializer(init: InitScheme, layer: LayerShape, seed: number): Initializer {
  if (init === 'glorot') return tf.initializers.zeros();
  const bound = 1 / Math.sqrt(torchFanIn(layer));
  return tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed });
}

/** Parses `glorot` or `pytorch`; throws an Error naming the problem. */
export function parseInit(s: string): InitScheme {
  if ((INIT_SCHEMES as readonly string[]).includes(s)) return s as InitScheme;
  throw new Error(`init must be one of ${INIT_SCHEMES.join(', ')} (got '${s}')`);
}
