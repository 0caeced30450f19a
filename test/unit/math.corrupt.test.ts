import { describe, expect, it } from 'vitest';
import { corrupt, formatCorruption, parseCorruption } from '../../src/math/corrupt.js';
import { Rng } from '../../src/math/rng.js';
import { mse, psnr } from '../../src/analysis/denoise.js';

const mean = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + v, 0) / a.length;

describe('corruptions', () => {
  it('parses and formats the CLI syntax, and rejects bad values', () => {
    expect(parseCorruption('gaussian:0.3')).toEqual({ kind: 'gaussian', sigma: 0.3 });
    expect(parseCorruption('mask:0.5')).toEqual({ kind: 'mask', p: 0.5 });
    expect(formatCorruption(parseCorruption('mask:0.25'))).toBe('mask:0.25');
    for (const bad of ['gaussian', 'gaussian:0', 'gaussian:-1', 'mask:1', 'mask:0', 'salt:0.1', 'mask:abc']) {
      expect(() => parseCorruption(bad), bad).toThrow(/gaussian:SIGMA/);
    }
  });

  it('gaussian noise is seeded, has mean 0 and standard deviation sigma away from the bounds, and is clipped to [0, 1]', () => {
    const n = 40000;
    const x = new Float32Array(n).fill(0.5);
    const a = corrupt(x, { kind: 'gaussian', sigma: 0.1 }, new Rng(1));
    expect(Array.from(corrupt(x, { kind: 'gaussian', sigma: 0.1 }, new Rng(1)))).toEqual(Array.from(a));
    expect(Array.from(corrupt(x, { kind: 'gaussian', sigma: 0.1 }, new Rng(2)))).not.toEqual(Array.from(a));
    expect(x[0]).toBe(0.5); // input untouched
    const d = Array.from(a, (v) => v - 0.5);
    const m = mean(d);
    const sd = Math.sqrt(mean(d.map((v) => (v - m) ** 2)));
    expect(Math.abs(m)).toBeLessThan(4 * (0.1 / Math.sqrt(n)));
    expect(Math.abs(sd - 0.1)).toBeLessThan(4 * (0.1 / Math.sqrt(2 * n)));
    // at 0 half of the noise is negative: clipped to exactly 0
    const zeros = corrupt(new Float32Array(n), { kind: 'gaussian', sigma: 0.3 }, new Rng(3));
    expect(Math.min(...zeros)).toBe(0);
    const fracZero = zeros.filter((v) => v === 0).length / n;
    expect(Math.abs(fracZero - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / n));
    const ones = corrupt(new Float32Array(n).fill(1), { kind: 'gaussian', sigma: 0.3 }, new Rng(3));
    expect(Math.max(...ones)).toBe(1);
  });

  it('masking zeroes whole pixels with probability p and keeps the others unchanged', () => {
    const pixels = 30000;
    const c = 3;
    const x = new Float32Array(pixels * c).map((_, i) => 0.1 + ((i * 7) % 9) / 10);
    const y = corrupt(x, { kind: 'mask', p: 0.3 }, new Rng(4), c);
    let dropped = 0;
    for (let p = 0; p < pixels; p++) {
      const px = Array.from(y.subarray(p * c, (p + 1) * c));
      if (px.every((v) => v === 0)) dropped++;
      else expect(px).toEqual(Array.from(x.subarray(p * c, (p + 1) * c)));
    }
    expect(Math.abs(dropped / pixels - 0.3)).toBeLessThan(4 * Math.sqrt((0.3 * 0.7) / pixels));
    expect(Array.from(corrupt(x, { kind: 'mask', p: 0.3 }, new Rng(4), c))).toEqual(Array.from(y));
  });
});

describe('PSNR', () => {
  it('is 10·log10(1/MSE): constant error 0.1 gives 20 dB, and matches the formula on random images', () => {
    expect(psnr(new Float32Array(50), new Float32Array(50).fill(0.1))).toBeCloseTo(20, 4);
    const rng = new Rng(5);
    const a = new Float32Array(784).map(() => rng.uniform());
    const b = new Float32Array(784).map(() => rng.uniform());
    let s = 0;
    for (let i = 0; i < 784; i++) s += (a[i] - b[i]) ** 2;
    expect(mse(a, b)).toBeCloseTo(s / 784, 10);
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(784 / s), 8);
    expect(psnr(a, b, 255)).toBeCloseTo(10 * Math.log10((255 * 255 * 784) / s), 8);
    expect(psnr(a, a)).toBe(Infinity);
    expect(() => mse(a, b.subarray(1))).toThrow();
  });
});
