import { describe, it, expect } from 'vitest';
import { pca, project, symmetricEigen } from '../../src/analysis/pca.js';
import { Rng } from '../../src/math/rng.js';

describe('symmetricEigen', () => {
  it('matches the closed form of a 2×2 symmetric matrix', () => {
    // [[a, b], [b, c]]: eigenvalues (a+c)/2 ± sqrt(((a−c)/2)² + b²)
    const a = 3, b = 1.5, c = -0.5;
    const { values, vectors } = symmetricEigen([a, b, b, c], 2);
    const m = (a + c) / 2, r = Math.sqrt(((a - c) / 2) ** 2 + b * b);
    expect(values[0]).toBeCloseTo(m + r, 12);
    expect(values[1]).toBeCloseTo(m - r, 12);
    // eigenvector of λ: (b, λ − a), normalised; the sign is fixed by the largest component
    for (let k = 0; k < 2; k++) {
      const l = values[k];
      const norm = Math.hypot(b, l - a);
      const e = [b / norm, (l - a) / norm];
      const dot = vectors[k][0] * e[0] + vectors[k][1] * e[1];
      expect(Math.abs(dot)).toBeCloseTo(1, 12);
    }
  });

  it('reconstructs a random symmetric 6×6 matrix as V diag(λ) Vᵀ with orthonormal V', () => {
    const d = 6;
    const rng = new Rng(4);
    const r = rng.normals(d * d);
    const m = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) m[i * d + j] = r[i * d + j] + r[j * d + i];
    const { values, vectors } = symmetricEigen(m, d);
    for (let k = 1; k < d; k++) expect(values[k]).toBeLessThanOrEqual(values[k - 1]);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let s = 0, dot = 0;
        for (let k = 0; k < d; k++) {
          s += values[k] * vectors[k][i] * vectors[k][j];
          dot += vectors[i][k] * vectors[j][k];
        }
        expect(s).toBeCloseTo(m[i * d + j], 9);
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 9);
      }
    }
  });
});

describe('pca', () => {
  it('finds the axes and variances of data stretched along known orthogonal directions', () => {
    // x = mean + 3·a·u + 1·b·v + 0.1·c·w with a, b, c ~ N(0, 1) and u, v, w orthonormal in 3-D
    const n = 20000;
    const rng = new Rng(7);
    const e = rng.normals(3 * n);
    const s = Math.SQRT1_2;
    const u = [s, s, 0], v = [-s, s, 0], w = [0, 0, 1];
    const mean = [1, -2, 0.5];
    const x = new Float64Array(3 * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < 3; j++) x[3 * i + j] = mean[j] + 3 * e[3 * i] * u[j] + 1 * e[3 * i + 1] * v[j] + 0.1 * e[3 * i + 2] * w[j];
    }
    const p = pca(x, n, 3);
    for (let j = 0; j < 3; j++) expect(p.mean[j]).toBeCloseTo(mean[j], 1);
    // sample variances of 20000 normals are within a few percent of the true ones
    expect(p.variances[0] / 9).toBeGreaterThan(0.95);
    expect(p.variances[0] / 9).toBeLessThan(1.05);
    expect(p.variances[1]).toBeGreaterThan(0.95);
    expect(p.variances[1]).toBeLessThan(1.05);
    expect(p.variances[2] / 0.01).toBeGreaterThan(0.95);
    expect(p.variances[2] / 0.01).toBeLessThan(1.05);
    const absDot = (a: ArrayLike<number>, b: number[]): number => Math.abs(a[0] * b[0] + a[1] * b[1] + a[2] * b[2]);
    expect(absDot(p.components[0], u)).toBeGreaterThan(0.999);
    expect(absDot(p.components[1], v)).toBeGreaterThan(0.999);
    expect(absDot(p.components[2], w)).toBeGreaterThan(0.999);
  });

  it('projects onto the components: coordinates are centred, uncorrelated, with the component variances', () => {
    const n = 500, d = 4;
    const rng = new Rng(1);
    const raw = rng.normals(n * d);
    const x = new Float64Array(n * d);
    // correlated data: x = A·e with a fixed mixing matrix
    const A = [[2, 0.5, 0, 0], [0.3, 1, 0.2, 0], [0, 0.4, 0.7, 0.1], [0.2, 0, 0, 0.3]];
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) x[i * d + j] += A[j][k] * raw[i * d + k];
    const p = pca(x, n, d);
    const y = project(p, x, n, 2);
    let m0 = 0, m1 = 0;
    for (let i = 0; i < n; i++) {
      m0 += y[2 * i];
      m1 += y[2 * i + 1];
    }
    expect(m0 / n).toBeCloseTo(0, 4);
    expect(m1 / n).toBeCloseTo(0, 4);
    let v0 = 0, v1 = 0, c01 = 0;
    for (let i = 0; i < n; i++) {
      v0 += y[2 * i] ** 2;
      v1 += y[2 * i + 1] ** 2;
      c01 += y[2 * i] * y[2 * i + 1];
    }
    expect(v0 / (n - 1)).toBeCloseTo(p.variances[0], 3);
    expect(v1 / (n - 1)).toBeCloseTo(p.variances[1], 3);
    expect(c01 / (n - 1)).toBeCloseTo(0, 3);
  });
});
