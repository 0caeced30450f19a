import * as tf from '../../src/engine/tfjs.js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  GmmPrior, StandardNormalPrior, createPrior, elboKSamples, elboSingleSample, estimateLogPx, logStandardNormal,
  parsePrior, sampleEps, type GmmParams,
} from '../../src/math/index.js';
import { Rng } from '../../src/math/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const params: GmmParams = {
  logits: [0.3, -1.2, 0.8],
  means: [[0, 1], [-2, 0.5], [1.5, -1]],
  logvars: [[0, -0.5], [0.7, 0.2], [-1, 0.4]],
};

/** log Σ_k π_k Π_j N(z_j; μ_kj, σ²_kj), written out in plain JS (doubles). */
function refLogMixture(z: number[], p: GmmParams): number {
  const m = Math.max(...p.logits);
  const norm = p.logits.reduce((s, l) => s + Math.exp(l - m), 0);
  let total = 0;
  p.logits.forEach((l, k) => {
    const pi = Math.exp(l - m) / norm;
    let dens = 1;
    z.forEach((zj, j) => {
      const v = Math.exp(p.logvars[k][j]);
      dens *= Math.exp(-((zj - p.means[k][j]) ** 2) / (2 * v)) / Math.sqrt(2 * Math.PI * v);
    });
    total += pi * dens;
  });
  return Math.log(total);
}

const zs = [[0, 0], [1.2, -0.7], [-3, 2], [0.4, 0.9]];

