import * as tf from '../../src/engine/tfjs.js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  elboKSamples,
  estimateLogPx,
  iwaeBound,
  logMeanExp,
  sampleEps,
  type Likelihood,
} from '../../src/math/index.js';
import { Rng } from '../../src/math/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// ---------- plain-JS float64 linear algebra for the closed forms ----------
type M = number[][];
const matmul = (a: M, b: M): M => a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
const transpose = (a: M): M => a[0].map((_, j) => a.map((r) => r[j]));
const eye = (n: number): M => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
function cholesky(a: M): M {
  const n = a.length;
  const L = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = i === j ? Math.sqrt(s) : s / L[j][j];
    }
  }
  return L;
}
function inverse(a: M): M {
  // Gauss-Jordan, fine for the 2×2 posterior precision here
  const n = a.length;
  const m = a.map((r, i) => [...r, ...eye(n)[i]]);
  for (let c = 0; c < n; c++) {
    const piv = m[c][c];
    for (let j = 0; j < 2 * n; j++) m[c][j] /= piv;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c];
      for (let j = 0; j < 2 * n; j++) m[r][j] -= f * m[c][j];
    }
  }
  return m.map((r) => r.slice(n));
}
/** log N(x; mean, C) via Cholesky: −½[d log 2π + log|C| + (x−m)ᵀC⁻¹(x−m)]. */
function logMvn(x: number[], mean: number[], C: M): number {
  const L = cholesky(C);
  const d = x.length;
  const y = new Array<number>(d).fill(0); // solve L y = x − mean
  for (let i = 0; i < d; i++) {
    let s = x[i] - mean[i];
    for (let k = 0; k < i; k++) s -= L[i][k] * y[k];
    y[i] = s / L[i][i];
  }
  const logDet = 2 * L.reduce((s, r, i) => s + Math.log(r[i]), 0);
  return -0.5 * (d * Math.log(2 * Math.PI) + logDet + y.reduce((s, v) => s + v * v, 0));
}

// ---------- the linear-Gaussian model: p(z) = N(0, I), p(x|z) = N(zW + b, σ²I) ----------
const D = 2;
const d = 5;
const sigma2 = 0.5;
const W: M = [
  [1.0, -0.6, 0.8, 0.3, -1.2],
  [0.7, 0.9, -0.4, 1.1, 0.5],
];
const bias = [0.2, -0.1, 0.5, 0, -0.3];
// marginal p(x) = N(b, WᵀW + σ²I)
const marginalCov = matmul(transpose(W), W).map((r, i) => r.map((v, j) => v + (i === j ? sigma2 : 0)));
// exact posterior p(z|x) = N(Σ W (x − b)/σ², Σ), Σ = (I + W Wᵀ/σ²)⁻¹ — correlated, so a diagonal q is not exact
const postCov = inverse(matmul(W, transpose(W)).map((r, i) => r.map((v, j) => v / sigma2 + (i === j ? 1 : 0))));
/** A diagonal encoder q(z|x) = N(shrink·E[z|x], diag(Var[z_j|x]·e^inflate)): imperfect on purpose. */
interface Encoder {
  A: M; // [d, D], mu = (x − b)·A
  logvar: number[];
}
function encoder(shrink: number, inflate: number): Encoder {
  return {
    A: matmul(transpose(W), postCov).map((r) => r.map((v) => (shrink * v) / sigma2)),
    logvar: [Math.log(postCov[0][0]) + inflate, Math.log(postCov[1][1]) + inflate],
  };
}
const GOOD = encoder(0.9, 0.3); // for log p(x) estimates: a proposal a bit wider than the posterior
const POOR = encoder(0.6, -0.4); // for the ordering of bounds: a larger gap, so the IWAE gains are clear

function sampleX(rng: Rng, n: number): Float32Array {
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const z = [rng.normal(), rng.normal()];
    for (let c = 0; c < d; c++) x[i * d + c] = bias[c] + z[0] * W[0][c] + z[1] * W[1][c] + Math.sqrt(sigma2) * rng.normal();
  }
  return x;
}
const exactLogPx = (x: Float32Array, i: number) => logMvn(Array.from(x.subarray(i * d, (i + 1) * d)), bias, marginalCov);

