/**
 * Channel conversion and resizing of single HWC images in [0, 1]. Browser-safe.
 */

/** Background for dropping an alpha channel: the image is composited over black (0) or white (1). */
export type AlphaBackground = 'black' | 'white';

/**
 * Converts an HWC image with 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA) channels to 1 or 3.
 * Alpha is dropped by compositing over `background` (v·a + bg·(1 − a)); RGB becomes gray by the
 * Rec. 601 luma 0.299 R + 0.587 G + 0.114 B; gray becomes RGB by copying it to all three.
 */
export function convertChannels(
  src: Float32Array,
  pixels: number,
  from: number,
  to: 1 | 3,
  background: AlphaBackground = 'white',
): Float32Array {
  if (from < 1 || from > 4 || !Number.isInteger(from)) throw new RangeError(`convertChannels: cannot convert from ${from} channels`);
  if (src.length !== pixels * from) throw new RangeError(`convertChannels: ${pixels} pixels × ${from} channels need ${pixels * from} values, got ${src.length}`);
  if (from === to) return src.slice();
  const bg = background === 'white' ? 1 : 0;
  const hasAlpha = from === 2 || from === 4;
  const colour = from >= 3;
  const out = new Float32Array(pixels * to);
  for (let p = 0; p < pixels; p++) {
    const s = p * from;
    let r: number, g: number, b: number;
    if (colour) {
      r = src[s];
      g = src[s + 1];
      b = src[s + 2];
    } else {
      r = g = b = src[s];
    }
    if (hasAlpha) {
      const a = src[s + from - 1];
      r = r * a + bg * (1 - a);
      g = g * a + bg * (1 - a);
      b = b * a + bg * (1 - a);
    }
    if (to === 1) {
      out[p] = colour ? 0.299 * r + 0.587 * g + 0.114 * b : r;
    } else {
      out[3 * p] = r;
      out[3 * p + 1] = g;
      out[3 * p + 2] = b;
    }
  }
  return out;
}

/** Per output index: the source indices and weights (summing to 1) along one axis. */
interface AxisWeights {
  index: Int32Array[];
  weight: Float32Array[];
}

/**
 * Weights to resample an axis of `n` pixels to `m`. Shrinking averages the source area each
 * output pixel covers (a box filter with fractional edges: exact block means for integer
 * factors, no aliasing); growing (or keeping the size) interpolates linearly between pixel
 * centres, with edges clamped.
 */
function axisWeights(n: number, m: number): AxisWeights {
  const index: Int32Array[] = [];
  const weight: Float32Array[] = [];
  if (m < n) {
    const r = n / m;
    for (let j = 0; j < m; j++) {
      const lo = j * r, hi = (j + 1) * r;
      const first = Math.floor(lo), last = Math.min(Math.ceil(hi), n) - 1;
      const idx: number[] = [], w: number[] = [];
      for (let i = first; i <= last; i++) {
        const overlap = Math.min(i + 1, hi) - Math.max(i, lo);
        if (overlap > 0) {
          idx.push(i);
          w.push(overlap / r);
        }
      }
      index.push(Int32Array.from(idx));
      weight.push(Float32Array.from(w));
    }
  } else {
    for (let j = 0; j < m; j++) {
      const s = Math.min(Math.max(((j + 0.5) * n) / m - 0.5, 0), n - 1);
      const i0 = Math.floor(s);
      const i1 = Math.min(i0 + 1, n - 1);
      const f = s - i0;
      index.push(Int32Array.from(f > 0 && i1 !== i0 ? [i0, i1] : [i0]));
      weight.push(Float32Array.from(f > 0 && i1 !== i0 ? [1 - f, f] : [1]));
    }
  }
  return { index, weight };
}

/**
 * Resizes an HWC image from srcH × srcW to dstH × dstW (aspect ratio not kept: the image is
 * stretched). Area averaging when shrinking, bilinear when growing; separable (rows, then columns).
 */
export function resizeImage(src: Float32Array, srcH: number, srcW: number, channels: number, dstH: number, dstW: number): Float32Array {
  if (src.length !== srcH * srcW * channels) {
    throw new RangeError(`resizeImage: ${srcH}×${srcW}×${channels} needs ${srcH * srcW * channels} values, got ${src.length}`);
  }
  if (srcH === dstH && srcW === dstW) return src.slice();
  const c = channels;
  // Horizontal pass: srcH × dstW.
  const wx = axisWeights(srcW, dstW);
  const mid = new Float32Array(srcH * dstW * c);
  for (let y = 0; y < srcH; y++) {
    for (let x = 0; x < dstW; x++) {
      const idx = wx.index[x], w = wx.weight[x];
      const o = (y * dstW + x) * c;
      for (let k = 0; k < c; k++) {
        let acc = 0;
        for (let t = 0; t < idx.length; t++) acc += w[t] * src[(y * srcW + idx[t]) * c + k];
        mid[o + k] = acc;
      }
    }
  }
  // Vertical pass: dstH × dstW.
  const wy = axisWeights(srcH, dstH);
  const out = new Float32Array(dstH * dstW * c);
  const row = dstW * c;
  for (let y = 0; y < dstH; y++) {
    const idx = wy.index[y], w = wy.weight[y];
    for (let t = 0; t < idx.length; t++) {
      const wt = w[t], base = idx[t] * row;
      for (let i = 0; i < row; i++) out[y * row + i] += wt * mid[base + i];
    }
  }
  // Float rounding may step a hair outside [0, 1].
  for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, out[i]));
  return out;
}
