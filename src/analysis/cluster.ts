/**
 * Classification with few labels in latent space (seed 004: "thousands of images but only few of
 * them (1-2%) are labelled ... run a clustering algorithm in the latent space"):
 *
 * - k nearest labelled neighbours: a test point gets the majority label of its k nearest labelled
 *   training points.
 * - k-means (Lloyd's algorithm, k-means++ seeding) on all training points, labelled or not; each
 *   cluster takes the majority label of its labelled members, and a test point the label of its
 *   nearest centroid.
 */
import { Rng } from '../math/rng.js';
import { nearestNeighbours, type Metric } from './search.js';

/** A seeded random subset of `count` indices out of n, ascending. */
export function sampleIndices(n: number, count: number, seed: number): number[] {
  if (!(Number.isInteger(count) && count >= 0 && count <= n)) throw new Error(`sampleIndices: cannot pick ${count} of ${n}`);
  return Array.from(new Rng(seed).permutation(n).subarray(0, count)).sort((a, b) => a - b);
}

/** Rows `idx` of an n×d matrix. */
export function pickRows(x: Float32Array, d: number, idx: readonly number[]): Float32Array {
  const out = new Float32Array(idx.length * d);
  idx.forEach((i, r) => out.set(x.subarray(i * d, (i + 1) * d), r * d));
  return out;
}

/** The most frequent label among `labels`; ties go to the label seen first. */
function majority(labels: ArrayLike<number>, start: number, end: number): number {
  const counts = new Map<number, number>();
  let best = labels[start];
  let bestCount = 0;
  for (let i = start; i < end; i++) {
    const c = (counts.get(labels[i]) ?? 0) + 1;
    counts.set(labels[i], c);
    if (c > bestCount) {
      best = labels[i];
      bestCount = c;
    }
  }
  return best;
}

/**
 * k-NN classification: the majority label of each query's k nearest labelled points (ties: the
 * label that reaches the top count first, i.e. the one of the nearer neighbours).
 */
export function knnClassify(
  labelled: Float32Array, labels: ArrayLike<number>, queries: Float32Array, m: number, d: number, k: number, metric: Metric = 'euclidean',
): Int32Array {
  const n = labels.length;
  const nb = nearestNeighbours(labelled, n, queries, m, d, k, { metric });
  const out = new Int32Array(m);
  const row = new Int32Array(nb.k);
  for (let q = 0; q < m; q++) {
    for (let r = 0; r < nb.k; r++) row[r] = labels[nb.indices[q * nb.k + r]];
    out[q] = majority(row, 0, nb.k);
  }
  return out;
}

export interface KMeansResult {
  /** k·d centroid coordinates. */
  centroids: Float32Array;
  /** Cluster of each point. */
  assignments: Int32Array;
  /** Sum of squared distances of the points to their centroids. */
  inertia: number;
  iterations: number;
}

/** Index of the nearest of k centroids to point p (squared Euclidean), and that squared distance. */
function nearestCentroid(x: Float32Array, p: number, centroids: Float32Array | Float64Array, k: number, d: number): [number, number] {
  let best = 0;
  let bestD = Infinity;
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const t = x[p * d + j] - centroids[c * d + j];
      s += t * t;
    }
    if (s < bestD) {
      bestD = s;
      best = c;
    }
  }
  return [best, bestD];
}

/**
 * k-means: k-means++ seeding (Arthur & Vassilvitskii 2007) from a seeded Rng, then Lloyd
 * iterations until no assignment changes or `maxIterations`. An empty cluster is re-seeded at the
 * point farthest from its centroid.
 */
