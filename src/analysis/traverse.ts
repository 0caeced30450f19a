/**
 * Latent traversal: vary one latent dimension over a range of values while every other dimension
 * stays at a base point (usually an input's encoder mean). One row per dimension, one column per
 * value; decoding the rows shows what each dimension controls.
 */

/** `steps` evenly spaced values from lo to hi, both included. */
export function linspace(lo: number, hi: number, steps: number): number[] {
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`linspace: steps must be an integer ≥ 1, got ${steps}`);
  return Array.from({ length: steps }, (_, i) => (steps === 1 ? lo : lo + ((hi - lo) * i) / (steps - 1)));
}

/**
 * Latent points of a traversal: for each dimension in `dims` (a row) and each value in `values`
 * (a column), a copy of `base` with that dimension set to the value. dims.length·values.length·D values.
 */
export function traverseLatent(base: Float32Array, dims: readonly number[], values: readonly number[]): Float32Array {
  const d = base.length;
  for (const dim of dims) {
    if (!(Number.isInteger(dim) && dim >= 0 && dim < d)) throw new Error(`traverseLatent: dimension ${dim} is outside 0..${d - 1}`);
  }
  const out = new Float32Array(dims.length * values.length * d);
  let row = 0;
  for (const dim of dims) {
    for (const v of values) {
      out.set(base, row * d);
      out[row * d + dim] = v;
      row++;
    }
  }
  return out;
}
