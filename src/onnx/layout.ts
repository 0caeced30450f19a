/**
 * Image layouts between our NHWC arrays and ONNX graphs that take NCHW (PyTorch's layout).
 * Browser-safe: the explorer's ONNX model (web/onnxModel.ts) uses it too.
 */

/** Images NHWC -> NCHW (`toNchw`), or NCHW -> NHWC; `n` images of [h, w, c]. */
export function transposeImages(x: Float32Array, n: number, [h, w, c]: readonly [number, number, number], toNchw: boolean): Float32Array {
  const out = new Float32Array(x.length);
  const hw = h * w;
  for (let b = 0; b < n; b++) {
    const o = b * hw * c;
    for (let p = 0; p < hw; p++) {
      for (let k = 0; k < c; k++) {
        if (toNchw) out[o + k * hw + p] = x[o + p * c + k];
        else out[o + p * c + k] = x[o + k * hw + p];
      }
    }
  }
  return out;
}

/** In place: v -> 1 / (1 + exp(-v)) (Bernoulli logits to pixel probabilities). */
export function sigmoidInPlace(v: Float32Array): Float32Array {
  for (let i = 0; i < v.length; i++) v[i] = 1 / (1 + Math.exp(-v[i]));
  return v;
}
