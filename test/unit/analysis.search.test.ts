import { describe, expect, it } from 'vitest';
import { nearestNeighbours, precisionAtK, type Metric } from '../../src/analysis/search.js';
import { Rng } from '../../src/math/rng.js';

function bruteForce(db: Float32Array, n: number, q: Float32Array, d: number, k: number, metric: Metric): { i: number; dist: number }[] {
  const all = Array.from({ length: n }, (_, i) => {
    const x = Array.from(db.subarray(i * d, (i + 1) * d));
    const y = Array.from(q);
    const dist = metric === 'euclidean'
      ? Math.sqrt(x.reduce((s, v, j) => s + (v - y[j]) ** 2, 0))
      : 1 - x.reduce((s, v, j) => s + v * y[j], 0) / (Math.hypot(...x) * Math.hypot(...y));
    return { i, dist };
  });
  return all.sort((a, b) => a.dist - b.dist || a.i - b.i).slice(0, k);
}

describe('nearestNeighbours', () => {
  for (const metric of ['euclidean', 'cosine'] as const) {
    it(`matches a brute-force sort (${metric})`, () => {
      const rng = new Rng(metric === 'cosine' ? 1 : 2);
      const n = 300;
      const m = 12;
      const d = 6;
      const db = rng.normals(n * d);
      const queries = rng.normals(m * d);
      const k = 10;
      const r = nearestNeighbours(db, n, queries, m, d, k, { metric });
      for (let q = 0; q < m; q++) {
        const expected = bruteForce(db, n, queries.subarray(q * d, (q + 1) * d), d, k, metric);
        expect(Array.from(r.indices.subarray(q * k, (q + 1) * k))).toEqual(expected.map((e) => e.i));
        expected.forEach((e, j) => expect(r.distances[q * k + j]).toBeCloseTo(e.dist, 5));
      }
    });
  }

  it('breaks ties by the lower index, caps k at n, and can exclude candidates', () => {
    const db = Float32Array.from([1, 0, 0, 1, 1, 0, 5, 5]); // rows 0 and 2 identical
    const r = nearestNeighbours(db, 4, Float32Array.from([1, 0]), 1, 2, 10);
    expect(r.k).toBe(4);
    expect(Array.from(r.indices)).toEqual([0, 2, 1, 3]);
    const ex = nearestNeighbours(db, 4, Float32Array.from([1, 0]), 1, 2, 2, { exclude: (_q, i) => i === 0 });
    expect(Array.from(ex.indices)).toEqual([2, 1]);
  });
});

describe('precisionAtK', () => {
  it('is the mean fraction of neighbours sharing the query label', () => {
    const nb = { indices: Int32Array.from([0, 1, 2, 3, 0, 1]), distances: new Float64Array(6), k: 3 };
    // query 0 (label 7): db labels 7, 7, 1 → 2/3; query 1 (label 1): labels 2, 7, 7 → 0
    expect(precisionAtK(nb, [7, 1], [7, 7, 1, 2])).toBeCloseTo(2 / 6, 12);
  });
});
