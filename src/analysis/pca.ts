/**
 * Principal component analysis of a small set of vectors (latent means: d up to a few hundred),
 * by the cyclic Jacobi eigenvalue method on the d×d sample covariance. No Node or tfjs imports:
 * the explorer uses it in the browser to show latent spaces of more than two dimensions.
 */

export interface Pca {
  /** Dimension of the vectors. */
  d: number;
  /** Mean of the data, d values. */
  mean: Float64Array;
  /** Unit principal directions, largest variance first (d vectors of d values). */
  components: Float64Array[];
  /** Variance along each direction (eigenvalues of the covariance, divided by n − 1), descending. */
  variances: number[];
}

/**
 * Eigen-decomposition of a symmetric d×d matrix (row-major). Returns eigenvalues and unit
 * eigenvectors (vectors[k] belongs to values[k]), sorted by descending eigenvalue.
 */
export function symmetricEigen(matrix: ArrayLike<number>, d: number): { values: number[]; vectors: Float64Array[] } {
  const a = Float64Array.from(matrix as ArrayLike<number>);
  if (a.length !== d * d) throw new Error(`symmetricEigen: ${a.length} values for a ${d}×${d} matrix`);
  // v accumulates the rotations: its columns become the eigenvectors
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  let scale = 0;
  for (let i = 0; i < d * d; i++) scale = Math.max(scale, Math.abs(a[i]));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] * a[p * d + q];
    if (off <= (1e-30 + 1e-26 * scale * scale)) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (apq === 0) continue;
        // the rotation angle that zeroes a[p][q] (Golub & Van Loan, Matrix Computations, §8.5)
        const theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          // columns p and q
          const akp = a[k * d + p], akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          // rows p and q
          const apk = a[p * d + k], aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p], vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: d }, (_, i) => i).sort((i, j) => a[j * d + j] - a[i * d + i]);
  return {
    values: order.map((i) => a[i * d + i]),
    vectors: order.map((i) => {
      const col = new Float64Array(d);
      for (let k = 0; k < d; k++) col[k] = v[k * d + i];
      // a fixed sign (largest component positive) so repeated runs agree
      let big = 0;
      for (let k = 1; k < d; k++) if (Math.abs(col[k]) > Math.abs(col[big])) big = k;
      if (col[big] < 0) for (let k = 0; k < d; k++) col[k] = -col[k];
      return col;
    }),
  };
}

/** PCA of n vectors of d values (row-major). */
export function pca(data: ArrayLike<number>, n: number, d: number): Pca {
  if (data.length !== n * d) throw new Error(`pca: ${data.length} values for ${n} vectors of ${d}`);
  if (n < 2) throw new Error('pca: needs at least two vectors');
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = data[i * d + j] - mean[j];
    for (let j = 0; j < d; j++) for (let k = j; k < d; k++) cov[j * d + k] += row[j] * row[k];
  }
  for (let j = 0; j < d; j++) {
    for (let k = j; k < d; k++) {
      cov[j * d + k] /= n - 1;
      cov[k * d + j] = cov[j * d + k];
    }
  }
  const { values, vectors } = symmetricEigen(cov, d);
  return { d, mean, components: vectors, variances: values.map((v) => Math.max(0, v)) };
}

/** Coordinates of each vector along the first `k` principal directions (after centring): n × k values. */
export function project(p: Pca, data: ArrayLike<number>, n: number, k = 2): Float32Array {
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const dir = p.components[c];
      let s = 0;
      for (let j = 0; j < p.d; j++) s += (data[i * p.d + j] - p.mean[j]) * dir[j];
      out[i * k + c] = s;
    }
  }
  return out;
}
