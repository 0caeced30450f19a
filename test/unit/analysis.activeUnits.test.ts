import * as tf from '../../src/engine/tfjs.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { activeUnits, activeUnitsOf } from '../../src/analysis/activeUnits.js';
import { Rng } from '../../src/math/rng.js';
import { MLP_400_20 } from '../../src/models/config.js';
import { Vae } from '../../src/models/vae.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('activeUnits', () => {
  it('counts the dimensions whose mean varies by more than 0.01 (population variance)', () => {
    // 4 examples, 3 dims: dim 0 varies (var 1.25), dim 1 is constant, dim 2 has variance 0.0025·… just below
    const mu = Float32Array.from([
      0, 5, 0.0,
      1, 5, 0.1,
      2, 5, 0.0,
      3, 5, 0.1,
    ]);
    const r = activeUnits(mu, 4, 3);
    expect(r.variances[0]).toBeCloseTo(1.25, 6); // mean 1.5, deviations ±0.5, ±1.5
    expect(r.variances[1]).toBe(0);
    expect(r.variances[2]).toBeCloseTo(0.0025, 6);
    expect(r.active).toEqual([0]);
    expect(activeUnits(mu, 4, 3, 0.001).active).toEqual([0, 2]);
  });

  it('matches an independent variance on random data', () => {
    const rng = new Rng(1);
    const n = 200;
    const d = 5;
    const scales = [0, 0.05, 0.2, 1, 3];
    const mu = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[i * d + j] = 7 + scales[j] * rng.normal();
    const r = activeUnits(mu, n, d);
    for (let j = 0; j < d; j++) {
      const col = Array.from({ length: n }, (_, i) => mu[i * d + j]);
      const m = col.reduce((a, b) => a + b, 0) / n;
      const v = col.reduce((a, b) => a + (b - m) ** 2, 0) / n;
      expect(r.variances[j]).toBeCloseTo(v, 5);
    }
    expect(r.active).toEqual([2, 3, 4]); // variances ≈ 0, 0.0025, 0.04, 1, 9
  });

  it('finds exactly the dimensions an encoder uses when the other mean weights are zero', () => {
    const vae = Vae.create({ ...MLP_400_20, hidden: [16], latent: 6 }, 2);
    const mu = vae.encoder.getLayer('mu');
    const [kernel, bias] = mu.getWeights();
    // dims 1 and 4 keep their weights; the others get zero kernel columns (constant mean = bias)
    const mask = tf.tensor1d([0, 1, 0, 0, 1, 0]);
    mu.setWeights([tf.mul(kernel, mask), tf.add(bias, 0.3)]);
    const rng = new Rng(5);
    const n = 64;
    const images = Float32Array.from({ length: n * 784 }, () => (rng.uniform() < 0.3 ? 1 : 0));
    const r = activeUnitsOf(vae, images, n, 1e-6);
    expect(r.active).toEqual([1, 4]);
    for (const j of [0, 2, 3, 5]) expect(r.variances[j]).toBeLessThan(1e-10);
    tf.dispose([mask]);
    vae.dispose();
  });
});
