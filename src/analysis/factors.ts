/**
 * How well a code (the encoder means) captures known generating factors (faces: size and hue).
 * Pure functions on arrays, browser-safe. Rows are examples: `codes` is n x d and `factors` n x k,
 * row-major. Three views:
 *
 * - R² of a linear least-squares regression with intercept from the code to each factor
 *   (ordinary least squares, fitted and scored on the same examples): is the factor linearly
 *   readable from the code at all, whatever the axes?
 * - MIG, the mutual-information gap (Chen et al. 2018, "Isolating sources of disentanglement"):
 *   codes and factors discretised into equal-width bins (20 by default), the plug-in mutual
 *   information I(z_i; v_k) between every code dimension and every factor, and per factor the gap
 *   between the two most informative dimensions divided by the factor's entropy H(v_k); averaged
 *   over factors. 1: each factor lives in one dimension alone; 0: no dimension stands out.
 * - DCI (Eastwood & Williams 2018, "A framework for the quantitative evaluation of disentangled
 *   representations"): an importance matrix R[i][k] = |coefficient| of code dimension i in a lasso
 *   regression (coordinate descent; codes and factor standardised; penalty alpha, 0.1 by default, so
 *   that chance correlations of a dimension unrelated to the factor, about 1/√n, get no importance)
 *   predicting factor k. Disentanglement: 1 − entropy (base k) of each dimension's importances over
 *   factors, weighted by the dimension's share of all importance. Completeness: 1 − entropy (base
 *   d) of each factor's importances over dimensions, averaged over factors. Informativeness: R² of
 *   a least-squares refit on the dimensions the lasso kept (the "relaxed lasso", so the penalty's
 *   shrinkage does not count as error), averaged over factors (1 − normalised squared error).
 *
 * - k-NN R²: leave-one-out R² of a k-nearest-neighbour regression (k = 10, Euclidean distance on
 *   standardised codes): the share of a factor's variance the code holds in any smooth form, so a
 *   factor laid out along a curve (low linear R²) still counts as captured.
 *
 * The entropies and mutual informations are in nats; their ratios do not depend on the base.
 */

export interface Matrix {
  /** rows x cols values, row-major. */
  data: ArrayLike<number>;
  rows: number;
  cols: number;
}

export function matrix(data: ArrayLike<number>, rows: number, cols: number): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0 || data.length !== rows * cols) {
    throw new RangeError(`matrix: ${data.length} values do not make ${rows} x ${cols}`);
  }
  return { data, rows, cols };
}

/** Column j as a Float64Array. */
export function column(m: Matrix, j: number): Float64Array {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = m.data[i * m.cols + j];
  return out;
}

function mean(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return v.length ? s / v.length : 0;
}

function sumSq(v: ArrayLike<number>, center: number): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] - center) ** 2;
  return s;
}

/**
 * Solves A x = b for a small symmetric positive semi-definite A (n x n, row-major) by Gaussian
 * elimination with partial pivoting; a pivot below `tol` times the largest diagonal entry
 * (a column that is constant or a combination of others) leaves that unknown at 0.
 */
function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const r = Float64Array.from(b);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(m[i * n + i]));
  const tol = 1e-12 * maxDiag;
  const pivotCol: number[] = [];
  const skipped = new Set<number>();
  let row = 0;
  for (let col = 0; col < n && row < n; col++) {
    let p = row;
    for (let i = row + 1; i < n; i++) if (Math.abs(m[i * n + col]) > Math.abs(m[p * n + col])) p = i;
    if (Math.abs(m[p * n + col]) <= tol) {
      skipped.add(col);
      continue;
    }
    if (p !== row) {
      for (let j = 0; j < n; j++) [m[p * n + j], m[row * n + j]] = [m[row * n + j], m[p * n + j]];
      [r[p], r[row]] = [r[row], r[p]];
    }
    for (let i = row + 1; i < n; i++) {
      const f = m[i * n + col] / m[row * n + col];
      if (f === 0) continue;
      for (let j = col; j < n; j++) m[i * n + j] -= f * m[row * n + j];
      r[i] -= f * r[row];
    }
    pivotCol.push(col);
    row++;
  }
  const x = new Float64Array(n);
  for (let k = pivotCol.length - 1; k >= 0; k--) {
    const col = pivotCol[k];
    let s = r[k];
    for (let j = col + 1; j < n; j++) if (!skipped.has(j)) s -= m[k * n + j] * x[j];
    x[col] = s / m[k * n + col];
  }
  return x;
}

