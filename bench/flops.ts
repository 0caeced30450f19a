/**
 * Floating-point work of a training step, counted from the layers: 2 FLOP per multiply-add, and a
 * training step ≈ 3× the forward pass (forward, gradient w.r.t. inputs, gradient w.r.t. weights).
 * For the seed-000 conv VAE this gives ~43 MFLOP per image (ARCHITECTURE.md: 42.6).
 */
import type * as tf from '../src/engine/tfjs.js';
import type { Vae } from '../src/models/vae.js';

function forwardMacs(model: tf.LayersModel): number {
  let macs = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    const k = weights[0].shape as number[];
    const out = layer.outputShape as number[];
    const inp = (layer.input as tf.SymbolicTensor).shape as number[];
    if (cls === 'Dense') macs += k[0] * k[1];
    else if (cls === 'Conv2D') macs += out[1] * out[2] * k[0] * k[1] * k[2] * k[3];
    else if (cls === 'Conv2DTranspose') macs += inp[1] * inp[2] * k[0] * k[1] * k[2] * k[3];
  }
  return macs;
}

/** FLOP of one training step per image (forward + backward). */
export function trainingFlopsPerImage(vae: Vae): number {
  return 3 * 2 * (forwardMacs(vae.encoder) + forwardMacs(vae.decoder));
}
