import * as tf from '../../src/engine/tfjs.js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  elboKSamples,
  elboSingleSample,
  logImportanceWeights,
  negElboLoss,
  sampleEps,
  type KlMode,
  type Likelihood,
} from '../../src/math/index.js';
import { Rng } from '../../src/math/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const B = 3;
const D = 2;
const d = 4;

/** Row-major [r, c] array → nested arrays of doubles. */
function mat(a: ArrayLike<number>, r: number, c: number): number[][] {
  return Array.from({ length: r }, (_, i) => Array.from({ length: c }, (_, j) => a[i * c + j]));
}

interface Params {
  mu: number[][]; // [B, D]
  logvar: number[][]; // [B, D]
  W: number[][]; // [D, d]
  b: number[]; // [d]
}

/**
 * −(mean over the batch of the single-sample ELBO), in float64, written from the formulas:
 * z = mu + σ·eps, x̂ = zW + b, log p(x|z) (Gaussian with constants, or Bernoulli from logits),
 * KL analytic ½Σ(mu² + σ² − log σ² − 1) or log q(z|x) − log p(z) at z.
 */
function refLoss(p: Params, x: number[][], eps: number[][], likelihood: Likelihood, kl: KlMode, beta: number): number {
  let total = 0;
  for (let i = 0; i < B; i++) {
    const z = p.mu[i].map((m, j) => m + Math.exp(0.5 * p.logvar[i][j]) * eps[i][j]);
    let logPx = 0;
    for (let c = 0; c < d; c++) {
      let out = p.b[c];
      for (let j = 0; j < D; j++) out += z[j] * p.W[j][c];
      if (likelihood.kind === 'gaussian') {
        const s2 = likelihood.sigma2;
        logPx += -0.5 * Math.log(2 * Math.PI * s2) - (x[i][c] - out) ** 2 / (2 * s2);
      } else {
        const logSig = -Math.log1p(Math.exp(-out)); // log σ(out), fine for the small logits here
        const logOneMinus = -Math.log1p(Math.exp(out));
        logPx += x[i][c] * logSig + (1 - x[i][c]) * logOneMinus;
      }
    }
    let klTerm = 0;
    for (let j = 0; j < D; j++) {
      const m = p.mu[i][j];
      const lv = p.logvar[i][j];
      if (kl === 'analytic') klTerm += 0.5 * (m * m + Math.exp(lv) - lv - 1);
      else klTerm += -0.5 * lv - (z[j] - m) ** 2 / (2 * Math.exp(lv)) + (z[j] * z[j]) / 2;
    }
    total += logPx - beta * klTerm;
  }
  return -total / B;
}

function setup(seed: number, likelihood: Likelihood) {
  const rng = new Rng(seed);
  const n = (k: number, s = 1) => Array.from({ length: k }, () => s * rng.normal());
  const p: Params = { mu: mat(n(B * D), B, D), logvar: mat(n(B * D, 0.5), B, D), W: mat(n(D * d, 0.7), D, d), b: n(d, 0.3) };
  const xFlat = likelihood.kind === 'gaussian' ? n(B * d) : Array.from({ length: B * d }, () => rng.int(2));
  const epsFlat = n(B * D);
  return { p, x: mat(xFlat, B, d), eps: mat(epsFlat, B, D) };
}