describe('mixture prior', () => {
  it('logMixtureDiag matches the plain-JS mixture density, for [B, D] and [k, B, D]', () => {
    const prior = new GmmPrior(params);
    const got = tf.tidy(() => prior.logProb(tf.tensor2d(zs)).arraySync() as number[]);
    zs.forEach((z, i) => expect(got[i]).toBeCloseTo(refLogMixture(z, params), 5));
    const got3 = tf.tidy(() => prior.logProb(tf.tensor3d([zs.slice(0, 2), zs.slice(2, 4)])).arraySync() as number[][]);
    expect(got3[1][0]).toBeCloseTo(refLogMixture(zs[2], params), 5);
    expect(got3[0][1]).toBeCloseTo(refLogMixture(zs[1], params), 5);
    prior.dispose();
  });

  it('K = 1 with mean 0 and unit variance is the standard normal', () => {
    const one = new GmmPrior({ logits: [2.5], means: [[0, 0, 0]], logvars: [[0, 0, 0]] });
    const z = tf.tensor2d([[0, 0, 0], [1, -2, 0.5], [3, 3, -3]]);
    const a = one.logProb(z).arraySync() as number[];
    const b = logStandardNormal(z).arraySync() as number[];
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
    // and its density on a far point is not the standard normal once moved
    const moved = new GmmPrior({ logits: [0], means: [[1, 0, 0]], logvars: [[0, 0, 0]] });
    expect((moved.logProb(z).arraySync() as number[])[0]).toBeCloseTo(b[0] - 0.5, 5);
    tf.dispose(z);
    one.dispose();
    moved.dispose();
  });

  it('gradients flow to logits, means and log-variances and match the responsibilities formula', () => {
    const prior = new GmmPrior(params);
    const z = [1.2, -0.7];
    const { grads } = tf.variableGrads(() => tf.sum(prior.logProb(tf.tensor2d([z]))) as tf.Scalar, prior.variables);
    const gMeans = grads[prior.means.name].arraySync() as number[][];
    const gLogits = grads[prior.logits.name].arraySync() as number[];
    const gLogvars = grads[prior.logvars.name].arraySync() as number[][];
    // responsibilities r_k = π_k N_k(z) / p(z)
    const logP = refLogMixture(z, params);
    const m = Math.max(...params.logits);
    const norm = params.logits.reduce((s, l) => s + Math.exp(l - m), 0);
    const r = params.logits.map((l, k) => {
      const single: GmmParams = { logits: [0], means: [params.means[k]], logvars: [params.logvars[k]] };
      return (Math.exp(l - m) / norm) * Math.exp(refLogMixture(z, single) - logP);
    });
    params.logits.forEach((l, k) => {
      const pi = Math.exp(l - m) / norm;
      expect(gLogits[k]).toBeCloseTo(r[k] - pi, 5); // ∂/∂logit_k = r_k − π_k
      z.forEach((zj, j) => {
        const v = Math.exp(params.logvars[k][j]);
        const d = zj - params.means[k][j];
        expect(gMeans[k][j]).toBeCloseTo((r[k] * d) / v, 5); // r_k (z − μ)/σ²
        expect(gLogvars[k][j]).toBeCloseTo(r[k] * 0.5 * (d * d / v - 1), 5);
      });
    });
    expect(gMeans.flat().some((g) => Math.abs(g) > 1e-3)).toBe(true);
    tf.dispose(Object.values(grads));
    prior.dispose();
  });

  it('parameters round-trip exactly through JSON, and sampling follows the mixture', () => {
    const prior = GmmPrior.init(4, 3, new Rng(7));
    const saved = JSON.parse(JSON.stringify(prior.getParams())) as GmmParams;
    const back = new GmmPrior(saved);
    expect(back.getParams()).toEqual(prior.getParams());
    expect(Array.from(back.means.dataSync())).toEqual(Array.from(prior.means.dataSync()));
    prior.dispose();
    back.dispose();

    // two far-apart components with weights 0.25 / 0.75: fractions and means of the draws
    const two = new GmmPrior({ logits: [0, Math.log(3)], means: [[-10, 0], [10, 5]], logvars: [[0, 0], [Math.log(4), 0]] });
    const n = 20000;
    const z = two.sample(new Rng(3), n);
    expect(Array.from(two.sample(new Rng(3), 5))).toEqual(Array.from(z.subarray(0, 10)));
    const right: number[] = [];
    for (let i = 0; i < n; i++) if (z[2 * i] > 0) right.push(z[2 * i]);
    const frac = right.length / n;
    expect(Math.abs(frac - 0.75)).toBeLessThan(4 * Math.sqrt((0.75 * 0.25) / n));
    const mean = right.reduce((a, b) => a + b, 0) / right.length;
    const sd = Math.sqrt(right.reduce((a, b) => a + (b - mean) ** 2, 0) / right.length);
    expect(Math.abs(mean - 10)).toBeLessThan(4 * (2 / Math.sqrt(right.length)));
    expect(sd).toBeCloseTo(2, 1);
    two.dispose();
  });

  it('the standard prior samples rng.normals exactly as before, and parsePrior reads the CLI syntax', () => {
    const p = createPrior(undefined, 3, new Rng(0));
    expect(p).toBeInstanceOf(StandardNormalPrior);
    expect(Array.from(p.sample(new Rng(5), 4))).toEqual(Array.from(new Rng(5).normals(12)));
    expect(parsePrior('gmm:10')).toEqual({ kind: 'gmm', components: 10 });
    expect(parsePrior('standard')).toEqual({ kind: 'standard' });
    expect(() => parsePrior('gmm:0')).toThrow(/gmm:K/);
    expect(() => parsePrior('mixture')).toThrow(/gmm:K/);
  });

  it('ELBO and IWAE with a K=1 standard mixture equal the standard-normal path; a real mixture changes them', async () => {
    const W = tf.tensor2d([[0.5, -1, 0.2, 0.3], [1, 0.4, -0.6, 0]]);
    const decode = (z: tf.Tensor2D): tf.Tensor => tf.matMul(z, W);
    const likelihood = { kind: 'bernoulli' as const };
    const xs = new Float32Array([1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0]);
    const x = tf.tensor2d(xs, [3, 4]);
    const mu = tf.tensor2d([[0.1, -0.2], [1, 0.5], [-0.3, 0.8]]);
    const logvar = tf.tensor2d([[-0.5, 0], [0.2, -1], [0, 0.3]]);
    const one = new GmmPrior({ logits: [0], means: [[0, 0]], logvars: [[0, 0]] });
    const mix = new GmmPrior(params);
    const eps = sampleEps(new Rng(1), [5, 3, 2]);
    const base = elboKSamples({ x, mu, logvar, decode, likelihood, eps });
    const viaOne = elboKSamples({ x, mu, logvar, decode, likelihood, eps, logPz: one.logProb });
    const viaMix = elboKSamples({ x, mu, logvar, decode, likelihood, eps, logPz: mix.logProb });
    const a = base.elbo.arraySync() as number[];
    (viaOne.elbo.arraySync() as number[]).forEach((v, i) => expect(v).toBeCloseTo(a[i], 4));
    expect(Math.abs((viaMix.elbo.arraySync() as number[])[0] - a[0])).toBeGreaterThan(0.01);
    // single sample: with logPz the KL is log q − log p at z (Monte-Carlo), whatever kl mode is asked
    const e1 = sampleEps(new Rng(2), [3, 2]);
    const mc = elboSingleSample({ x, mu, logvar, decode, likelihood, eps: e1, kl: 'monte-carlo' });
    const viaOneMc = elboSingleSample({ x, mu, logvar, decode, likelihood, eps: e1, kl: 'analytic', logPz: one.logProb });
    (viaOneMc.kl.arraySync() as number[]).forEach((v, i) => expect(v).toBeCloseTo((mc.kl.arraySync() as number[])[i], 4));

    const common = { x: xs, shape: [4], encode: () => ({ mu: mu.clone(), logvar: logvar.clone() }), decode, likelihood, samples: 50, batchSize: 3 };
    const s0 = await estimateLogPx({ ...common, rng: new Rng(4) });
    const s1 = await estimateLogPx({ ...common, rng: new Rng(4), logPz: one.logProb });
    Array.from(s0.logPx).forEach((v, i) => expect(s1.logPx[i]).toBeCloseTo(v, 4));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.dispose(mix.logProb(mu));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([W, x, mu, logvar, eps, e1, base.elbo, base.reconstruction, base.kl, viaOne.elbo, viaOne.reconstruction, viaOne.kl,
      viaMix.elbo, viaMix.reconstruction, viaMix.kl, mc.elbo, mc.reconstruction, mc.kl, viaOneMc.elbo, viaOneMc.reconstruction, viaOneMc.kl]);
    one.dispose();
    mix.dispose();
  });
});
