import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/dataset.js';
import { listImageFolder, loadImageFolder } from '../../src/data/folder.js';
import { decodeImage, readImageFile } from '../../src/data/image.js';
import { encodePng, writePngAtomic } from '../../src/data/png.js';
import { UserError } from '../../src/errors.js';

const root = mkdtempSync(join(tmpdir(), 'vae-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An h×w×c image filled by f(y, x, k). */
function image(h: number, w: number, c: number, f: (y: number, x: number, k: number) => number): Float32Array {
  const out = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = f(y, x, k);
  return out;
}

/** 8-bit raw pixels of an h×w×c image filled by f (0..255). */
function raw(h: number, w: number, c: number, f: (y: number, x: number, k: number) => number): Buffer {
  return Buffer.from(image(h, w, c, f).map((v) => Math.round(v)));
}
const fromRaw = (buf: Buffer, h: number, w: number, c: 1 | 2 | 3 | 4) => sharp(buf, { raw: { width: w, height: h, channels: c } });

const at = (data: Float32Array, w: number, c: number, y: number, x: number): number[] => Array.from(data.subarray((y * w + x) * c, (y * w + x) * c + c));
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('png writing (pngjs) read back by sharp', () => {
  it('round-trips gray and RGB images exactly at 8 bits, and clamps out-of-range values', async () => {
    const rgb = image(5, 7, 3, (y, x, k) => ((y * 7 + x) * 3 + k) / 104);
    const back = await decodeImage(encodePng(rgb, 7, 5, 3), 'rgb.png', { height: 5, width: 7, channels: 3, fit: 'fill' });
    expect(back.format).toBe('png');
    expect(maxDiff(back.data, rgb)).toBeLessThanOrEqual(0.5 / 255 + 1e-7);
    const gray = image(3, 4, 1, (y, x) => (y * 4 + x) / 11);
    const g = await decodeImage(encodePng(gray, 4, 3, 1), 'gray.png', { height: 3, width: 4, channels: 1, fit: 'fill' });
    expect(maxDiff(g.data, gray)).toBeLessThanOrEqual(0.5 / 255 + 1e-7);
    const c = await decodeImage(encodePng(new Float32Array([-1, 2, NaN, 0.5]), 2, 2, 1), 'x.png', { height: 2, width: 2, channels: 1, fit: 'fill' });
    expect(Array.from(c.data)).toEqual([0, 1, 0, 128 / 255].map((v) => Math.fround(v)));
    expect(() => encodePng(new Float32Array(5), 2, 2, 1)).toThrow(RangeError);
  });

  it('writes atomically into new folders', async () => {
    const path = join(root, 'out', 'deep', 'a.png');
    writePngAtomic(path, image(2, 3, 3, () => 0.2), 3, 2, 3);
    expect(readdirSync(join(root, 'out', 'deep'))).toEqual(['a.png']); // no temporary file left
    const r = await readImageFile(path, { height: 2, width: 3, channels: 3, fit: 'fill' });
    expect(r.data[0]).toBeCloseTo(51 / 255, 6);
  });
});

describe('decodeImage: formats, fit, channels, alpha', () => {
  // 12×20 RGB: smooth, so lossy formats stay close
  const h = 12, w = 20;
  const px = raw(h, w, 3, (y, x, k) => (k === 0 ? x * 12 : k === 1 ? y * 20 : 128));
  const want = Float32Array.from(px, (v) => v / 255);

  it('reads PNG, WebP (lossless), GIF and TIFF exactly and JPEG closely, at their own size', async () => {
    const o = { height: h, width: w, channels: 3 as const, fit: 'fill' as const };
    const cases: [string, Buffer, number][] = [
      ['png', await fromRaw(px, h, w, 3).png().toBuffer(), 0],
      ['webp', await fromRaw(px, h, w, 3).webp({ lossless: true }).toBuffer(), 0],
      ['tiff', await fromRaw(px, h, w, 3).tiff({ compression: 'lzw' }).toBuffer(), 0],
      ['jpeg', await fromRaw(px, h, w, 3).jpeg({ quality: 95 }).toBuffer(), 12 / 255],
    ];
    for (const [format, bytes, tol] of cases) {
      const r = await decodeImage(bytes, `x.${format}`, o);
      expect(r.format, format).toBe(format);
      expect(maxDiff(r.data, want), format).toBeLessThanOrEqual(tol + 1e-6);
    }
    // GIF has a 256-colour palette: a two-colour image survives exactly
    const two = raw(h, w, 3, (_y, x) => (x < 10 ? 0 : 255));
    const gif = await decodeImage(await fromRaw(two, h, w, 3).gif().toBuffer(), 'x.gif', o);
    expect(gif.format).toBe('gif');
    expect(maxDiff(gif.data, Float32Array.from(two, (v) => v / 255))).toBe(0);
  });

  it('cover crops the centre, contain pads with white, fill stretches', async () => {
    // 16 wide × 8 tall: columns 0-3 black, 4-7 red, 8-11 blue, 12-15 black
    const colour = (x: number, k: number): number => (x >= 4 && x < 8 ? [255, 0, 0][k] : x >= 8 && x < 12 ? [0, 0, 255][k] : 0);
    const png = await fromRaw(raw(8, 16, 3, (_y, x, k) => colour(x, k)), 8, 16, 3).png().toBuffer();
    const cover = await decodeImage(png, 'wide.png', { height: 8, width: 8, channels: 3, fit: 'cover' });
    // the centre 8×8 (columns 4-11) at scale 1: red left half, blue right half
    expect(at(cover.data, 8, 3, 4, 1)).toEqual([1, 0, 0]);
    expect(at(cover.data, 8, 3, 4, 6)).toEqual([0, 0, 1]);
    const contain = await decodeImage(png, 'wide.png', { height: 8, width: 8, channels: 3, fit: 'contain' });
    // scaled to 8×4, centred: rows 0-1 and 6-7 are white padding
    expect(at(contain.data, 8, 3, 0, 4)).toEqual([1, 1, 1]);
    expect(at(contain.data, 8, 3, 7, 4)).toEqual([1, 1, 1]);
    expect(at(contain.data, 8, 3, 4, 0)[0]).toBeLessThan(0.1); // black border column
    const fill = await decodeImage(png, 'wide.png', { height: 8, width: 8, channels: 3, fit: 'fill' });
    // stretched 2:1 horizontally: output columns 0-1 black, 2-3 red, 4-5 blue, 6-7 black
    expect(at(fill.data, 8, 3, 4, 0)[0]).toBeLessThan(0.15);
    expect(at(fill.data, 8, 3, 4, 2)[0]).toBeGreaterThan(0.8);
    expect(at(fill.data, 8, 3, 4, 5)[2]).toBeGreaterThan(0.8);
  });

  it('shrinks with a filter: a fine checkerboard averages to mid-gray', async () => {
    const check = await fromRaw(raw(64, 64, 1, (y, x) => ((x + y) % 2 ? 255 : 0)), 64, 64, 1).png().toBuffer();
    const r = await decodeImage(check, 'check.png', { height: 8, width: 8, channels: 1 });
    for (const v of r.data) expect(Math.abs(v - 0.5)).toBeLessThan(0.03);
  });

  it('gray keeps gray values, RGB becomes gray, alpha is composited over white (or black)', async () => {
    const gray = await fromRaw(raw(4, 4, 1, () => 153), 4, 4, 1).png().toBuffer();
    const asGray = await decodeImage(gray, 'g.png', { height: 4, width: 4, channels: 1 });
    for (const v of asGray.data) expect(v).toBeCloseTo(153 / 255, 6);
    const asRgb = await decodeImage(gray, 'g.png', { height: 4, width: 4, channels: 3 });
    for (const v of asRgb.data) expect(v).toBeCloseTo(153 / 255, 6);
    // pure red and pure green to gray: luminance, green brighter than red, both strictly between 0 and 1
    const rg = await fromRaw(raw(2, 2, 3, (_y, x, k) => (k === x ? 255 : 0)), 2, 2, 3).png().toBuffer();
    const l = await decodeImage(rg, 'rg.png', { height: 2, width: 2, channels: 1, fit: 'fill' });
    expect(l.data[0]).toBeGreaterThan(0.1);
    expect(l.data[1]).toBeGreaterThan(l.data[0]);
    expect(l.data[1]).toBeLessThan(1);
    // half-transparent red
    const rgba = await fromRaw(raw(2, 2, 4, (_y, _x, k) => [255, 0, 0, 128][k]), 2, 2, 4).png().toBuffer();
    const white = await decodeImage(rgba, 'a.png', { height: 2, width: 2, channels: 3 });
    expect(maxDiff(white.data.subarray(0, 3), [1, 127 / 255, 127 / 255])).toBeLessThanOrEqual(1.5 / 255);
    const black = await decodeImage(rgba, 'a.png', { height: 2, width: 2, channels: 3, background: 'black' });
    expect(maxDiff(black.data.subarray(0, 3), [128 / 255, 0, 0])).toBeLessThanOrEqual(1.5 / 255);
  });

  it('reduces 16-bit PNGs to 8 bits', async () => {
    const px16 = new Uint16Array([0, 0x8080, 0xffff, 0x4040]);
    const png = await sharp(px16, { raw: { width: 2, height: 2, channels: 1 } }).toColourspace('grey16').png().toBuffer();
    expect((await sharp(png).metadata()).depth).toBe('ushort');
    const r = await decodeImage(png, '16.png', { height: 2, width: 2, channels: 1, fit: 'fill' });
    expect(Array.from(r.data).map((v) => Math.round(v * 255))).toEqual([0, 128, 255, 64]);
  });
});

describe('loadImageFolder', () => {
  const dir = join(root, 'images');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  mkdirSync(join(dir, '.hidden'), { recursive: true });
  // one class sub-folder ('sub'); the hidden folder is never a class
  writeFileSync(join(dir, 'a.png'), encodePng(image(16, 16, 3, (_y, x, k) => (x < 8 ? (k === 0 ? 1 : 0) : k === 2 ? 1 : 0)), 16, 16, 3));
  writeFileSync(join(dir, 'notes.txt'), 'not an image');
  writeFileSync(join(dir, '.DS_Store'), 'x');
  writeFileSync(join(dir, 'sub', 'e.PNG'), encodePng(new Float32Array(4 * 4 * 3).fill(0.2), 4, 4, 3));
  writeFileSync(join(dir, '.hidden', 'f.png'), encodePng(new Float32Array(4 * 4 * 3).fill(0.2), 4, 4, 3));

  const flat = join(root, 'flat');
  mkdirSync(flat);
  // a: 16×16 RGB, left half red, right half blue; b: 12×4 gray 0.6; c: transparent 2×2; d: top white, bottom black
  writeFileSync(join(flat, 'a.png'), encodePng(image(16, 16, 3, (_y, x, k) => (x < 8 ? (k === 0 ? 1 : 0) : k === 2 ? 1 : 0)), 16, 16, 3));
  writeFileSync(join(flat, 'b.png'), encodePng(new Float32Array(12 * 4).fill(0.6), 4, 12, 1));
  writeFileSync(join(flat, 'c.png'), encodePng(new Float32Array(16).fill(0), 2, 2, 4));
  writeFileSync(join(flat, 'd.png'), encodePng(image(8, 8, 3, (y) => (y < 4 ? 1 : 0)), 8, 8, 3));
  writeFileSync(join(flat, 'notes.txt'), 'not an image');

  it('decodes, converts and resizes every image of a flat folder; skips and counts other files', async () => {
    const d = await loadImageFolder(flat, { height: 8, width: 8, channels: 3, validationFraction: 0, fit: 'fill' });
    expect(d.name).toBe(`folder:${resolve(flat)}`);
    expect([d.height, d.width, d.channels]).toEqual([8, 8, 3]);
    expect(d.train.count).toBe(4);
    expect(d.validation.count).toBe(0);
    expect(d.train.files).toEqual(['a.png', 'b.png', 'c.png', 'd.png']);
    expect(d.train.labels).toBeUndefined();
    expect(d.classNames).toBeUndefined();
    expect(d.summary).toBe('4 images (png 4); skipped 1 files that are not images');
    const size = 8 * 8 * 3;
    const p = (n: number, y: number, x: number) => at(d.train.images.subarray(n * size), 8, 3, y, x);
    expect(p(0, 3, 0)).toEqual([1, 0, 0]);
    expect(p(0, 7, 7)).toEqual([0, 0, 1]);
    for (const v of p(1, 5, 5)) expect(v).toBeCloseTo(153 / 255, 5);
    expect(p(2, 0, 0)).toEqual([1, 1, 1]);
    expect(p(3, 1, 2)).toEqual([1, 1, 1]);
    expect(p(3, 6, 2)).toEqual([0, 0, 0]);
  });

  it('reads class sub-folders as labels (sorted names), skipping hidden folders and top-level images', async () => {
    const l = listImageFolder(dir);
    expect(l.classNames).toEqual(['sub']);
    expect(l.files).toEqual([join('sub', 'e.PNG')]);
    expect(l.skipped).toEqual({ notImages: 1, hidden: 2, topLevelImages: 1 });
    const labelled = join(root, 'labelled');
    for (const [cls, n] of [['dog', 3], ['cat', 2], ['Zebra', 1]] as const) {
      mkdirSync(join(labelled, cls, 'deeper'), { recursive: true });
      for (let i = 0; i < n; i++) {
        const v = cls === 'cat' ? 0.1 : cls === 'dog' ? 0.5 : 0.9;
        writeFileSync(join(labelled, cls, i === 0 ? join('deeper', `x${i}.png`) : `x${i}.png`), encodePng(new Float32Array(4 * 6 * 3).fill(v), 6, 4, 3));
      }
    }
    mkdirSync(join(labelled, 'empty-class'));
    mkdirSync(join(labelled, '.ipynb_checkpoints'));
    writeFileSync(join(labelled, '.ipynb_checkpoints', 'y.png'), encodePng(new Float32Array(3), 1, 1, 3));
    writeFileSync(join(labelled, 'stray.png'), encodePng(new Float32Array(3), 1, 1, 3));
    writeFileSync(join(labelled, 'dog', 'readme.md'), 'hi');
    const d = await loadImageFolder(labelled, { height: 4, width: 4, channels: 1, validationFraction: 0 });
    // code-point order: 'Zebra' < 'cat' < 'dog'; folders without images are not classes
    expect(d.classNames).toEqual(['Zebra', 'cat', 'dog']);
    expect(d.train.files).toEqual([join('Zebra', 'deeper', 'x0.png'), join('cat', 'deeper', 'x0.png'), join('cat', 'x1.png'),
      join('dog', 'deeper', 'x0.png'), join('dog', 'x1.png'), join('dog', 'x2.png')]);
    expect(Array.from(d.train.labels!)).toEqual([0, 1, 1, 2, 2, 2]);
    // each image's pixels belong to its class
    const expected = [0.9, 0.1, 0.1, 0.5, 0.5, 0.5];
    // (RGB to gray may round one level differently)
    expected.forEach((v, i) => expect(Math.abs(d.train.images[i * 16] - Math.round(v * 255) / 255)).toBeLessThanOrEqual(1.001 / 255));
    expect(d.summary).toContain('in 3 classes from sub-folders (Zebra 1, cat 2, dog 3)');
    expect(d.summary).toContain('skipped 1 files that are not images, 1 hidden entries, 1 images outside the class folders');
    const flatOnly = await loadImageFolder(labelled, { height: 4, width: 4, validationFraction: 0, noLabels: true });
    expect(flatOnly.train.files).toEqual(['stray.png']);
  });

  it('splits with the seed, reproducibly, labels following their images', async () => {
    const a = await loadImageFolder(flat, { height: 4, width: 4, validationFraction: 0.25, seed: 3 });
    const b = await loadImageFolder(flat, { height: 4, width: 4, validationFraction: 0.25, seed: 3 });
    expect(a.train.count + a.validation.count).toBe(4);
    expect(a.validation.count).toBe(1);
    expect(a.validation.files).toEqual(b.validation.files);
    expect([...a.train.files!, ...a.validation.files!].sort()).toEqual(['a.png', 'b.png', 'c.png', 'd.png']);
    const seen = new Set<string>();
    for (let s = 0; s < 20; s++) seen.add((await loadImageFolder(flat, { height: 2, width: 2, validationFraction: 0.25, seed: s })).validation.files![0]);
    expect(seen.size).toBeGreaterThan(1);
  });

  it('reports progress for every image', async () => {
    const calls: number[] = [];
    await loadImageFolder(flat, { height: 2, width: 2, validationFraction: 0, concurrency: 2, onProgress: (done, total) => {
      expect(total).toBe(4);
      calls.push(done);
    } });
    expect(calls).toEqual([1, 2, 3, 4]);
  });

  it('names the problem: missing folder, no images, broken or hostile files, bad options', async () => {
    await expect(loadImageFolder(join(root, 'nope'))).rejects.toThrow(`${join(root, 'nope')}: folder not found`);
    const empty = join(root, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'readme.txt'), 'hi');
    await expect(loadImageFolder(empty)).rejects.toThrow(`${empty}: no image files found`);
    const bad = (name: string, make: (path: string) => void): string => {
      const d = join(root, `bad-${name.replace(/\W/g, '')}`);
      mkdirSync(d);
      writeFileSync(join(d, 'good.png'), encodePng(new Float32Array(3), 1, 1, 3));
      make(join(d, name));
      return join(d, name);
    };
    const text = bad('z.png', (p) => writeFileSync(p, 'GIF89a definitely not an image'));
    await expect(loadImageFolder(join(text, '..'))).rejects.toThrow(DataError);
    await expect(loadImageFolder(join(text, '..'))).rejects.toThrow(`${text}: not an image sharp can read`);
    const zero = bad('y.png', (p) => symlinkSync('/dev/zero', p));
    await expect(loadImageFolder(join(zero, '..'))).rejects.toThrow(UserError);
    await expect(loadImageFolder(join(zero, '..'))).rejects.toThrow(`${zero}: not a regular file`);
    const fifo = bad('x.png', (p) => execFileSync('mkfifo', [p]));
    await expect(loadImageFolder(join(fifo, '..'))).rejects.toThrow(`${fifo}: not a regular file`);
    const jpeg = await fromRaw(raw(64, 64, 3, (y, x, k) => (x * 3 + y * 5 + k * 40) % 256), 64, 64, 3).jpeg().toBuffer();
    const cut = bad('cut.jpg', (p) => writeFileSync(p, jpeg.subarray(0, jpeg.length >> 1)));
    await expect(loadImageFolder(join(cut, '..'))).rejects.toThrow(`${cut}: cannot decode the image`);
    const empty2 = bad('e.png', (p) => writeFileSync(p, ''));
    await expect(loadImageFolder(join(empty2, '..'))).rejects.toThrow(`${empty2}: empty file`);
    await expect(loadImageFolder(flat, { validationFraction: 1 })).rejects.toThrow(DataError);
    await expect(loadImageFolder(flat, { height: 0 })).rejects.toThrow(DataError);
    await expect(loadImageFolder(join(flat, 'a.png'))).rejects.toThrow('not a folder');
    expect(existsSync(flat)).toBe(true);
  });

  it('refuses formats other than the image formats it lists, whatever the file name says (an SVG named .png)', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="red"/></svg>');
    await expect(decodeImage(svg, 'drawing.png', { height: 8, width: 8, channels: 3 })).rejects.toThrow('drawing.png: a svg file, not one of the image formats read');
  });

  it('refuses an image whose header claims more than 100 megapixels before decoding it', async () => {
    const png = Buffer.from(encodePng(new Float32Array(4 * 4 * 3), 4, 4, 3));
    png.writeUInt32BE(20000, 16);
    png.writeUInt32BE(20000, 20);
    await expect(decodeImage(png, 'huge.png', { height: 8, width: 8, channels: 3 })).rejects.toThrow(/huge\.png: (20000×20000 pixels is too large|not an image sharp can read)/);
    const p = join(root, 'trunc.png');
    writeFileSync(p, encodePng(image(32, 32, 3, (y, x) => ((x ^ y) & 1)), 32, 32, 3));
    truncateSync(p, statSync(p).size - 30);
    await expect(readImageFile(p, { height: 8, width: 8, channels: 3 })).rejects.toThrow(`${p}: cannot decode the image`);
  });
});
