/**
 * Latent search (seed 002: "an image-based search system where every uploaded image goes through
 * the encoder ... to find similar images"): the k database points nearest to a query in latent
 * space, by Euclidean distance ‖q − x‖ or cosine distance 1 − q·x / (‖q‖‖x‖).
 *
 * Exact brute force over typed arrays (n·d per query): 50,000 MNIST encodings of 20 dimensions take
 * a few milliseconds per query, so no index structure is needed at this scale.
 */

export type Metric = 'euclidean' | 'cosine';

export interface Neighbours {
  /** m·k database indices, row q holds query q's neighbours nearest first (ties: lower index first). */
  indices: Int32Array;
  /** m·k distances matching `indices`. */
  distances: Float64Array;
  k: number;
}

/** Rows scaled to unit length (zero rows stay zero), for cosine distance. */
export function normalizeRows(x: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j] * x[i * d + j];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < d; j++) out[i * d + j] = x[i * d + j] * inv;
  }
  return out;
}

/**
 * The k nearest database rows to each of m query rows (d values each). `exclude(q, i)` may skip
 * candidates (e.g. the query itself in leave-one-out evaluation).
 */
export function nearestNeighbours(
  database: Float32Array, n: number, queries: Float32Array, m: number, d: number, k: number,
  { metric = 'euclidean', exclude }: { metric?: Metric; exclude?: (query: number, index: number) => boolean } = {},
): Neighbours {
  if (database.length !== n * d) throw new Error(`nearestNeighbours: database has ${database.length} values, expected ${n}×${d}`);
  if (queries.length !== m * d) throw new Error(`nearestNeighbours: queries have ${queries.length} values, expected ${m}×${d}`);
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`nearestNeighbours: k must be an integer ≥ 1, got ${k}`);
  const kk = Math.min(k, n);
  const db = metric === 'cosine' ? normalizeRows(database, n, d) : database;
  const qs = metric === 'cosine' ? normalizeRows(queries, m, d) : queries;
  const indices = new Int32Array(m * kk).fill(-1);
  const distances = new Float64Array(m * kk).fill(Infinity);
  // kept sorted: best[0] nearest; insertion into a k-array (k is small)
  const bestD = new Float64Array(kk);
  const bestI = new Int32Array(kk);
  for (let q = 0; q < m; q++) {
    bestD.fill(Infinity);
    bestI.fill(-1);
    const qo = q * d;
    for (let i = 0; i < n; i++) {
      if (exclude?.(q, i)) continue;
      const io = i * d;
      let dist: number;
      if (metric === 'cosine') {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += qs[qo + j] * db[io + j];
        dist = 1 - dot;
      } else {
        let s = 0;
        for (let j = 0; j < d; j++) {
          const t = qs[qo + j] - db[io + j];
          s += t * t;
        }
        dist = s; // squared; square-rooted at the end
      }
      if (dist >= bestD[kk - 1]) continue; // ties keep the earlier (lower) index
      let p = kk - 1;
      while (p > 0 && bestD[p - 1] > dist) {
        bestD[p] = bestD[p - 1];
        bestI[p] = bestI[p - 1];
        p--;
      }
      bestD[p] = dist;
      bestI[p] = i;
    }
    for (let r = 0; r < kk; r++) {
      indices[q * kk + r] = bestI[r];
      distances[q * kk + r] = metric === 'euclidean' ? Math.sqrt(bestD[r]) : bestD[r];
    }
  }
  return { indices, distances, k: kk };
}

/**
 * Precision@k of same-label neighbours: the mean over queries of the fraction of a query's k
 * neighbours whose label equals the query's label.
 */
export function precisionAtK(neighbours: Neighbours, queryLabels: ArrayLike<number>, databaseLabels: ArrayLike<number>): number {
  const { indices, k } = neighbours;
  const m = indices.length / k;
  if (queryLabels.length !== m) throw new Error(`precisionAtK: ${queryLabels.length} labels for ${m} queries`);
  let hits = 0;
  for (let q = 0; q < m; q++) {
    for (let r = 0; r < k; r++) if (databaseLabels[indices[q * k + r]] === queryLabels[q]) hits++;
  }
  return hits / (m * k);
}
