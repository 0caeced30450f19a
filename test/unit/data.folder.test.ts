import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/dataset.js';
import { listPngFiles, loadImageFolder } from '../../src/data/folder.js';
import { decodePng, encodePng, readPng, writePngAtomic } from '../../src/data/png.js';
import { convertChannels, resizeImage } from '../../src/data/resize.js';

const root = mkdtempSync(join(tmpdir(), 'vae-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An h×w×c image filled by f(y, x, k). */
function image(h: number, w: number, c: number, f: (y: number, x: number, k: number) => number): Float32Array {
  const out = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = f(y, x, k);
  return out;
}

describe('png', () => {
  it('round-trips gray and RGB images at 8-bit precision', () => {
    const rgb = image(5, 7, 3, (y, x, k) => ((y * 7 + x) * 3 + k) / 104);
    const back = decodePng(encodePng(rgb, 7, 5, 3), 'rgb.png');
    expect([back.width, back.height, back.channels]).toEqual([7, 5, 3]);
    back.data.forEach((v, i) => expect(Math.abs(v - rgb[i])).toBeLessThanOrEqual(0.5 / 255 + 1e-7));
    const gray = image(3, 4, 1, (y, x) => (y * 4 + x) / 11);
    const g = decodePng(encodePng(gray, 4, 3, 1), 'gray.png');
    expect(g.channels).toBe(1);
    g.data.forEach((v, i) => expect(Math.abs(v - gray[i])).toBeLessThanOrEqual(0.5 / 255 + 1e-7));
  });

  it('clamps out-of-range values and checks the length', () => {
    const d = decodePng(encodePng(new Float32Array([-1, 2, NaN, 0.5]), 2, 2, 1), 'x.png').data;
    expect(Array.from(d)).toEqual([0, 1, 0, 128 / 255].map((v) => Math.fround(v)));
    expect(() => encodePng(new Float32Array(5), 2, 2, 1)).toThrow(RangeError);
  });

  it('writes atomically into new folders and reads back', () => {
    const path = join(root, 'out', 'deep', 'a.png');
    writePngAtomic(path, image(2, 3, 3, () => 0.2), 3, 2, 3);
    expect(readdirSync(join(root, 'out', 'deep'))).toEqual(['a.png']); // no temporary file left
    const r = readPng(path);
    expect([r.width, r.height, r.channels]).toEqual([3, 2, 3]);
    expect(r.data[0]).toBeCloseTo(51 / 255, 6);
  });

  it('names the file when it is missing or not a PNG', () => {
    expect(() => readPng(join(root, 'missing.png'))).toThrow(DataError);
    expect(() => readPng(join(root, 'missing.png'))).toThrow(`${join(root, 'missing.png')}: file not found`);
    const junk = join(root, 'junk.png');
    writeFileSync(junk, 'hello, not a png');
    expect(() => readPng(junk)).toThrow(`${junk}: not a valid PNG file`);
  });
});

describe('resize and channels', () => {
  it('averages blocks when shrinking by an integer factor', () => {
    const src = image(4, 4, 1, (y, x) => y * 4 + x);
    const out = resizeImage(src.map((v) => v / 15), 4, 4, 1, 2, 2);
    expect(Array.from(out).map((v) => v * 15)).toEqual([2.5, 4.5, 10.5, 12.5].map((v) => expect.closeTo(v, 5)));
  });

  it('averages the covered area for non-integer factors and keeps constants', () => {
    const out = resizeImage(image(3, 3, 1, (_y, x) => (x === 1 ? 1 : 0)), 3, 3, 1, 2, 2);
    // Output column 0 covers source [0, 1.5): 1 px of 0 and half a px of 1 → 1/3.
    Array.from(out).forEach((v) => expect(v).toBeCloseTo(1 / 3, 6));
    const constant = resizeImage(new Float32Array(7 * 5 * 3).fill(0.4), 7, 5, 3, 3, 11);
    constant.forEach((v) => expect(v).toBeCloseTo(0.4, 6));
  });

  it('interpolates linearly when growing and is the identity at the same size', () => {
    const src = new Float32Array([0, 1]);
    const out = resizeImage(src, 1, 2, 1, 1, 4);
    expect(Array.from(out)).toEqual([0, 0.25, 0.75, 1]);
    const same = image(3, 2, 3, (y, x, k) => (y + x + k) / 6);
    expect(Array.from(resizeImage(same, 3, 2, 3, 3, 2))).toEqual(Array.from(same));
  });

  it('converts RGB to gray by luma, gray to RGB, and composites alpha', () => {
    expect(convertChannels(new Float32Array([1, 0, 0]), 1, 3, 1)[0]).toBeCloseTo(0.299, 6);
    expect(Array.from(convertChannels(new Float32Array([0.25]), 1, 1, 3))).toEqual([0.25, 0.25, 0.25]);
    const rgba = new Float32Array([1, 0, 0, 0.5]);
    expect(Array.from(convertChannels(rgba, 1, 4, 3, 'white'))).toEqual([1, 0.5, 0.5]);
    expect(Array.from(convertChannels(rgba, 1, 4, 3, 'black'))).toEqual([0.5, 0, 0]);
    expect(Array.from(convertChannels(new Float32Array([0.2, 0]), 1, 2, 1, 'white'))).toEqual([1]);
  });
});

describe('loadImageFolder', () => {
  const dir = join(root, 'images');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  // Four PNGs of different sizes and channel counts, plus a file that is ignored.
  // a: 16×16 RGB, left half red, right half blue.
  writeFileSync(join(dir, 'a.png'), encodePng(image(16, 16, 3, (_y, x, k) => (x < 8 ? (k === 0 ? 1 : 0) : k === 2 ? 1 : 0)), 16, 16, 3));
  // b: 12×4 gray 0.6 (stretched to 8×8).
  writeFileSync(join(dir, 'b.png'), encodePng(new Float32Array(12 * 4).fill(0.6), 4, 12, 1));
  // c: 2×2 RGBA fully transparent black → white.
  writeFileSync(join(dir, 'c.png'), encodePng(new Float32Array(16).fill(0), 2, 2, 4));
  // d: 8×8 RGB, top half white, bottom black.
  writeFileSync(join(dir, 'd.png'), encodePng(image(8, 8, 3, (y) => (y < 4 ? 1 : 0)), 8, 8, 3));
  writeFileSync(join(dir, 'notes.txt'), 'not an image');
  writeFileSync(join(dir, 'sub', 'e.PNG'), encodePng(new Float32Array(4 * 4 * 3).fill(0.2), 4, 4, 3));

  it('lists PNG files in name order, sub-folders only when recursive', () => {
    expect(listPngFiles(dir)).toEqual(['a.png', 'b.png', 'c.png', 'd.png']);
    expect(listPngFiles(dir, true)).toEqual(['a.png', 'b.png', 'c.png', 'd.png', join('sub', 'e.PNG')]);
  });

  it('decodes, converts and resizes every image', () => {
    const d = loadImageFolder(dir, { height: 8, width: 8, channels: 3, validationFraction: 0 });
    expect(d.name).toBe(`folder:${resolve(dir)}`);
    expect([d.height, d.width, d.channels]).toEqual([8, 8, 3]);
    expect(d.train.count).toBe(4);
    expect(d.validation.count).toBe(0);
    expect(d.train.files).toEqual(['a.png', 'b.png', 'c.png', 'd.png']);
    const size = 8 * 8 * 3;
    const px = (n: number, y: number, x: number) => Array.from(d.train.images.subarray(n * size + (y * 8 + x) * 3, n * size + (y * 8 + x) * 3 + 3));
    expect(px(0, 3, 0)).toEqual([1, 0, 0]);
    expect(px(0, 3, 3)).toEqual([1, 0, 0]);
    expect(px(0, 3, 4)).toEqual([0, 0, 1]);
    expect(px(0, 7, 7)).toEqual([0, 0, 1]);
    for (const v of px(1, 5, 5)) expect(v).toBeCloseTo(153 / 255, 5);
    expect(px(2, 0, 0)).toEqual([1, 1, 1]);
    expect(px(3, 3, 2)).toEqual([1, 1, 1]);
    expect(px(3, 4, 2)).toEqual([0, 0, 0]);
  });

  it('converts to gray and shrinks with area averaging', () => {
    const d = loadImageFolder(dir, { height: 2, width: 2, channels: 1, validationFraction: 0 });
    expect(d.channels).toBe(1);
    expect(d.train.images.length).toBe(4 * 4);
    const a = Array.from(d.train.images.subarray(0, 4));
    expect(a[0]).toBeCloseTo(0.299, 5); // red
    expect(a[1]).toBeCloseTo(0.114, 5); // blue
    const dd = Array.from(d.train.images.subarray(12, 16));
    expect(dd).toEqual([1, 1, 0, 0]);
  });

  it('splits with the seed, reproducibly', () => {
    const a = loadImageFolder(dir, { height: 4, width: 4, validationFraction: 0.25, seed: 3, recursive: true });
    const b = loadImageFolder(dir, { height: 4, width: 4, validationFraction: 0.25, seed: 3, recursive: true });
    expect(a.train.count + a.validation.count).toBe(5);
    expect(a.validation.count).toBe(1);
    expect(a.validation.files).toEqual(b.validation.files);
    expect([...a.train.files!, ...a.validation.files!].sort()).toEqual(listPngFiles(dir, true));
    const seen = new Set<string>();
    for (let s = 0; s < 20; s++) seen.add(loadImageFolder(dir, { height: 2, width: 2, validationFraction: 0.25, seed: s }).validation.files![0]);
    expect(seen.size).toBeGreaterThan(1);
  });

  it('names the problem: missing folder, no PNGs, an invalid PNG, bad options', () => {
    expect(() => loadImageFolder(join(root, 'nope'))).toThrow(DataError);
    expect(() => loadImageFolder(join(root, 'nope'))).toThrow(`${join(root, 'nope')}: folder not found`);
    const empty = join(root, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'readme.txt'), 'hi');
    expect(() => loadImageFolder(empty)).toThrow(`${empty}: no .png files found`);
    const bad = join(root, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'good.png'), encodePng(new Float32Array(3), 1, 1, 3));
    writeFileSync(join(bad, 'broken.png'), Buffer.from('GIF89a definitely not a png'));
    expect(() => loadImageFolder(bad)).toThrow(DataError);
    expect(() => loadImageFolder(bad)).toThrow(`${join(bad, 'broken.png')}: not a valid PNG file`);
    expect(() => loadImageFolder(dir, { validationFraction: 1 })).toThrow(DataError);
    expect(() => loadImageFolder(dir, { height: 0 })).toThrow(DataError);
    expect(() => loadImageFolder(join(dir, 'a.png'))).toThrow('not a folder');
    expect(existsSync(dir)).toBe(true);
  });
});
