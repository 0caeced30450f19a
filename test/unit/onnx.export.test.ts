/**
 * ONNX export against our tfjs models: both exported graphs run in onnxruntime-node on the same
 * inputs as the tfjs encoder and decoder (random weights and biases, non-square images, several
 * channels, so any mix-up of the NHWC -> NCHW weight layouts shows), at batch 1 and 7.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '../../src/engine/tfjs.js';
import { Vae } from '../../src/models/vae.js';
import type { ModelConfig } from '../../src/models/config.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { readSignature } from '../../src/onnx/proto.js';

type Ort = typeof import('onnxruntime-node');
let ort: Ort;

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort = await import('onnxruntime-node');
});

/** Replaces every weight (biases included) by seeded N(0, 0.3²) draws. */
function randomise(m: tf.LayersModel, seed: number): void {
  m.setWeights(m.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.3, 'float32', seed * 100 + i)));
}

/** x NHWC -> NCHW. */
function toNchw(x: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let k = 0; k < c; k++) {
    out[((b * c + k) * h + i) * w + j] = x[((b * h + i) * w + j) * c + k];
  }
  return out;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

async function compare(config: ModelConfig, seed: number): Promise<void> {
  const vae = Vae.create(config, seed);
  randomise(vae.encoder, seed);
  randomise(vae.decoder, seed + 50);
  const bytes = exportOnnx(config, vae.encoder, vae.decoder);
  const enc = await ort.InferenceSession.create(bytes.encoder);
  const dec = await ort.InferenceSession.create(bytes.decoder);
  const { height: H, width: W, channels: C, latent: L } = config;
  try {
    expect(enc.inputNames).toEqual(['x']);
    expect(enc.outputNames).toEqual(['mu', 'logvar']);
    expect(dec.inputNames).toEqual(['z']);
    const outName = config.likelihood.kind === 'gaussian' ? 'x_mean' : 'x_logits';
    expect(dec.outputNames).toEqual([outName]);
    const sig = readSignature(bytes.decoder);
    expect(sig.outputs[0].shape).toEqual(['batch', C, H, W]);
    expect(sig.opset).toBeGreaterThanOrEqual(13);
    expect(sig.metadata.likelihood).toBe(config.likelihood.kind);
    for (const n of [1, 7]) {
      const x = tf.randomUniform([n, H, W, C], 0, 1, 'float32', seed + n) as tf.Tensor4D;
      const z = tf.randomNormal([n, L], 0, 1.5, 'float32', seed + 10 + n) as tf.Tensor2D;
      const q = vae.encode(x);
      const px = vae.decode(z);
      const [xs, zs, mu, lv, out] = [x, z, q.mu, q.logvar, px].map((t) => t.dataSync() as Float32Array);
      tf.dispose([x, z, q.mu, q.logvar, px]);

      const e = await enc.run({ x: new ort.Tensor('float32', toNchw(xs, n, H, W, C), [n, C, H, W]) });
      expect(e.mu.dims).toEqual([n, L]);
      expect(maxAbsDiff(e.mu.data as Float32Array, mu)).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDiff(e.logvar.data as Float32Array, lv)).toBeLessThanOrEqual(1e-4);
      const d = await dec.run({ z: new ort.Tensor('float32', zs, [n, L]) });
      expect(d[outName].dims).toEqual([n, C, H, W]);
      expect(maxAbsDiff(d[outName].data as Float32Array, toNchw(out, n, H, W, C))).toBeLessThanOrEqual(1e-4);
      // the outputs are not trivially equal: a layout mix-up would show
      expect(maxAbsDiff(out, new Float32Array(out.length))).toBeGreaterThan(0.05);
    }
  } finally {
    await enc.release();
    await dec.release();
    vae.dispose();
  }
}

describe('ONNX export matches tfjs (onnxruntime-node, max abs difference <= 1e-4, batch 1 and 7)', () => {
  it('conv, Gaussian (sigmoid means), non-square 3-channel images', async () => {
    await compare({ kind: 'conv', height: 8, width: 16, channels: 3, latent: 3, filters: [4, 6], likelihood: { kind: 'gaussian', sigma2: 1 } }, 1);
  });
  it('conv, Bernoulli (logits), one channel, three stages', async () => {
    await compare({ kind: 'conv', height: 16, width: 8, channels: 1, latent: 2, filters: [3, 5, 4], likelihood: { kind: 'bernoulli' } }, 2);
  });
  it('MLP tanh, two hidden layers, 2 channels, Gaussian', async () => {
    await compare({ kind: 'mlp', height: 4, width: 6, channels: 2, latent: 3, hidden: [7, 5], activation: 'tanh', likelihood: { kind: 'gaussian', sigma2: 0.5 } }, 3);
  });
  it('MLP relu, Bernoulli', async () => {
    await compare({ kind: 'mlp', height: 5, width: 3, channels: 3, latent: 4, hidden: [9], activation: 'relu', likelihood: { kind: 'bernoulli' } }, 4);
  });
  it('MLP leakyRelu, Bernoulli', async () => {
    await compare({ kind: 'mlp', height: 4, width: 4, channels: 1, latent: 2, hidden: [6, 6], activation: 'leakyRelu', likelihood: { kind: 'bernoulli' } }, 5);
  });
});
