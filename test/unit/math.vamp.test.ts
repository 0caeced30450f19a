import * as tf from '../../src/engine/tfjs.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { VampPrior, createPrior, parsePrior } from '../../src/math/prior.js';
import { logStandardNormal } from '../../src/math/gaussian.js';
import { Rng } from '../../src/math/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * A hand-made "encoder" for 2×1×1 images u = (a, b), latent D = 2: mu = (a + b, a − b),
 * logvar = (log(0.5 + a), −b). Written again in plain JS below, so the prior's log-density is
 * checked against an independent computation.
 */
const encode = (x: tf.Tensor4D): { mu: tf.Tensor; logvar: tf.Tensor } => tf.tidy(() => {
  const flat = tf.reshape(x, [-1, 2]);
  const [a, b] = tf.split(flat, 2, 1);
  return { mu: tf.concat([tf.add(a, b), tf.sub(a, b)], 1), logvar: tf.concat([tf.log(tf.add(a, 0.5)), tf.neg(b)], 1) };
});
const jsComponent = (u: number[]): { mu: number[]; logvar: number[] } => {
  const [a, b] = u.map((v) => Math.min(1, Math.max(0, v))); // the prior clips pseudo-inputs to [0, 1]
  return { mu: [a + b, a - b], logvar: [Math.log(0.5 + a), -b] };
};
const jsLogVamp = (z: number[], us: number[][]): number => {
  // log (1/K) Σ_k Π_j N(z_j; mu_kj, exp(logvar_kj)), in doubles
  let s = 0;
  for (const u of us) {
    const { mu, logvar } = jsComponent(u);
    let p = 1;
    for (let j = 0; j < z.length; j++) {
      const v = Math.exp(logvar[j]);
      p *= Math.exp(-((z[j] - mu[j]) ** 2) / (2 * v)) / Math.sqrt(2 * Math.PI * v);
    }
    s += p / us.length;
  }
  return Math.log(s);
};

describe('VampPrior (Tomczak & Welling 2018)', () => {
  const us = [[0.2, 0.7], [0.9, 0.1], [1.4, -0.3]]; // the last one is clipped to (1, 0)

  it('log p(z) = log (1/K) Σ_k q(z|u_k) through the bound encoder, for [B, D] and [k, B, D]', () => {
    const prior = new VampPrior({ pseudoInputs: us, shape: [2, 1, 1] }, 2);
    prior.bindEncoder(encode);
    const zs = [[0.1, -0.4], [1.2, 0.8], [-2, 1.5], [0.9, 0.9]];
    const got = prior.logProb(tf.tensor2d(zs)).dataSync();
    zs.forEach((z, i) => expect(got[i]).toBeCloseTo(jsLogVamp(z, us), 4));
    const got3 = prior.logProb(tf.tensor3d([zs.slice(0, 2), zs.slice(2)])).arraySync() as number[][];
    expect(got3[1][0]).toBeCloseTo(jsLogVamp(zs[2], us), 4);
    const mix = prior.mixture();
    expect(mix.logits).toEqual([0, 0, 0]);
    expect(mix.means[2][0]).toBeCloseTo(1, 6);
    expect(mix.logvars[0][1]).toBeCloseTo(-0.7, 6);
    prior.dispose();
  });

  it('K = 1 with an encoder giving N(0, I) is the standard normal', () => {
    const prior = new VampPrior({ pseudoInputs: [[0.3, 0.6, 0.1]], shape: [1, 3, 1] }, 2);
    prior.bindEncoder((x) => ({ mu: tf.zeros([x.shape[0], 2]), logvar: tf.zeros([x.shape[0], 2]) }));
    const z = tf.tensor2d([[0.5, -1], [2, 0.25]]);
    expect(Array.from(prior.logProb(z).dataSync())).toEqual(Array.from(logStandardNormal(z).dataSync()));
    prior.dispose();
  });

  it('gradients reach the pseudo-inputs (inside [0, 1]; none through the clip outside it)', () => {
    const prior = new VampPrior({ pseudoInputs: us, shape: [2, 1, 1] }, 2);
    prior.bindEncoder(encode);
    const { grads } = tf.variableGrads(() => tf.sum(prior.logProb(tf.tensor2d([[0.5, 0.2], [1, -0.1]]))) as tf.Scalar, prior.variables);
    const g = Object.values(grads)[0].dataSync();
    expect(Math.abs(g[0]) + Math.abs(g[1])).toBeGreaterThan(1e-3);
    expect(g[4]).toBe(0); // 1.4 is clipped to 1
    // finite differences on u_11 agree with the gradient
    const h = 1e-3;
    const f = (v: number): number => {
      const p = us.map((r) => [...r]);
      p[0][0] = v;
      return [[0.5, 0.2], [1, -0.1]].reduce((s, z) => s + jsLogVamp(z, p), 0);
    };
    expect(g[0]).toBeCloseTo((f(0.2 + h) - f(0.2 - h)) / (2 * h), 2);
    prior.dispose();
  });

  it('samples from its components; init draws N(0.5, 0.01²) pseudo-inputs, seeded; parsePrior reads vamp:K', () => {
    const prior = new VampPrior({ pseudoInputs: us, shape: [2, 1, 1] }, 2);
    prior.bindEncoder((x) => ({ mu: tf.reshape(x, [-1, 2]), logvar: tf.fill([x.shape[0], 2], -30) }));
    const z = prior.sample(new Rng(3), 300);
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) seen.add(`${z[2 * i].toFixed(3)},${z[2 * i + 1].toFixed(3)}`.replace(/-0\.000/g, '0.000'));
    expect([...seen].sort()).toEqual(['0.200,0.700', '0.900,0.100', '1.000,0.000']);
    prior.dispose();
    const a = createPrior({ kind: 'vamp', components: 4 }, 3, new Rng(1), [5, 5, 1]) as VampPrior;
    const b = VampPrior.init(4, 3, [5, 5, 1], new Rng(1));
    expect(a.getParams()).toEqual(b.getParams());
    const v = a.getParams().pseudoInputs.flat();
    expect(v).toHaveLength(100);
    const m = v.reduce((s, x) => s + x, 0) / v.length;
    expect(Math.abs(m - 0.5)).toBeLessThan(0.004);
    expect(Math.max(...v.map((x) => Math.abs(x - 0.5)))).toBeLessThan(0.05);
    a.dispose();
    b.dispose();
    expect(parsePrior('vamp:50')).toEqual({ kind: 'vamp', components: 50 });
    expect(() => parsePrior('vamp:0')).toThrow(/vamp:K/);
    expect(() => createPrior({ kind: 'vamp', components: 2 }, 2, new Rng(0))).toThrow(/image shape/);
  });
});
