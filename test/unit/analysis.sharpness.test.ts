import { describe, expect, it } from 'vitest';
import { sharpness } from '../../src/analysis/sharpness.js';

describe('sharpness', () => {
  it('is 0 for a constant image; closed forms for a vertical edge and a checkerboard', () => {
    const h = 6;
    const w = 6;
    expect(sharpness(new Float32Array(h * w).fill(0.4), 1, [h, w, 1])).toEqual({ gradient: 0, laplacianVariance: 0 });
    // vertical edge between columns 2 and 3 (0 | 1): gx = 1 at j = 2 in each of the 5 gradient rows, of 5·5 pixels
    const edge = Float32Array.from({ length: h * w }, (_, p) => (p % w >= 3 ? 1 : 0));
    const e = sharpness(edge, 1, [h, w, 1]);
    expect(e.gradient).toBeCloseTo(5 / 25, 12);
    // interior Laplacian (4×4 pixels): +1 in column 2, −1 in column 3, 0 in columns 1 and 4 → mean 0, variance 8/16
    expect(e.laplacianVariance).toBeCloseTo(0.5, 12);
    // checkerboard of 0/1: every gradient is √2, every interior Laplacian is ±4 with mean 0 → variance 16
    const board = Float32Array.from({ length: h * w }, (_, p) => ((Math.floor(p / w) + (p % w)) % 2));
    const b = sharpness(board, 1, [h, w, 1]);
    expect(b.gradient).toBeCloseTo(Math.SQRT2, 12);
    expect(b.laplacianVariance).toBeCloseTo(16, 12);
  });

  it('uses luminance for RGB and averages over images', () => {
    const h = 4;
    const w = 4;
    const rgb = new Float32Array(2 * h * w * 3);
    // image 0: the red channel holds a checkerboard (luminance 0.299·board); image 1: flat
    for (let p = 0; p < h * w; p++) rgb[3 * p] = (Math.floor(p / w) + (p % w)) % 2;
    const s = sharpness(rgb, 2, [h, w, 3]);
    expect(s.gradient).toBeCloseTo((0.299 * Math.SQRT2) / 2, 6);
    expect(s.laplacianVariance).toBeCloseTo((16 * 0.299 ** 2) / 2, 6);
    expect(() => sharpness(new Float32Array(4), 1, [2, 2, 1])).toThrow(/at least 3×3/);
  });
});
