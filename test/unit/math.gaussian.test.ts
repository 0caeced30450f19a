import * as tf from '../../src/engine/tfjs.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { reparameterize, sampleEps } from '../../src/math/index.js';
import { Rng } from '../../src/math/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('reparameterize', () => {
  it('z = mu + exp(½·logvar)·eps has mean mu and variance exp(logvar)', () => {
    const N = 100_000;
    const mu = [0.5, -2, 3, 0, 1.25, -0.75];
    const logvar = [0, -1.5, 1, 2, -3, 0.4];
    const P = mu.length;
    const z = tf.tidy(() =>
      reparameterize(tf.tensor2d(mu, [2, 3]), tf.tensor2d(logvar, [2, 3]), sampleEps(new Rng(11), [N, 2, 3])).dataSync(),
    );
    expect(z.length).toBe(N * P);
    for (let p = 0; p < P; p++) {
      let s = 0;
      let s2 = 0;
      for (let n = 0; n < N; n++) s += z[n * P + p];
      const mean = s / N;
      for (let n = 0; n < N; n++) s2 += (z[n * P + p] - mean) ** 2;
      const variance = s2 / (N - 1);
      const v = Math.exp(logvar[p]);
      expect(Math.abs(mean - mu[p])).toBeLessThan(4 * Math.sqrt(v / N));
      expect(Math.abs(variance - v)).toBeLessThan(4 * Math.sqrt((2 * v * v) / N));
    }
  });

  it('is exactly mu + σ·eps elementwise (and differentiable in mu, logvar)', () => {
    const mu = tf.tensor2d([1, 2], [1, 2]);
    const logvar = tf.tensor2d([Math.log(4), Math.log(0.25)], [1, 2]);
    const eps = tf.tensor2d([0.5, -2], [1, 2]);
    const z = tf.tidy(() => reparameterize(mu, logvar, eps).dataSync());
    expect(z[0]).toBeCloseTo(1 + 2 * 0.5, 6);
    expect(z[1]).toBeCloseTo(2 + 0.5 * -2, 6);
    // dz/dmu = 1, dz/dlogvar = ½·σ·eps
    const [gMu, gLogvar] = tf.grads((m: tf.Tensor, l: tf.Tensor) => tf.sum(reparameterize(m, l, eps)))([mu, logvar]);
    expect(Array.from(gMu.dataSync())).toEqual([1, 1]);
    const gl = gLogvar.dataSync();
    expect(gl[0]).toBeCloseTo(0.5 * 2 * 0.5, 6);
    expect(gl[1]).toBeCloseTo(0.5 * 0.5 * -2, 6);
    tf.dispose([mu, logvar, eps, gMu, gLogvar]);
  });
});

describe('sampleEps', () => {
  it('the same seed gives the same eps; another seed gives others', () => {
    const a = tf.tidy(() => sampleEps(new Rng(42), [3, 5, 2]).dataSync());
    const b = tf.tidy(() => sampleEps(new Rng(42), [3, 5, 2]).dataSync());
    const c = tf.tidy(() => sampleEps(new Rng(43), [3, 5, 2]).dataSync());
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('draws in row-major order from the Rng (chunks concatenate, state resumes)', () => {
    const whole = tf.tidy(() => sampleEps(new Rng(5), [10]).dataSync());
    const rng = new Rng(5);
    const first = tf.tidy(() => sampleEps(rng, [2, 3]).dataSync());
    const state = rng.getState(); // e.g. saved in a checkpoint for --resume
    const rest = tf.tidy(() => sampleEps(rng, [4]).dataSync());
    const resumed = new Rng(999);
    resumed.setState(state);
    const restAgain = tf.tidy(() => sampleEps(resumed, [4]).dataSync());
    expect([...first, ...rest]).toEqual(Array.from(whole));
    expect(Array.from(restAgain)).toEqual(Array.from(rest));
    // and the values are the Rng's normals
    const plain = new Rng(5);
    for (let i = 0; i < 10; i++) expect(whole[i]).toBe(Math.fround(plain.normal()));
  });

  it('is standard normal: mean 0, variance 1', () => {
    const N = 200_000;
    const e = tf.tidy(() => sampleEps(new Rng(8), [N]).dataSync());
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < N; i++) {
      s += e[i];
      s2 += e[i] * e[i];
    }
    expect(Math.abs(s / N)).toBeLessThan(4 / Math.sqrt(N));
    expect(Math.abs(s2 / N - 1)).toBeLessThan(4 * Math.sqrt(2 / N));
  });
});