export interface LinearFit {
  intercept: number;
  coefficients: Float64Array;
  /** 1 − SS_res / SS_tot on the examples fitted (1 when the target is constant and fitted exactly). */
  r2: number;
}

/** y ≈ intercept + codes · coefficients by ordinary least squares (normal equations on centred data). */
export function linearFit(codes: Matrix, y: ArrayLike<number>): LinearFit {
  const { rows: n, cols: d } = codes;
  if (y.length !== n) throw new RangeError(`linearFit: ${y.length} targets for ${n} codes`);
  const means = Array.from({ length: d }, (_, j) => mean(column(codes, j)));
  const yMean = mean(y);
  const xtx = new Float64Array(d * d);
  const xty = new Float64Array(d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = codes.data[i * d + j] - means[j];
    const yc = y[i] - yMean;
    for (let j = 0; j < d; j++) {
      xty[j] += row[j] * yc;
      for (let l = 0; l < d; l++) xtx[j * d + l] += row[j] * row[l];
    }
  }
  const coefficients = solveSpd(xtx, xty, d);
  let intercept = yMean;
  for (let j = 0; j < d; j++) intercept -= coefficients[j] * means[j];
  return { intercept, coefficients, r2: r2Score(codes, y, intercept, coefficients) };
}

/** R² of a linear predictor on (codes, y): 1 − SS_res / SS_tot (can be negative out of sample). */
export function r2Score(codes: Matrix, y: ArrayLike<number>, intercept: number, coefficients: ArrayLike<number>): number {
  const { rows: n, cols: d } = codes;
  let res = 0;
  for (let i = 0; i < n; i++) {
    let p = intercept;
    for (let j = 0; j < d; j++) p += coefficients[j] * codes.data[i * d + j];
    res += (y[i] - p) ** 2;
  }
  const tot = sumSq(y, mean(y));
  if (tot === 0) return res === 0 ? 1 : 0;
  return 1 - res / tot;
}

/** Bin index 0..bins-1 of each value, equal-width bins over [min, max] (all 0 for a constant). */
export function discretize(values: ArrayLike<number>, bins: number): Int32Array {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`discretize: bins must be a positive integer, got ${bins}`);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  const out = new Int32Array(values.length);
  if (!(hi > lo)) return out;
  const width = (hi - lo) / bins;
  for (let i = 0; i < values.length; i++) out[i] = Math.min(bins - 1, Math.floor((values[i] - lo) / width));
  return out;
}

/** Plug-in entropy (nats) of a discrete variable with values 0..bins-1. */
export function entropy(x: Int32Array, bins: number): number {
  const counts = new Float64Array(bins);
  for (const v of x) counts[v]++;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / x.length) * Math.log(c / x.length);
  return h;
}

/** Plug-in mutual information (nats) of two discrete variables with values 0..bins-1. */
export function mutualInformation(a: Int32Array, b: Int32Array, binsA: number, binsB: number): number {
  if (a.length !== b.length) throw new RangeError('mutualInformation: the variables differ in length');
  const n = a.length;
  const joint = new Float64Array(binsA * binsB);
  const pa = new Float64Array(binsA);
  const pb = new Float64Array(binsB);
  for (let i = 0; i < n; i++) {
    joint[a[i] * binsB + b[i]]++;
    pa[a[i]]++;
    pb[b[i]]++;
  }
  let mi = 0;
  for (let i = 0; i < binsA; i++) {
    for (let j = 0; j < binsB; j++) {
      const c = joint[i * binsB + j];
      if (c > 0) mi += (c / n) * Math.log((c * n) / (pa[i] * pb[j]));
    }
  }
  return Math.max(0, mi);
}

/**
 * The k nearest other examples of every example (n x k indices, nearest first): Euclidean distance
 * on standardised code columns, ties broken by index.
 */
export function nearestNeighbours(codes: Matrix, k: number): Int32Array {
  const { rows: n, cols: d } = codes;
  if (!Number.isInteger(k) || k < 1 || k >= n) throw new RangeError(`nearestNeighbours: k must be an integer in 1..${n - 1}, got ${k}`);
  const x = Array.from({ length: d }, (_, j) => standardized(column(codes, j)));
  const flat = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) flat[i * d + j] = x[j][i];
  const out = new Int32Array(n * k);
  const bestD = new Float64Array(k);
  const bestI = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    let filled = 0;
    for (let o = 0; o < n; o++) {
      if (o === i) continue;
      let dist = 0;
      for (let j = 0; j < d; j++) dist += (flat[i * d + j] - flat[o * d + j]) ** 2;
      if (filled === k && dist >= bestD[k - 1]) continue;
      // insertion into the sorted list of the k best so far
      let p = filled < k ? filled++ : k - 1;
      while (p > 0 && bestD[p - 1] > dist) {
        bestD[p] = bestD[p - 1];
        bestI[p] = bestI[p - 1];
        p--;
      }
      bestD[p] = dist;
      bestI[p] = o;
    }
    out.set(bestI, i * k);
  }
  return out;
}