export function kMeans(x: Float32Array, n: number, d: number, k: number, { seed = 0, maxIterations = 100 } = {}): KMeansResult {
  if (x.length !== n * d) throw new Error(`kMeans: expected ${n}×${d} values, got ${x.length}`);
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new Error(`kMeans: k must be an integer in [1, ${n}], got ${k}`);
  const rng = new Rng(seed);
  const centroids = new Float64Array(k * d);
  // k-means++: first centre uniform, then each new centre with probability ∝ squared distance
  const first = rng.int(n);
  for (let j = 0; j < d; j++) centroids[j] = x[first * d + j];
  const d2 = new Float64Array(n);
  for (let i = 0; i < n; i++) d2[i] = nearestCentroid(x, i, centroids, 1, d)[1];
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) total += d2[i];
    let pick = n - 1;
    if (total > 0) {
      let r = rng.uniform() * total;
      for (let i = 0; i < n; i++) {
        r -= d2[i];
        if (r < 0) {
          pick = i;
          break;
        }
      }
    } else pick = rng.int(n);
    for (let j = 0; j < d; j++) centroids[c * d + j] = x[pick * d + j];
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const t = x[i * d + j] - centroids[c * d + j];
        s += t * t;
      }
      if (s < d2[i]) d2[i] = s;
    }
  }
  const assignments = new Int32Array(n).fill(-1);
  const sums = new Float64Array(k * d);
  const counts = new Int32Array(k);
  let iterations = 0;
  let inertia = 0;
  for (; iterations < maxIterations; iterations++) {
    let changed = 0;
    inertia = 0;
    for (let i = 0; i < n; i++) {
      const [c, dist] = nearestCentroid(x, i, centroids, k, d);
      d2[i] = dist;
      inertia += dist;
      if (c !== assignments[i]) {
        assignments[i] = c;
        changed++;
      }
    }
    if (changed === 0) break;
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assignments[i];
      counts[c]++;
      for (let j = 0; j < d; j++) sums[c * d + j] += x[i * d + j];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] > 0) {
        for (let j = 0; j < d; j++) centroids[c * d + j] = sums[c * d + j] / counts[c];
      } else {
        let far = 0;
        for (let i = 1; i < n; i++) if (d2[i] > d2[far]) far = i;
        for (let j = 0; j < d; j++) centroids[c * d + j] = x[far * d + j];
        d2[far] = 0;
      }
    }
  }
  return { centroids: Float32Array.from(centroids), assignments, inertia, iterations };
}

export interface ClusterClassifier {
  centroids: Float32Array;
  /** Label of each cluster: majority of its labelled members, or of the nearest labelled centroid's when it has none. */
  clusterLabels: Int32Array;
  /** How many clusters had no labelled member. */
  unlabelledClusters: number;
}

/**
 * Labels the clusters of a k-means result by majority vote of the labelled points in them.
 * `labelledIdx` are point indices, `labels[r]` the label of point labelledIdx[r]. A cluster with
 * no labelled member takes the label of the nearest cluster that has one.
 */
export function labelClusters(km: KMeansResult, d: number, labelledIdx: readonly number[], labels: ArrayLike<number>): ClusterClassifier {
  const k = km.centroids.length / d;
  const members: number[][] = Array.from({ length: k }, () => []);
  labelledIdx.forEach((p, r) => members[km.assignments[p]].push(labels[r]));
  const clusterLabels = new Int32Array(k).fill(-1);
  for (let c = 0; c < k; c++) if (members[c].length > 0) clusterLabels[c] = majority(members[c], 0, members[c].length);
  const withLabel = [...clusterLabels.keys()].filter((c) => clusterLabels[c] >= 0);
  if (withLabel.length === 0) throw new Error('labelClusters: no labelled points');
  const labelledCentroids = pickRows(km.centroids, d, withLabel);
  let unlabelledClusters = 0;
  for (let c = 0; c < k; c++) {
    if (clusterLabels[c] >= 0) continue;
    unlabelledClusters++;
    const [nearest] = nearestCentroid(km.centroids, c, labelledCentroids, withLabel.length, d);
    clusterLabels[c] = clusterLabels[withLabel[nearest]];
  }
  return { centroids: km.centroids, clusterLabels, unlabelledClusters };
}

/** Label of the nearest centroid for each of m points. */
export function clusterClassify(model: ClusterClassifier, x: Float32Array, m: number, d: number): Int32Array {
  const k = model.clusterLabels.length;
  const out = new Int32Array(m);
  for (let i = 0; i < m; i++) out[i] = model.clusterLabels[nearestCentroid(x, i, model.centroids, k, d)[0]];
  return out;
}

/** Fraction of predictions equal to the truth. */
export function accuracy(predicted: ArrayLike<number>, truth: ArrayLike<number>): number {
  if (predicted.length !== truth.length || truth.length === 0) throw new Error(`accuracy: ${predicted.length} predictions for ${truth.length} labels`);
  let hits = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) hits++;
  return hits / truth.length;
}
