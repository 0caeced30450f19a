import { describe, expect, it } from 'vitest';
import {
  FACES,
  generateFaces,
  hsvToRgb,
  isValidationParams,
  parameterGrid,
  renderFace,
  renderParams,
} from '../../src/data/faces.js';

const H = 32, W = 32;

function pixel(img: Float32Array, x: number, y: number): [number, number, number] {
  const o = (y * W + x) * 3;
  return [img[o], img[o + 1], img[o + 2]];
}

/** Rows (or columns) containing at least one pixel that differs from the background colour. */
function faceExtent(img: Float32Array, hue: number, axis: 'rows' | 'cols'): number {
  const bg = hsvToRgb(hue, 0.8, 0.8);
  let n = 0;
  for (let a = 0; a < 32; a++) {
    let hit = false;
    for (let b = 0; b < 32 && !hit; b++) {
      const [r, g, bl] = axis === 'rows' ? pixel(img, b, a) : pixel(img, a, b);
      hit = Math.abs(r - bg[0]) + Math.abs(g - bg[1]) + Math.abs(bl - bg[2]) > 0.03;
    }
    if (hit) n++;
  }
  return n;
}

describe('hsvToRgb', () => {
  it('converts the primary and secondary hues', () => {
    const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 10));
    close(hsvToRgb(0, 1, 1), [1, 0, 0]);
    close(hsvToRgb(1 / 3, 1, 1), [0, 1, 0]);
    close(hsvToRgb(2 / 3, 1, 1), [0, 0, 1]);
    close(hsvToRgb(1 / 6, 1, 1), [1, 1, 0]);
    close(hsvToRgb(0.5, 0.8, 0.8), [0.16, 0.8, 0.8]);
    close(hsvToRgb(1.25, 0.5, 1), hsvToRgb(0.25, 0.5, 1)); // hue wraps
    close(hsvToRgb(0.3, 0, 0.4), [0.4, 0.4, 0.4]);
  });
});

describe('renderFace', () => {
  it('renders 32×32×3 values in [0, 1]', () => {
    const img = renderFace(1.0, 0.5);
    expect(img.length).toBe(H * W * 3);
    for (const v of img) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  });

  it('paints the background HSV(hue, 0.8, 0.8) around a small face', () => {
    for (const hue of [0.3, 0.55, 0.8]) {
      const img = renderFace(0.5, hue);
      const bg = hsvToRgb(hue, 0.8, 0.8);
      for (const [x, y] of [[0, 0], [31, 0], [0, 31], [31, 31], [2, 16]]) {
        const p = pixel(img, x, y);
        for (let k = 0; k < 3; k++) expect(p[k]).toBeCloseTo(bg[k], 6);
      }
    }
  });

  it('is 32 px tall at size 1.0 and scales with size', () => {
    expect(faceExtent(renderFace(1.0, 0.5), 0.5, 'rows')).toBe(32);
    const half = faceExtent(renderFace(0.5, 0.5), 0.5, 'rows');
    expect(half).toBeGreaterThanOrEqual(15);
    expect(half).toBeLessThanOrEqual(17);
    const small = faceExtent(renderFace(0.4, 0.5), 0.5, 'rows');
    expect(small).toBeGreaterThanOrEqual(12);
    expect(small).toBeLessThanOrEqual(14);
    // Narrower than tall: hair included, the face is about 0.83 of its height wide.
    const cols = faceExtent(renderFace(0.5, 0.5), 0.5, 'cols');
    expect(cols).toBeGreaterThanOrEqual(12);
    expect(cols).toBeLessThan(half);
    // At 0.9 the face leaves background rows above and below; above 1.0 it is cropped.
    expect(faceExtent(renderFace(0.9, 0.5), 0.5, 'rows')).toBeLessThanOrEqual(30);
    expect(faceExtent(renderFace(1.4, 0.5), 0.5, 'rows')).toBe(32);
  });

  it('draws skin, hair, dark pupils and a red mouth where a face has them', () => {
    const img = renderFace(1.0, 0.6);
    let skin = 0, hair = 0, red = 0, dark = 0, white = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const [r, g, b] = pixel(img, x, y);
        if (r > 0.9 && g > 0.7 && g < 0.9 && b > 0.55 && b < 0.75) skin++;
        if (r < 0.45 && g < 0.3 && b < 0.15 && y < 12) hair++; // hair is at the top
        if (r > 0.6 && g < 0.25 && b < 0.3 && y > 18) red++; // mouth in the lower half
        if (r + g + b < 0.6 && y > 10 && y < 20) dark++; // pupils at eye height
        if (r > 0.9 && g > 0.9 && b > 0.9 && y > 10 && y < 20) white++; // eye whites
      }
    }
    expect(skin).toBeGreaterThan(150);
    expect(hair).toBeGreaterThan(60);
    expect(red).toBeGreaterThan(5);
    expect(dark).toBeGreaterThanOrEqual(4);
    expect(white).toBeGreaterThanOrEqual(2);
    // Two eyes: dark pixels on both sides of the vertical centre line.
    let left = 0, right = 0;
    for (let y = 10; y < 20; y++) {
      for (let x = 0; x < W; x++) {
        const [r, g, b] = pixel(img, x, y);
        if (r + g + b < 0.6) {
          if (x < 16) left++;
          else right++;
        }
      }
    }
    expect(left).toBeGreaterThan(0);
    expect(right).toBeGreaterThan(0);
  });

  it('anti-aliases edges (intermediate values) and respects supersample = 1', () => {
    const img = renderFace(0.8, 0.5);
    const bg = hsvToRgb(0.5, 0.8, 0.8);
    const skinR = 0.99;
    let mixed = 0;
    for (let i = 0; i < img.length; i += 3) if (img[i] > bg[0] + 0.05 && img[i] < skinR - 0.05 && img[i] > 0.4) mixed++;
    expect(mixed).toBeGreaterThan(10);
    const hard = renderFace(0.8, 0.5, undefined, { supersample: 1 });
    expect(hard).not.toEqual(img);
  });

  it('writes into `out` and supports other image sizes', () => {
    const out = new Float32Array(W * H * 3 + 5);
    const r = renderFace(0.7, 0.4, out);
    expect(r).toBe(out);
    expect(Array.from(out.subarray(0, W * H * 3))).toEqual(Array.from(renderFace(0.7, 0.4)));
    expect(renderFace(1, 0.4, undefined, { width: 48, height: 64 }).length).toBe(48 * 64 * 3);
    expect(() => renderFace(1, 0.4, new Float32Array(10))).toThrow(RangeError);
  });
});