describe('elboSingleSample gradients vs central finite differences (float64)', () => {
  const cases: { likelihood: Likelihood; kl: KlMode; beta: number }[] = [
    { likelihood: { kind: 'gaussian', sigma2: 0.7 }, kl: 'analytic', beta: 1 },
    { likelihood: { kind: 'gaussian', sigma2: 1 }, kl: 'monte-carlo', beta: 0.5 },
    { likelihood: { kind: 'bernoulli' }, kl: 'analytic', beta: 2 },
    { likelihood: { kind: 'bernoulli' }, kl: 'monte-carlo', beta: 1 },
  ];
  for (const [ci, { likelihood, kl, beta }] of cases.entries()) {
    it(`${likelihood.kind}, kl ${kl}, β = ${beta}: d(−ELBO)/d(mu, logvar, W, b)`, () => {
      const { p, x, eps } = setup(100 + ci, likelihood);
      const mu = tf.variable(tf.tensor2d(p.mu));
      const logvar = tf.variable(tf.tensor2d(p.logvar));
      const W = tf.variable(tf.tensor2d(p.W));
      const b = tf.variable(tf.tensor1d(p.b));
      const xT = tf.tensor2d(x);
      const epsT = tf.tensor2d(eps);
      const decode = (z: tf.Tensor2D) => tf.add(tf.matMul(z, W), b);
      const { value, grads } = tf.variableGrads(
        () => negElboLoss(elboSingleSample({ x: xT, mu, logvar, decode, likelihood, eps: epsT, beta, kl })),
        [mu, logvar, W, b],
      );
      expect(value.dataSync()[0]).toBeCloseTo(refLoss(p, x, eps, likelihood, kl, beta), 3);

      const h = 1e-5;
      const check = (name: 'mu' | 'logvar' | 'W' | 'b', v: tf.Variable) => {
        const g = grads[v.name].dataSync();
        const flat = name === 'b' ? p.b : p[name].flat();
        expect(g.length).toBe(flat.length);
        for (let e = 0; e < flat.length; e++) {
          const at = (delta: number): number => {
            const q: Params = structuredClone(p);
            if (name === 'b') q.b[e] += delta;
            else {
              const cols = q[name][0].length;
              q[name][Math.floor(e / cols)][e % cols] += delta;
            }
            return refLoss(q, x, eps, likelihood, kl, beta);
          };
          const fd = (at(h) - at(-h)) / (2 * h);
          expect(Math.abs(g[e] - fd), `${name}[${e}]: tf ${g[e]} vs fd ${fd}`).toBeLessThan(1e-4 + 1e-3 * Math.abs(fd));
        }
      };
      check('mu', mu);
      check('logvar', logvar);
      check('W', W);
      check('b', b);
      tf.dispose([mu, logvar, W, b, xT, epsT, value, ...Object.values(grads)]);
    });
  }
});

/** A linear decoder x̂ = zW + b with Gaussian p(x|z), for which E_q[log p(x|z)] has a closed form. */
function linearGaussianCase() {
  const { p, x } = setup(7, { kind: 'gaussian', sigma2: 0.5 });
  const sigma2 = 0.5;
  // E_q ‖x − zW − b‖² = ‖x − mu·W − b‖² + Σ_j σ_j² ‖W_j‖²
  const exactElbo = p.mu.map((m, i) => {
    let se = 0;
    for (let c = 0; c < d; c++) {
      let out = p.b[c];
      for (let j = 0; j < D; j++) out += m[j] * p.W[j][c];
      se += (x[i][c] - out) ** 2;
    }
    for (let j = 0; j < D; j++) se += Math.exp(p.logvar[i][j]) * p.W[j].reduce((s, w) => s + w * w, 0);
    const recon = -0.5 * (d * Math.log(2 * Math.PI * sigma2) + se / sigma2);
    let kl = 0;
    for (let j = 0; j < D; j++) kl += 0.5 * (m[j] ** 2 + Math.exp(p.logvar[i][j]) - p.logvar[i][j] - 1);
    return { recon, kl, elbo: recon - kl };
  });
  const W = tf.tensor2d(p.W);
  const b = tf.tensor1d(p.b);
  const inputs = {
    x: tf.tensor2d(x),
    mu: tf.tensor2d(p.mu),
    logvar: tf.tensor2d(p.logvar),
    decode: (z: tf.Tensor2D) => tf.add(tf.matMul(z, W), b),
    likelihood: { kind: 'gaussian', sigma2 } as Likelihood,
  };
  return { exactElbo, inputs, dispose: () => tf.dispose([W, b, inputs.x, inputs.mu, inputs.logvar]) };
}

