import * as tf from '../../src/engine/tfjs.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { anomalyScores, rankByScore } from '../../src/analysis/anomaly.js';
import { activeUnitsOf } from '../../src/analysis/activeUnits.js';
import { estimateLogPx } from '../../src/math/iwae.js';
import { Rng } from '../../src/math/rng.js';
import { MLP_400_20 } from '../../src/models/config.js';
import { Vae } from '../../src/models/vae.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const config = { ...MLP_400_20, hidden: [32], latent: 4 };

function images(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * 784 }, () => (rng.uniform() < 0.2 ? 1 : 0));
}

describe('anomalyScores', () => {
  it('returns −IWAE_K and −ELBO_K of estimateLogPx, with −log p(x) ≤ −ELBO for every input', async () => {
    const vae = Vae.create(config, 1);
    const x = images(7, 2);
    const s = await anomalyScores(vae, x, 7, { samples: 20, seed: 3, batchSize: 4 });
    const est = await estimateLogPx({
      x, shape: [28, 28, 1], samples: 20, rng: new Rng(3), batchSize: 4, likelihood: config.likelihood,
      encode: (t) => vae.encode(t as tf.Tensor4D), decode: (z) => vae.decode(z),
    });
    for (let i = 0; i < 7; i++) {
      expect(s.negLogPx[i]).toBeCloseTo(-est.logPx[i], 4);
      expect(s.negElbo[i]).toBeCloseTo(-est.elbo[i], 4);
      expect(s.negLogPx[i]).toBeLessThanOrEqual(s.negElbo[i] + 1e-3);
    }
    vae.dispose();
  });

  it('an all-black input is more typical than random noise under a model biased towards black', async () => {
    const vae = Vae.create(config, 1);
    const out = vae.decoder.getLayer('out');
    const [k, b] = out.getWeights();
    out.setWeights([tf.zerosLike(k), tf.fill(b.shape, -3)]); // p(pixel = 1) = sigmoid(−3) for every z
    // q(z|x) = N(0, I) = p(z): every importance weight is exactly p(x|z)
    for (const head of ['mu', 'logvar']) {
      const layer = vae.encoder.getLayer(head);
      layer.setWeights(layer.getWeights().map((w) => tf.zerosLike(w)));
    }
    const x = new Float32Array(2 * 784);
    x.set(images(1, 4), 784); // image 1 = noise with 20% white pixels
    const s = await anomalyScores(vae, x, 2, { samples: 10, seed: 0 });
    expect(rankByScore(s.negLogPx)).toEqual([1, 0]);
    // decoder ignores z and q = p, so log p(x) = Σ log Bernoulli exactly: 784·log(1 − σ(−3)) for the black image
    expect(s.negLogPx[0]).toBeCloseTo(-784 * Math.log(1 - 1 / (1 + Math.exp(3))), 2);
    vae.dispose();
  });

  it('does not leak tensors across calls', async () => {
    const vae = Vae.create(config, 1);
    const x = images(5, 6);
    await anomalyScores(vae, x, 5, { samples: 8, seed: 0 });
    activeUnitsOf(vae, x, 5);
    const before = tf.memory().numTensors;
    for (let r = 0; r < 3; r++) {
      await anomalyScores(vae, x, 5, { samples: 8, seed: r });
      activeUnitsOf(vae, x, 5);
    }
    expect(tf.memory().numTensors).toBe(before);
    vae.dispose();
  });
});

describe('rankByScore', () => {
  it('sorts highest first, ties by index', () => {
    expect(rankByScore([1, 5, 3, 5, -2])).toEqual([1, 3, 2, 0, 4]);
  });
});