describe('parameterGrid and renderParams', () => {
  it('lays out hue along rows and size along columns, edges included', () => {
    const g = parameterGrid(10);
    expect(g.length).toBe(200);
    expect(g[0]).toBeCloseTo(0.4, 6);
    expect(g[1]).toBeCloseTo(0.3, 6);
    expect(g[2 * 9]).toBeCloseTo(1.4, 6); // last column of row 0: largest size
    expect(g[2 * 9 + 1]).toBeCloseTo(0.3, 6);
    expect(g[2 * 90]).toBeCloseTo(0.4, 6); // first column of the last row: highest hue
    expect(g[2 * 90 + 1]).toBeCloseTo(0.8, 6);
    expect(g[2 * 11]).toBeCloseTo(0.4 + 1 / 9, 6);
    expect(g[2 * 11 + 1]).toBeCloseTo(0.3 + 0.5 / 9, 6);
    const c = parameterGrid(1, { size: [0, 2], hue: [0, 1] });
    expect(Array.from(c)).toEqual([1, 0.5]);
  });

  it('renders every pair like renderFace does', () => {
    const p = parameterGrid(3);
    const imgs = renderParams(p);
    expect(imgs.length).toBe(9 * H * W * 3);
    const size = H * W * 3;
    for (const k of [0, 4, 8]) {
      expect(Array.from(imgs.subarray(k * size, (k + 1) * size))).toEqual(Array.from(renderFace(p[2 * k], p[2 * k + 1])));
    }
  });
});

describe('generateFaces', () => {
  const d = generateFaces();

  it('has 2000 images of 32×32×3 in [0, 1] named faces', () => {
    expect(d.name).toBe('faces');
    expect([d.height, d.width, d.channels]).toEqual([32, 32, 3]);
    expect(d.train.count + d.validation.count).toBe(FACES.count);
    expect(d.train.images.length).toBe(d.train.count * 32 * 32 * 3);
    expect(d.validation.images.length).toBe(d.validation.count * 32 * 32 * 3);
    expect(d.train.params!.length).toBe(d.train.count * 2);
    let lo = Infinity, hi = -Infinity;
    for (const v of d.train.images) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(1);
  });

  it('splits by the validation rectangle (about 82% / 18%)', () => {
    // 18% of 2000 = 360 expected; seed 0 gives 1628 / 372.
    expect(d.validation.count).toBeGreaterThan(300);
    expect(d.validation.count).toBeLessThan(420);
    const p = d.validation.params!;
    for (let i = 0; i < d.validation.count; i++) {
      const s = p[2 * i], h = p[2 * i + 1];
      expect(s >= 0.6 && s <= 0.9 && h >= 0.4 && h <= 0.7).toBe(true);
    }
    const t = d.train.params!;
    for (let i = 0; i < d.train.count; i++) {
      const s = t[2 * i], h = t[2 * i + 1];
      expect(s).toBeGreaterThanOrEqual(0.4);
      expect(s).toBeLessThan(1.4);
      expect(h).toBeGreaterThanOrEqual(0.3);
      expect(h).toBeLessThan(0.8);
      expect(isValidationParams(s, h)).toBe(false);
    }
  });

  it('renders each image from its params', () => {
    const size = 32 * 32 * 3;
    for (const i of [0, 17, d.train.count - 1]) {
      const img = d.train.images.subarray(i * size, (i + 1) * size);
      expect(Array.from(img)).toEqual(Array.from(renderFace(d.train.params![2 * i], d.train.params![2 * i + 1])));
    }
  });

  it('is reproducible for a seed and differs between seeds', () => {
    const a = generateFaces({ seed: 7, count: 40 });
    const b = generateFaces({ seed: 7, count: 40 });
    const c = generateFaces({ seed: 8, count: 40 });
    expect(a.train.count + a.validation.count).toBe(40);
    expect(Array.from(a.train.params!)).toEqual(Array.from(b.train.params!));
    expect(Array.from(a.train.images)).toEqual(Array.from(b.train.images));
    expect(Array.from(a.train.params!)).not.toEqual(Array.from(c.train.params!));
  });

  it('classifies the validation rectangle edges as validation', () => {
    expect(isValidationParams(0.6, 0.4)).toBe(true);
    expect(isValidationParams(0.9, 0.7)).toBe(true);
    expect(isValidationParams(0.75, 0.55)).toBe(true);
    expect(isValidationParams(0.59, 0.55)).toBe(false);
    expect(isValidationParams(0.75, 0.71)).toBe(false);
    expect(isValidationParams(1.2, 0.35)).toBe(false);
  });
});