describe('elboKSamples', () => {
  it('with k = 1 equals elboSingleSample with kl monte-carlo (same eps)', () => {
    const { inputs, dispose } = linearGaussianCase();
    const eps = sampleEps(new Rng(3), [B, D]);
    const one = elboSingleSample({ ...inputs, eps, kl: 'monte-carlo', beta: 0.8 });
    const k1 = elboKSamples({ ...inputs, eps: tf.expandDims(eps, 0), beta: 0.8 });
    for (const key of ['elbo', 'reconstruction', 'kl'] as const) {
      expect(k1[key].shape).toEqual([B]);
      const a = one[key].dataSync();
      const c = k1[key].dataSync();
      for (let i = 0; i < B; i++) expect(c[i]).toBeCloseTo(a[i], 4);
    }
    // and the analytic-KL single sample differs from it only in the KL term
    const analytic = elboSingleSample({ ...inputs, eps, kl: 'analytic', beta: 0.8 });
    expect(Array.from(analytic.reconstruction.dataSync())).toEqual(Array.from(one.reconstruction.dataSync()));
    tf.dispose([...Object.values(one), ...Object.values(k1), ...Object.values(analytic)]);
    dispose();
  });

  it('with large k approaches the exact ELBO (closed form for a linear-Gaussian decoder), within 4 SE', () => {
    const { exactElbo, inputs, dispose } = linearGaussianCase();
    const k = 100_000;
    const eps = sampleEps(new Rng(4), [k, B, D]);
    const terms = elboKSamples({ ...inputs, eps });
    const logw = tf.tidy(() => logImportanceWeights({ ...inputs, eps }).dataSync()); // [k, B]
    const elbo = terms.elbo.dataSync();
    const recon = terms.reconstruction.dataSync();
    const kl = terms.kl.dataSync();
    for (let i = 0; i < B; i++) {
      let s = 0;
      let s2 = 0;
      for (let j = 0; j < k; j++) s += logw[j * B + i];
      const mean = s / k;
      for (let j = 0; j < k; j++) s2 += (logw[j * B + i] - mean) ** 2;
      const se = Math.sqrt(s2 / (k - 1) / k);
      expect(elbo[i]).toBeCloseTo(mean, 2); // elbo is the mean of the log weights
      expect(elbo[i]).toBeCloseTo(recon[i] - kl[i], 3);
      expect(Math.abs(elbo[i] - exactElbo[i].elbo)).toBeLessThan(4 * se);
      expect(se).toBeLessThan(0.1); // the test has power
      // the MC KL approaches the analytic KL too
      expect(Math.abs(kl[i] - exactElbo[i].kl)).toBeLessThan(0.05);
    }
    tf.dispose([eps, ...Object.values(terms)]);
    dispose();
  });
});

describe('elboSingleSample', () => {
  it('is unbiased: its mean over 20k replicated rows is the exact ELBO (analytic KL)', () => {
    const { exactElbo, inputs, dispose } = linearGaussianCase();
    const N = 20_000;
    const i = 1; // replicate example 1
    const rep = (t: tf.Tensor) => tf.tile(tf.slice(t, [i, 0], [1, -1]), [N, 1]);
    const batch = { ...inputs, x: rep(inputs.x), mu: rep(inputs.mu), logvar: rep(inputs.logvar) };
    const eps = sampleEps(new Rng(5), [N, D]);
    const terms = elboSingleSample({ ...batch, eps });
    const e = terms.elbo.dataSync();
    const kl = terms.kl.dataSync();
    let s = 0;
    let s2 = 0;
    for (let n = 0; n < N; n++) s += e[n];
    const mean = s / N;
    for (let n = 0; n < N; n++) s2 += (e[n] - mean) ** 2;
    const se = Math.sqrt(s2 / (N - 1) / N);
    expect(Math.abs(mean - exactElbo[i].elbo)).toBeLessThan(4 * se);
    expect(kl[0]).toBeCloseTo(exactElbo[i].kl, 4); // analytic KL is exact per row
    // the loss is the batch mean of −elbo
    const loss = negElboLoss(terms);
    expect(loss.shape).toEqual([]);
    expect(loss.dataSync()[0]).toBeCloseTo(-mean, 2);
    tf.dispose([eps, loss, batch.x, batch.mu, batch.logvar, ...Object.values(terms)]);
    dispose();
  });

  it('elbo = reconstruction − β·kl, with kl not scaled by β', () => {
    const { inputs, dispose } = linearGaussianCase();
    const eps = sampleEps(new Rng(6), [B, D]);
    const t1 = elboSingleSample({ ...inputs, eps, beta: 1 });
    const t4 = elboSingleSample({ ...inputs, eps, beta: 4 });
    const [r, k1, k4, e4] = [t1.reconstruction, t1.kl, t4.kl, t4.elbo].map((t) => t.dataSync());
    for (let i = 0; i < B; i++) {
      expect(k4[i]).toBeCloseTo(k1[i], 6);
      expect(e4[i]).toBeCloseTo(r[i] - 4 * k1[i], 3);
    }
    tf.dispose([eps, ...Object.values(t1), ...Object.values(t4)]);
    dispose();
  });
});
