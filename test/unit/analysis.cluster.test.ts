import { describe, expect, it } from 'vitest';
import { accuracy, clusterClassify, kMeans, knnClassify, labelClusters, pickRows, sampleIndices } from '../../src/analysis/cluster.js';
import { Rng } from '../../src/math/rng.js';

/** n points around each of the given centres (isotropic noise of `spread`). */
function blobs(centres: number[][], n: number, spread: number, seed: number): { x: Float32Array; labels: number[] } {
  const rng = new Rng(seed);
  const d = centres[0].length;
  const x = new Float32Array(centres.length * n * d);
  const labels: number[] = [];
  centres.forEach((c, ci) => {
    for (let i = 0; i < n; i++) {
      const p = ci * n + i;
      for (let j = 0; j < d; j++) x[p * d + j] = c[j] + spread * rng.normal();
      labels.push(ci);
    }
  });
  return { x, labels };
}

describe('kMeans', () => {
  it('recovers well-separated blobs exactly (every blob one cluster, centroids at the blob means)', () => {
    const centres = [[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]];
    const { x, labels } = blobs(centres, 50, 0.5, 4);
    const km = kMeans(x, 200, 3, 4, { seed: 1 });
    // the clusters partition the points exactly as the blobs do
    for (let b = 0; b < 4; b++) {
      const cs = new Set(labels.map((l, i) => (l === b ? km.assignments[i] : -1)).filter((c) => c >= 0));
      expect(cs.size).toBe(1);
    }
    expect(new Set(km.assignments).size).toBe(4);
    for (let c = 0; c < 4; c++) {
      const members = [...km.assignments.keys()].filter((i) => km.assignments[i] === c);
      for (let j = 0; j < 3; j++) {
        const mean = members.reduce((s, i) => s + x[i * 3 + j], 0) / members.length;
        expect(km.centroids[c * 3 + j]).toBeCloseTo(mean, 4);
      }
    }
    let inertia = 0;
    for (let i = 0; i < 200; i++) for (let j = 0; j < 3; j++) inertia += (x[i * 3 + j] - km.centroids[km.assignments[i] * 3 + j]) ** 2;
    expect(km.inertia).toBeCloseTo(inertia, 2);
  });

  it('is deterministic for a seed', () => {
    const { x } = blobs([[0, 0], [3, 3], [6, 0]], 30, 1.5, 2);
    const a = kMeans(x, 90, 2, 5, { seed: 7 });
    const b = kMeans(x, 90, 2, 5, { seed: 7 });
    expect(Array.from(a.assignments)).toEqual(Array.from(b.assignments));
  });
});

describe('knnClassify', () => {
  it('matches a brute-force majority vote of the k nearest labelled points', () => {
    const rng = new Rng(11);
    const n = 120;
    const m = 40;
    const d = 3;
    const labelled = rng.normals(n * d);
    const labels = Array.from({ length: n }, () => rng.int(3));
    const queries = rng.normals(m * d);
    const k = 5;
    const pred = knnClassify(labelled, labels, queries, m, d, k);
    for (let q = 0; q < m; q++) {
      const order = Array.from({ length: n }, (_, i) => i)
        .map((i) => ({ i, dist: Array.from({ length: d }, (_, j) => (labelled[i * d + j] - queries[q * d + j]) ** 2).reduce((a, b) => a + b, 0) }))
        .sort((a, b) => a.dist - b.dist || a.i - b.i)
        .slice(0, k);
      const counts = [0, 0, 0];
      order.forEach((o) => counts[labels[o.i]]++);
      const top = Math.max(...counts);
      // ties: the label among the tied ones whose top count is reached first (nearest first)
      const running = [0, 0, 0];
      let expected = -1;
      for (const o of order) {
        running[labels[o.i]]++;
        if (running[labels[o.i]] === top && counts[labels[o.i]] === top) {
          expected = labels[o.i];
          break;
        }
      }
      expect(pred[q]).toBe(expected);
    }
  });
});

describe('few-label classification on blobs', () => {
  it('labels clusters by their labelled members; unlabelled clusters borrow the nearest label', () => {
    const centres = [[0, 0], [20, 0], [0, 20]];
    const { x, labels } = blobs(centres, 100, 1, 6);
    const km = kMeans(x, 300, 2, 3, { seed: 3 });
    const labelledIdx = sampleIndices(300, 6, 1);
    const model = labelClusters(km, 2, labelledIdx, labelledIdx.map((i) => labels[i]));
    const test = blobs(centres, 20, 1, 8);
    expect(accuracy(clusterClassify(model, test.x, 60, 2), test.labels)).toBe(1);
    expect(accuracy(knnClassify(pickRows(x, 2, labelledIdx), labelledIdx.map((i) => labels[i]), test.x, 60, 2, 1), test.labels)).toBe(1);

    // two clusters on one blob, only one of them labelled: the other takes its neighbour's label
    const km2 = { centroids: Float32Array.from([0, 0, 1, 1, 20, 0]), assignments: Int32Array.from([0, 1, 2]), inertia: 0, iterations: 1 };
    const m2 = labelClusters(km2, 2, [0, 2], [5, 9]);
    expect(Array.from(m2.clusterLabels)).toEqual([5, 5, 9]);
    expect(m2.unlabelledClusters).toBe(1);
  });

  it('picks a seeded subset without repeats', () => {
    const a = sampleIndices(1000, 10, 4);
    expect(a).toEqual(sampleIndices(1000, 10, 4));
    expect(new Set(a).size).toBe(10);
    expect(a).not.toEqual(sampleIndices(1000, 10, 5));
    expect(accuracy([1, 2, 3, 4], [1, 2, 0, 4])).toBe(0.75);
  });
});
