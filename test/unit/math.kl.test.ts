import * as tf from '../../src/engine/tfjs.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { klAnalytic, klMonteCarlo, reparameterize, sampleEps } from '../../src/math/index.js';
import { Rng } from '../../src/math/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const mu = [
  [0, 0, 0, 0],
  [0.5, -1, 2, 0.1],
  [-1.5, 0.3, 0, 1],
];
const logvar = [
  [0, 0, 0, 0],
  [-0.5, 0.7, -2, 0],
  [1.2, -1, 0.2, -0.3],
];
const B = 3;
const D = 4;

/** KL(N(m, σ²) ‖ N(0, 1)) per dimension from the textbook form log(1/σ) + (σ² + m²)/2 − ½. */
function refKl(m: number[], lv: number[]): number {
  let s = 0;
  for (let j = 0; j < m.length; j++) {
    const sigma = Math.exp(lv[j] / 2);
    s += Math.log(1 / sigma) + (sigma * sigma + m[j] * m[j]) / 2 - 0.5;
  }
  return s;
}

describe('klAnalytic', () => {
  it('matches the closed form, is 0 at the prior and positive elsewhere', () => {
    const got = tf.tidy(() => klAnalytic(tf.tensor2d(mu), tf.tensor2d(logvar)).dataSync());
    expect(got.length).toBe(B);
    for (let i = 0; i < B; i++) expect(got[i]).toBeCloseTo(refKl(mu[i], logvar[i]), 5);
    expect(got[0]).toBe(0);
    expect(got[1]).toBeGreaterThan(0);
  });

  it('agrees with a 200k-sample Monte-Carlo estimate of E_q[log q − log p] within 4 standard errors', () => {
    const N = 200_000;
    const analytic = tf.tidy(() => klAnalytic(tf.tensor2d(mu), tf.tensor2d(logvar)).dataSync());
    const samples = tf.tidy(() => {
      const m = tf.tensor2d(mu);
      const lv = tf.tensor2d(logvar);
      const z = reparameterize(m, lv, sampleEps(new Rng(21), [N, B, D]));
      return klMonteCarlo(z, m, lv).dataSync(); // [N, B]
    });
    for (let i = 0; i < B; i++) {
      let s = 0;
      let s2 = 0;
      for (let n = 0; n < N; n++) s += samples[n * B + i];
      const mean = s / N;
      for (let n = 0; n < N; n++) s2 += (samples[n * B + i] - mean) ** 2;
      const se = Math.sqrt(s2 / (N - 1) / N);
      if (i === 0) {
        expect(Math.abs(mean)).toBeLessThan(1e-5); // q = p: every sample is 0 up to rounding
      } else {
        expect(Math.abs(mean - analytic[i])).toBeLessThan(4 * se);
        expect(se).toBeLessThan(0.05 * analytic[i]); // the test has power
      }
    }
  });
});

describe('klMonteCarlo', () => {
  it('is log N(z; mu, σ²) − log N(z; 0, 1) at the given z', () => {
    const z = [
      [0.3, -0.2, 1, 2],
      [1, 1, 1, 1],
      [-2, 0, 0.5, -0.5],
    ];
    const got = tf.tidy(() => klMonteCarlo(tf.tensor2d(z), tf.tensor2d(mu), tf.tensor2d(logvar)).dataSync());
    for (let i = 0; i < B; i++) {
      let ref = 0;
      for (let j = 0; j < D; j++) {
        const v = Math.exp(logvar[i][j]);
        ref += -0.5 * Math.log(v) - (z[i][j] - mu[i][j]) ** 2 / (2 * v) + z[i][j] ** 2 / 2;
      }
      expect(got[i]).toBeCloseTo(ref, 4);
    }
  });
});