/** Exact ELBO of our q: E_q log p(x|z) in closed form (linear mean) − analytic KL. */
function exactElbo(x: Float32Array, i: number, { A, logvar: encLogvar }: Encoder = GOOD): number {
  const xi = Array.from(x.subarray(i * d, (i + 1) * d)).map((v, c) => v - bias[c]);
  const mu = [0, 1].map((j) => xi.reduce((s, v, c) => s + v * A[c][j], 0));
  const v = encLogvar.map(Math.exp);
  let se = 0;
  for (let c = 0; c < d; c++) se += (xi[c] - mu[0] * W[0][c] - mu[1] * W[1][c]) ** 2;
  for (let j = 0; j < D; j++) se += v[j] * W[j].reduce((s, w) => s + w * w, 0);
  const recon = -0.5 * (d * Math.log(2 * Math.PI * sigma2) + se / sigma2);
  const kl = [0, 1].reduce((s, j) => s + 0.5 * (mu[j] ** 2 + v[j] - encLogvar[j] - 1), 0);
  return recon - kl;
}

function linearGaussianModel({ A, logvar }: Encoder = GOOD) {
  const Wt = tf.tensor2d(W);
  const bt = tf.tensor1d(bias);
  const At = tf.tensor2d(A);
  const lv = tf.tensor2d([logvar]);
  return {
    encode: (x: tf.Tensor) => ({ mu: tf.matMul(tf.sub(x, bt) as tf.Tensor2D, At), logvar: tf.tile(lv, [x.shape[0], 1]) }),
    decode: (z: tf.Tensor2D) => tf.add(tf.matMul(z, Wt), bt),
    likelihood: { kind: 'gaussian', sigma2 } as Likelihood,
    dispose: () => tf.dispose([Wt, bt, At, lv]),
  };
}

describe('logMeanExp', () => {
  it('matches log(mean(exp)) in doubles, also where exp over- or underflows', () => {
    const rows = [
      [1000, 1001, 999.5, 1000],
      [-1000, -1003, -999, -1001],
      [0.1, -2, 3, 0.5],
    ];
    const got = tf.tidy(() => logMeanExp(tf.tensor2d(rows), 1).dataSync());
    for (let r = 0; r < 3; r++) {
      const m = Math.max(...rows[r]);
      const ref = m + Math.log(rows[r].reduce((s, v) => s + Math.exp(v - m), 0) / rows[r].length);
      expect(got[r]).toBeCloseTo(ref, 3);
    }
    const axis0 = tf.tidy(() => logMeanExp(tf.tensor2d(rows), 0).dataSync());
    expect(axis0[0]).toBeCloseTo(1000 + Math.log((1 + Math.exp(-2000) + Math.exp(-999.9)) / 3), 3);
    const withInf = tf.tidy(() => logMeanExp(tf.tensor2d([[-Infinity, 0], [-Infinity, -Infinity]]), 1).dataSync());
    expect(withInf[0]).toBeCloseTo(Math.log(0.5), 6);
    expect(withInf[1]).toBe(-Infinity);
  });
});

