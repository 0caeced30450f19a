import { describe, expect, it } from 'vitest';
import { tileImages } from '../../src/data/imageGrid.js';

describe('tileImages', () => {
  it('computes the grid size with padding between and around images', () => {
    // 5 gray images of 2×3, 3 columns, pad 1, scale 2 → 2 rows.
    const imgs = new Float32Array(5 * 6).map((_, i) => Math.floor(i / 6) / 10);
    const t = tileImages(imgs, 5, 2, 3, 1, { cols: 3, pad: 1, scale: 2 });
    expect(t.channels).toBe(1);
    expect(t.width).toBe(3 * 6 + 4);
    expect(t.height).toBe(2 * 4 + 3);
    expect(t.data.length).toBe(t.width * t.height);
    const at = (x: number, y: number) => t.data[y * t.width + x];
    expect(at(0, 0)).toBe(1); // border is background
    expect(at(1, 1)).toBe(0); // image 0 starts at (pad, pad)
    expect(at(6, 4)).toBe(0); // its scaled bottom-right pixel
    expect(at(7, 1)).toBe(1); // gap between images
    expect(at(8, 1)).toBeCloseTo(0.1, 6); // image 1
    expect(at(15, 1)).toBeCloseTo(0.2, 6); // image 2
    expect(at(1, 6)).toBeCloseTo(0.3, 6); // image 3, second row
    expect(at(8, 6)).toBeCloseTo(0.4, 6); // image 4
    expect(at(15, 6)).toBe(1); // empty last cell
  });

  it('upscales by nearest neighbour and keeps RGB', () => {
    // One 2×2 RGB image with distinct pixels.
    const img = new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0, 0, 0]);
    const t = tileImages(img, 1, 2, 2, 3, { pad: 0, scale: 3, background: 0 });
    expect([t.width, t.height, t.channels]).toEqual([6, 6, 3]);
    const px = (x: number, y: number) => Array.from(t.data.subarray((y * 6 + x) * 3, (y * 6 + x) * 3 + 3));
    expect(px(2, 2)).toEqual(Array.from(img.subarray(0, 3)));
    expect(px(3, 0)).toEqual(Array.from(img.subarray(3, 6)));
    expect(px(0, 5)).toEqual(Array.from(img.subarray(6, 9)));
    expect(px(5, 5)).toEqual([0, 0, 0]);
  });

  it('defaults to a square-ish grid and checks its input', () => {
    const t = tileImages(new Float32Array(10 * 4), 10, 2, 2, 1);
    // ceil(sqrt(10)) = 4 columns, 3 rows, pad 2.
    expect(t.width).toBe(4 * 2 + 5 * 2);
    expect(t.height).toBe(3 * 2 + 4 * 2);
    expect(() => tileImages(new Float32Array(3), 1, 2, 2, 1)).toThrow(RangeError);
    expect(() => tileImages(new Float32Array(4), 1, 2, 2, 1, { scale: 0 })).toThrow(RangeError);
  });
});