/** Leave-one-out R² of predicting y by the mean over each example's neighbours (from `nearestNeighbours`). */
export function knnR2FromNeighbours(neighbours: Int32Array, k: number, y: ArrayLike<number>): number {
  const n = y.length;
  if (neighbours.length !== n * k) throw new RangeError(`knnR2: ${neighbours.length / k} neighbour lists for ${n} targets`);
  let res = 0;
  for (let i = 0; i < n; i++) {
    let pred = 0;
    for (let m = 0; m < k; m++) pred += y[neighbours[i * k + m]];
    res += (y[i] - pred / k) ** 2;
  }
  const tot = sumSq(y, mean(y));
  return tot > 0 ? 1 - res / tot : 0;
}

/**
 * Leave-one-out R² of k-nearest-neighbour regression: each example's factor is predicted by the
 * mean of its k nearest other examples (Euclidean distance on standardised code columns; ties
 * broken by index). Can be slightly negative for a code unrelated to the factor.
 */
export function knnR2(codes: Matrix, y: ArrayLike<number>, k = 10): number {
  if (y.length !== codes.rows) throw new RangeError(`knnR2: ${y.length} targets for ${codes.rows} codes`);
  return knnR2FromNeighbours(nearestNeighbours(codes, k), k, y);
}

export interface MigResult {
  /** Mean over factors of the normalised gap. */
  mig: number;
  perFactor: {
    /** (I(z_top; v) − I(z_second; v)) / H(v); 0 when H(v) = 0. */
    gap: number;
    /** I(z_i; v) in nats for every code dimension i. */
    mi: number[];
    /** H(v) in nats. */
    entropy: number;
    /** The most informative code dimension. */
    top: number;
  }[];
}

/** The mutual-information gap of Chen et al. (2018), codes and factors in `bins` equal-width bins. */
export function mutualInformationGap(codes: Matrix, factors: Matrix, bins = 20): MigResult {
  if (codes.rows !== factors.rows) throw new RangeError(`mutualInformationGap: ${codes.rows} codes for ${factors.rows} factor rows`);
  const z = Array.from({ length: codes.cols }, (_, i) => discretize(column(codes, i), bins));
  const perFactor = Array.from({ length: factors.cols }, (_, k) => {
    const v = discretize(column(factors, k), bins);
    const h = entropy(v, bins);
    const mi = z.map((zi) => mutualInformation(zi, v, bins, bins));
    const order = mi.map((_, i) => i).sort((a, b) => mi[b] - mi[a]);
    const second = order.length > 1 ? mi[order[1]] : 0;
    return { gap: h > 0 ? (mi[order[0]] - second) / h : 0, mi, entropy: h, top: order[0] ?? -1 };
  });
  return { mig: mean(perFactor.map((f) => f.gap)), perFactor };
}

function standardized(v: ArrayLike<number>): Float64Array {
  const m = mean(v);
  const sd = Math.sqrt(sumSq(v, m) / Math.max(1, v.length));
  const out = new Float64Array(v.length);
  if (sd > 0) for (let i = 0; i < v.length; i++) out[i] = (v[i] - m) / sd;
  return out;
}

/**
 * Lasso on standardised columns: minimises (1/2n)·‖y − Xβ‖² + alpha·‖β‖₁ by cyclic coordinate
 * descent (soft thresholding), until no coefficient moves by more than `tol`.
 */
export function lasso(columns: Float64Array[], y: Float64Array, alpha: number, tol = 1e-9, maxSweeps = 10_000): Float64Array {
  const n = y.length;
  const d = columns.length;
  const beta = new Float64Array(d);
  const residual = Float64Array.from(y);
  const norms = columns.map((c) => sumSq(c, 0) / n);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let moved = 0;
    for (let j = 0; j < d; j++) {
      if (norms[j] === 0) continue;
      const c = columns[j];
      let rho = 0;
      for (let i = 0; i < n; i++) rho += c[i] * residual[i];
      rho = rho / n + norms[j] * beta[j];
      const next = Math.sign(rho) * Math.max(0, Math.abs(rho) - alpha) / norms[j];
      const delta = next - beta[j];
      if (delta !== 0) {
        for (let i = 0; i < n; i++) residual[i] -= delta * c[i];
        beta[j] = next;
        moved = Math.max(moved, Math.abs(delta));
      }
    }
    if (moved <= tol) break;
  }
  return beta;
}