describe('IWAE bounds on a linear-Gaussian model with known log p(x)', () => {
  it('IWAE_1 equals the k-sample ELBO at k = 1, and IWAE_k ≥ ELBO_k for the same eps, per example', () => {
    const model = linearGaussianModel();
    const n = 50;
    const x = tf.tensor2d(sampleX(new Rng(1), n), [n, d]);
    const { mu, logvar } = model.encode(x);
    const inputs = { x, mu, logvar, decode: model.decode, likelihood: model.likelihood };
    const eps1 = sampleEps(new Rng(2), [1, n, D]);
    const i1 = tf.tidy(() => iwaeBound({ ...inputs, eps: eps1 }).dataSync());
    const e1 = tf.tidy(() => elboKSamples({ ...inputs, eps: eps1 }).elbo.dataSync());
    for (let i = 0; i < n; i++) expect(i1[i]).toBeCloseTo(e1[i], 4);
    const eps = sampleEps(new Rng(3), [50, n, D]);
    const ik = tf.tidy(() => iwaeBound({ ...inputs, eps }).dataSync());
    const ek = tf.tidy(() => elboKSamples({ ...inputs, eps }).elbo.dataSync());
    for (let i = 0; i < n; i++) expect(ik[i]).toBeGreaterThanOrEqual(ek[i] - 1e-4); // Jensen
    tf.dispose([x, mu, logvar, eps1, eps]);
    model.dispose();
  });

  it('on average over 1000 examples: ELBO ≤ IWAE_5 ≤ IWAE_50 ≤ IWAE_500 ≤ log p(x)', () => {
    const model = linearGaussianModel(POOR);
    const n = 1000;
    const xs = sampleX(new Rng(4), n);
    const x = tf.tensor2d(xs, [n, d]);
    const { mu, logvar } = model.encode(x);
    const inputs = { x, mu, logvar, decode: model.decode, likelihood: model.likelihood };
    const rng = new Rng(5);
    const perExample = [1, 5, 50, 500].map((k) => tf.tidy(() => iwaeBound({ ...inputs, eps: sampleEps(rng, [k, n, D]) }).dataSync()));
    /** Mean and standard error of a per-example quantity (paired over the same x). */
    const meanSe = (f: (i: number) => number) => {
      const v = Array.from({ length: n }, (_, i) => f(i));
      const m = v.reduce((s, t) => s + t, 0) / n;
      return { mean: m, se: Math.sqrt(v.reduce((s, t) => s + (t - m) ** 2, 0) / (n - 1) / n) };
    };
    const bounds = perExample.map((a) => meanSe((i) => a[i]).mean);
    const exact = meanSe((i) => exactLogPx(xs, i)).mean;
    const elbo = meanSe((i) => exactElbo(xs, i, POOR)).mean;
    // the gap KL(q ‖ p(z|x)) is large, so the ordering is a real test (means ≈ −8.5, −7.9, −7.6, −7.4; log p(x) ≈ −7.4)
    expect(exact - elbo).toBeGreaterThan(0.5);
    // IWAE_1 is an unbiased estimate of the ELBO
    const vsElbo = meanSe((i) => perExample[0][i] - exactElbo(xs, i, POOR));
    expect(Math.abs(vsElbo.mean)).toBeLessThan(4 * vsElbo.se);
    for (let j = 1; j < bounds.length; j++) {
      // each step up is several standard errors of the paired difference
      const step = meanSe((i) => perExample[j][i] - perExample[j - 1][i]);
      expect(step.mean).toBeGreaterThan(4 * step.se);
    }
    expect(bounds[3]).toBeLessThanOrEqual(exact);
    expect(exact - bounds[3]).toBeLessThan((exact - bounds[2]) / 2); // and it closes in on log p(x)
    tf.dispose([x, mu, logvar]);
    model.dispose();
  });
});

