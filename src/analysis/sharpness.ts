/**
 * Sharpness of images (e.g. decoded samples, to compare likelihoods: a Gaussian with a large fixed
 * variance gives blurry means). Per image on its luminance Y (0.299 R + 0.587 G + 0.114 B, or the
 * gray channel), averaged over the images:
 *
 * - gradient: the mean over pixels of √(gx² + gy²), forward differences gx = Y[i, j+1] − Y[i, j],
 *   gy = Y[i+1, j] − Y[i, j] (pixels with both neighbours);
 * - laplacianVariance: the variance over interior pixels of the 4-neighbour Laplacian
 *   Y[i−1, j] + Y[i+1, j] + Y[i, j−1] + Y[i, j+1] − 4·Y[i, j] (the usual focus measure).
 *
 * Values are in intensity units of [0, 1] images; higher is sharper.
 */
export interface Sharpness {
  gradient: number;
  laplacianVariance: number;
}

/** Sharpness of n HWC images. */
export function sharpness(images: Float32Array, n: number, shape: [number, number, number]): Sharpness {
  const [h, w, c] = shape;
  if (h < 3 || w < 3) throw new Error(`sharpness: images must be at least 3×3, got ${h}×${w}`);
  const size = h * w * c;
  const y = new Float64Array(h * w);
  let gradient = 0;
  let laplacianVariance = 0;
  for (let k = 0; k < n; k++) {
    const base = k * size;
    for (let p = 0; p < h * w; p++) {
      y[p] = c === 3 ? 0.299 * images[base + 3 * p] + 0.587 * images[base + 3 * p + 1] + 0.114 * images[base + 3 * p + 2] : images[base + p * c];
    }
    let g = 0;
    for (let i = 0; i < h - 1; i++) {
      for (let j = 0; j < w - 1; j++) {
        const gx = y[i * w + j + 1] - y[i * w + j];
        const gy = y[(i + 1) * w + j] - y[i * w + j];
        g += Math.sqrt(gx * gx + gy * gy);
      }
    }
    gradient += g / ((h - 1) * (w - 1));
    let s = 0;
    let s2 = 0;
    const m = (h - 2) * (w - 2);
    for (let i = 1; i < h - 1; i++) {
      for (let j = 1; j < w - 1; j++) {
        const l = y[(i - 1) * w + j] + y[(i + 1) * w + j] + y[i * w + j - 1] + y[i * w + j + 1] - 4 * y[i * w + j];
        s += l;
        s2 += l * l;
      }
    }
    laplacianVariance += s2 / m - (s / m) ** 2;
  }
  return { gradient: gradient / n, laplacianVariance: laplacianVariance / n };
}