export interface DciResult {
  disentanglement: number;
  completeness: number;
  informativeness: number;
  /** importance[i][k]: |lasso coefficient| of code dimension i for factor k (standardised units). */
  importance: number[][];
  /** Per code dimension: 1 − H_k(importances over factors); 0 for a dimension with no importance. */
  perCode: number[];
  /** Per code dimension: its share of the total importance (the weights of disentanglement). */
  codeWeights: number[];
  /** Per factor: 1 − H_d(importances over code dimensions); 0 for a factor no dimension predicts. */
  perFactor: number[];
  /** Per factor: R² of least squares on the dimensions its lasso regressor kept (0 if none). */
  factorR2: number[];
  alpha: number;
}

/** 1 − entropy of the normalised weights in base `base` (1 for base 1: nothing to spread over). */
function concentration(weights: number[], base: number): number {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) return 0;
  if (base <= 1) return 1;
  let h = 0;
  for (const w of weights) if (w > 0) h -= (w / total) * Math.log(w / total);
  return 1 - h / Math.log(base);
}

/** DCI of Eastwood & Williams (2018) with lasso importances (see the module comment). */
export function dci(codes: Matrix, factors: Matrix, alpha = 0.1): DciResult {
  if (codes.rows !== factors.rows) throw new RangeError(`dci: ${codes.rows} codes for ${factors.rows} factor rows`);
  const d = codes.cols;
  const k = factors.cols;
  const x = Array.from({ length: d }, (_, i) => standardized(column(codes, i)));
  const importance = Array.from({ length: d }, () => new Array<number>(k).fill(0));
  const factorR2: number[] = [];
  for (let f = 0; f < k; f++) {
    const y = standardized(column(factors, f));
    const beta = lasso(x, y, alpha);
    beta.forEach((b, i) => (importance[i][f] = Math.abs(b)));
    const kept = x.filter((_, i) => beta[i] !== 0);
    if (kept.length === 0) {
      factorR2.push(0);
      continue;
    }
    const sub = new Float64Array(y.length * kept.length);
    for (let r = 0; r < y.length; r++) kept.forEach((c, j) => (sub[r * kept.length + j] = c[r]));
    factorR2.push(linearFit(matrix(sub, y.length, kept.length), y).r2);
  }
  const perCode = importance.map((row) => concentration(row, k));
  const rowSums = importance.map((row) => row.reduce((a, b) => a + b, 0));
  const total = rowSums.reduce((a, b) => a + b, 0);
  const codeWeights = rowSums.map((s) => (total > 0 ? s / total : 0));
  const perFactor = Array.from({ length: k }, (_, f) => concentration(importance.map((row) => row[f]), d));
  return {
    disentanglement: perCode.reduce((a, di, i) => a + codeWeights[i] * di, 0),
    completeness: mean(perFactor),
    informativeness: mean(factorR2),
    importance,
    perCode,
    codeWeights,
    perFactor,
    factorR2,
    alpha,
  };
}

export interface FactorMetrics {
  examples: number;
  factors: string[];
  /** Per factor: R² of ordinary least squares with intercept, codes → factor, fitted on these examples. */
  r2: number[];
  /** Per factor: leave-one-out R² of 10-nearest-neighbour regression (any smooth relation). */
  knnR2: number[];
  mig: MigResult;
  dci: DciResult;
}

/** R², MIG and DCI of one set of codes against its known factors. */
export function factorMetrics(codes: Matrix, factors: Matrix, names: string[], opts: { bins?: number; alpha?: number } = {}): FactorMetrics {
  if (names.length !== factors.cols) throw new RangeError(`factorMetrics: ${names.length} names for ${factors.cols} factors`);
  const k = Math.min(10, codes.rows - 1);
  const neighbours = nearestNeighbours(codes, k);
  return {
    examples: codes.rows,
    factors: names,
    r2: names.map((_, f) => linearFit(codes, column(factors, f)).r2),
    knnR2: names.map((_, f) => knnR2FromNeighbours(neighbours, k, column(factors, f))),
    mig: mutualInformationGap(codes, factors, opts.bins),
    dci: dci(codes, factors, opts.alpha),
  };
}