describe('estimateLogPx', () => {
  it('with K = 5000 gets within 0.03 nats of the exact log p(x) (the ELBO gap is ~0.12), its ELBO matches the closed form, and memory is bounded', async () => {
    const model = linearGaussianModel();
    const n = 30;
    const x = sampleX(new Rng(6), n);
    const progress: [number, number][] = [];
    const before = tf.memory().numTensors;
    const result = await estimateLogPx({
      x,
      shape: [d],
      encode: model.encode,
      decode: model.decode,
      likelihood: model.likelihood,
      samples: 5000,
      rng: new Rng(7),
      batchSize: 8, // 30 = 8 + 8 + 8 + 6: a ragged last batch
      chunk: 700, // 5000 = 7 × 700 + 100: a ragged last chunk
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.logPx.length).toBe(n);
    let meanErr = 0;
    let gap = 0;
    for (let i = 0; i < n; i++) {
      const exact = exactLogPx(x, i);
      expect(Math.abs(result.logPx[i] - exact), `example ${i}`).toBeLessThan(0.03); // ~5 sd of the estimate
      expect(result.logPx[i]).toBeGreaterThan(result.elbo[i]);
      expect(Math.abs(result.elbo[i] - exactElbo(x, i)), `elbo ${i}`).toBeLessThan(0.05);
      gap += (exact - exactElbo(x, i)) / n;
      meanErr += (result.logPx[i] - exact) / n;
    }
    expect(Math.abs(meanErr)).toBeLessThan(0.005);
    expect(gap).toBeGreaterThan(0.1); // so being within 0.03 is more than the ELBO could do
    expect(progress.length).toBe(4 * 8);
    expect(progress[progress.length - 1]).toEqual([n * 5000, n * 5000]);
    for (let j = 1; j < progress.length; j++) expect(progress[j][0]).toBeGreaterThan(progress[j - 1][0]);
    model.dispose();
  });

  it('is reproducible: same seed → same numbers; chunking does not change the eps drawn', async () => {
    const model = linearGaussianModel();
    const x = sampleX(new Rng(8), 12);
    const run = (seed: number, chunk: number) =>
      estimateLogPx({ x, shape: [d], ...model, samples: 300, rng: new Rng(seed), batchSize: 5, chunk });
    const a = await run(9, 64);
    const b = await run(9, 64);
    const c = await run(9, 300);
    const other = await run(10, 64);
    expect(Array.from(a.logPx)).toEqual(Array.from(b.logPx));
    expect(Array.from(a.elbo)).toEqual(Array.from(b.elbo));
    for (let i = 0; i < 12; i++) {
      expect(c.logPx[i]).toBeCloseTo(a.logPx[i], 3);
      expect(c.elbo[i]).toBeCloseTo(a.elbo[i], 3);
    }
    expect(Array.from(other.logPx)).not.toEqual(Array.from(a.logPx));
    model.dispose();
  });

  it('works for a Bernoulli decoder with a per-example shape, vs log p(x) by quadrature over a 1-D z', async () => {
    // p(z) = N(0, 1), p(x_c|z) = Bernoulli(σ(w_c·z + b_c)), x of shape [1, 3]
    const w = [2, -1.5, 3];
    const b0 = [0.5, 0, -1];
    const patterns = [
      [0, 0, 0],
      [1, 0, 1],
      [1, 1, 1],
      [0, 1, 0],
    ];
    const x = Float32Array.from(patterns.flat());
    const exact = patterns.map((xi) => {
      // ∫ N(z) Π_c σ(l_c)^x_c (1 − σ(l_c))^(1−x_c) dz on a fine grid, in doubles
      let s = 0;
      const h = 1e-3;
      for (let z = -12; z <= 12; z += h) {
        let lp = -0.5 * (Math.log(2 * Math.PI) + z * z);
        for (let c = 0; c < 3; c++) {
          const l = w[c] * z + b0[c];
          lp += xi[c] === 1 ? -Math.log1p(Math.exp(-l)) : -Math.log1p(Math.exp(l));
        }
        s += Math.exp(lp) * h;
      }
      return Math.log(s);
    });
    const wt = tf.tensor2d([w]);
    const bt = tf.tensor1d(b0);
    const result = await estimateLogPx({
      x,
      shape: [1, 3],
      // a crude encoder: mean from the bits, unit-ish variance
      encode: (xb) => tf.tidy(() => {
        const flat = tf.reshape(xb, [-1, 3]);
        return { mu: tf.matMul(flat, tf.tensor2d([[0.6], [-0.4], [0.6]])), logvar: tf.fill([xb.shape[0], 1], -0.5) };
      }),
      decode: (z) => tf.reshape(tf.add(tf.matMul(z, wt), bt), [-1, 1, 3]),
      likelihood: { kind: 'bernoulli' },
      samples: 5000,
      rng: new Rng(12),
    });
    for (let i = 0; i < patterns.length; i++) {
      expect(Math.abs(result.logPx[i] - exact[i]), `pattern ${patterns[i].join('')}`).toBeLessThan(0.03);
    }
    // the four patterns are 4 of 8; their probabilities are < 1 in total
    expect(exact.reduce((s, v) => s + Math.exp(v), 0)).toBeLessThan(1);
    tf.dispose([wt, bt]);
  });
});
