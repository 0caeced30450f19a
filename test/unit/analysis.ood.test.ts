import { describe, expect, it } from 'vitest';
import { complexityScore, likelihoodRatioScore, oodAuroc } from '../../src/analysis/ood.js';
import { auroc } from '../../src/analysis/auroc.js';
import sharp from 'sharp';
import { WEBP_OPTIONS, compressedBits, pngBits, webpBits } from '../../src/data/compressedLength.js';
import { corrupt, formatCorruption, parseCorruption } from '../../src/math/corrupt.js';
import { Rng } from '../../src/math/rng.js';

describe('out-of-distribution scores', () => {
  it('complexity = -log2 p(x) - L(x) in bits, from nats', () => {
    const s = complexityScore([100 * Math.LN2, 0, 10], [40, 8, 0]);
    expect(s[0]).toBeCloseTo(60, 4);
    expect(s[1]).toBeCloseTo(-8, 6);
    expect(s[2]).toBeCloseTo(10 / Math.LN2, 4);
    expect(() => complexityScore([1, 2], [1])).toThrow(/2 likelihoods but 1 lengths/);
  });

  it('likelihood ratio = model -log p(x) minus background -log p(x)', () => {
    expect(Array.from(likelihoodRatioScore([5, 7.5], [2, 10]))).toEqual([3, -2.5]);
    expect(() => likelihoodRatioScore([1], [])).toThrow(/background/);
  });

  it('oodAuroc: the out-of-distribution inputs are the positives', () => {
    expect(oodAuroc([1, 2, 3], [4, 5])).toBe(1);
    expect(oodAuroc([4, 5], [1, 2, 3])).toBe(0);
    const inS = [0.3, 0.9, 0.1, 0.5];
    const outS = [0.4, 0.8];
    expect(oodAuroc(inS, outS)).toBe(auroc([...inS, ...outS], [false, false, false, false, true, true]));
    // by hand: pairs (out > in): 0.4 beats 0.3, 0.1 (2); 0.8 beats 0.3, 0.1, 0.5 (3) -> 5 / 8
    expect(oodAuroc(inS, outS)).toBe(5 / 8);
  });

  it('pngBits: lossless PNG sizes in bits; a blank image is shorter than strokes, strokes shorter than noise', async () => {
    const [h, w] = [28, 28];
    const blank = new Float32Array(h * w);
    const strokes = new Float32Array(h * w);
    for (let y = 6; y < 22; y++) { strokes[y * w + 10] = 1; strokes[y * w + 11] = 1; strokes[y * w + 17] = 0.5; }
    const rng = new Rng(4);
    const noise = Float32Array.from({ length: h * w }, () => rng.uniform());
    const images = new Float32Array(3 * h * w);
    images.set(blank, 0);
    images.set(strokes, h * w);
    images.set(noise, 2 * h * w);
    const bits = await pngBits(images, 3, [h, w, 1]);
    for (const b of bits) expect(b % 8).toBe(0);
    expect(bits[0]).toBeLessThan(bits[1]);
    expect(bits[1]).toBeLessThan(bits[2]);
    // noise cannot be compressed below its entropy: 784 uniform bytes ≈ 784·8 bits, plus the container
    expect(bits[2]).toBeGreaterThan(784 * 8);
    // the blank image: at least the PNG signature, IHDR, one IDAT and IEND (8 + 25 + 12 + 12 bytes)
    expect(bits[0]).toBeGreaterThanOrEqual((8 + 25 + 12 + 12) * 8);
    // an RGB image works and costs more than its gray version
    const rgb = new Float32Array(h * w * 3);
    for (let i = 0; i < h * w; i++) { rgb[3 * i] = strokes[i]; rgb[3 * i + 1] = noise[i]; }
    const [rgbBits] = await pngBits(rgb, 1, [h, w, 3]);
    expect(rgbBits).toBeGreaterThan(bits[2]);
    await expect(pngBits(new Float32Array(8), 1, [2, 2, 2])).rejects.toThrow(/1 or 3 channels/);
  });

  it('webpBits: lossless WebP round-trips the 8-bit image exactly; blank < strokes < noise; shorter than PNG here', async () => {
    const [h, w] = [28, 28];
    const rng = new Rng(7);
    const strokes = new Float32Array(h * w);
    for (let y = 5; y < 23; y++) { strokes[y * w + 9] = 1; strokes[y * w + 10] = 0.6; strokes[y * w + (y % 20) + 4] = 1; }
    const noise = Float32Array.from({ length: h * w }, () => rng.uniform());
    const images = new Float32Array(3 * h * w);
    images.set(strokes, h * w);
    images.set(noise, 2 * h * w);
    const bits = await webpBits(images, 3, [h, w, 1]);
    for (const b of bits) expect(b % 8).toBe(0);
    expect(bits[0]).toBeLessThan(bits[1]);
    expect(bits[1]).toBeLessThan(bits[2]);
    expect(bits[2]).toBeGreaterThan(784 * 8); // no code beats the entropy of 784 uniform bytes
    // the same quantisation and encoder decode back to the same bytes (gray: WebP stores three equal channels)
    for (const [img, c] of [[noise, 1], [Float32Array.from({ length: h * w * 3 }, () => rng.uniform()), 3]] as const) {
      const raw = Buffer.from(Array.from(img, (v) => Math.round(v * 255)));
      let s = sharp(raw, { raw: { width: w, height: h, channels: c } });
      if (c === 1) s = s.toColourspace('b-w');
      const webp = await s.webp(WEBP_OPTIONS).toBuffer();
      expect((await webpBits(img, 1, [h, w, c]))[0]).toBe(webp.length * 8);
      const back = await sharp(webp).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      expect([back.info.width, back.info.height]).toEqual([w, h]);
      const decoded = c === 1 ? Buffer.from(Array.from({ length: h * w }, (_, i) => back.data[i * back.info.channels])) : back.data;
      if (c === 1) for (let i = 0; i < h * w; i++) expect(back.data[i * 3 + 1]).toBe(back.data[i * 3]);
      expect(Buffer.compare(decoded, raw)).toBe(0);
    }
    // on these images WebP's code is shorter than PNG's, and compressedBits picks the named compressor
    const png = await pngBits(images, 3, [h, w, 1]);
    for (let i = 0; i < 3; i++) expect(bits[i]).toBeLessThan(png[i]);
    expect(Array.from(await compressedBits('webp', images, 3, [h, w, 1]))).toEqual(Array.from(bits));
    expect(Array.from(await compressedBits('png', images, 3, [h, w, 1]))).toEqual(Array.from(png));
    await expect(webpBits(new Float32Array(8), 1, [2, 2, 2])).rejects.toThrow(/1 or 3 channels/);
  });

  it('replace:μ perturbation (Ren et al. 2019): pixels replaced by U(0,1) with probability μ, seeded; parse and format', () => {
    expect(parseCorruption('replace:0.2')).toEqual({ kind: 'replace', p: 0.2 });
    expect(formatCorruption({ kind: 'replace', p: 0.2 })).toBe('replace:0.2');
    expect(() => parseCorruption('replace:0')).toThrow(/replace:P/);
    expect(() => parseCorruption('replace:1.5')).toThrow(/replace:P/);
    const pixels = 20000;
    const x = new Float32Array(pixels * 3).fill(2); // 2 is never a U(0,1) draw: replaced values are recognisable
    const a = corrupt(x, { kind: 'replace', p: 0.2 }, new Rng(9), 3);
    expect(Array.from(corrupt(x, { kind: 'replace', p: 0.2 }, new Rng(9), 3))).toEqual(Array.from(a));
    let replaced = 0;
    const values: number[] = [];
    for (let p = 0; p < pixels; p++) {
      const r = [0, 1, 2].map((c) => a[3 * p + c] !== 2);
      expect(r[0] === r[1] && r[1] === r[2]).toBe(true); // a pixel's channels are replaced together
      if (r[0]) { replaced++; values.push(a[3 * p], a[3 * p + 1], a[3 * p + 2]); }
    }
    expect(Math.abs(replaced / pixels - 0.2)).toBeLessThan(4 * Math.sqrt(0.16 / pixels));
    const m = values.reduce((s, v) => s + v, 0) / values.length;
    expect(Math.abs(m - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / values.length));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(x[0]).toBe(2);
  });
});
