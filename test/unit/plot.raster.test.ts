import { describe, expect, it } from 'vitest';
import { ADVANCE, DESCENT, GLYPH_HEIGHT, glyphRows, hasGlyph, textWidth } from '../../src/analysis/font5x7.js';
import { lossCurvesScene } from '../../src/analysis/plotScene.js';
import { lineChartRaster, lossCurvesRaster, parseColor, Raster, rasterTextMetrics } from '../../src/analysis/raster.js';
import type { EpochRecord } from '../../src/train/history.js';

const WHITE = [1, 1, 1] as const;

function isBackground(px: readonly number[], bg: readonly number[] = WHITE): boolean {
  return Math.abs(px[0] - bg[0]) < 1e-6 && Math.abs(px[1] - bg[1]) < 1e-6 && Math.abs(px[2] - bg[2]) < 1e-6;
}

/** Inked pixels of an HWC image inside a box (x0 <= x < x1, y0 <= y < y1). */
function inkIn(data: Float32Array, width: number, x0: number, y0: number, x1: number, y1: number, bg: readonly number[] = WHITE): number {
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * width + x) * 3;
      if (!isBackground([data[i], data[i + 1], data[i + 2]], bg)) n++;
    }
  }
  return n;
}

function history(epochs: number): EpochRecord[] {
  return Array.from({ length: epochs }, (_, i) => {
    const e = i + 1;
    const rec = 80 + 100 / e;
    const kl = 30 - 15 / e;
    return {
      epoch: e,
      train: { loss: rec + kl, reconstruction: rec, kl },
      validation: { loss: rec + kl + 5, reconstruction: rec + 4.5, kl: kl + 0.5 },
      seconds: 1,
      imagesPerSecond: 100,
    };
  });
}

describe('Raster', () => {
  it('starts filled with the background and exports HWC floats in [0, 1]', () => {
    const r = new Raster(4, 3, '#336699');
    const out = r.toFloat32();
    expect(out).toHaveLength(4 * 3 * 3);
    expect(out[0]).toBeCloseTo(0x33 / 255, 6);
    expect(out[1]).toBeCloseTo(0x66 / 255, 6);
    expect(out[2]).toBeCloseTo(0x99 / 255, 6);
    out[0] = 5; // a copy
    expect(r.get(0, 0)[0]).toBeCloseTo(0x33 / 255, 6);
    expect(parseColor('#fff')).toEqual([1, 1, 1]);
    expect(() => parseColor('blue-ish')).toThrow(/colour/);
  });

  it('colours the pixels on a horizontal line and nothing away from it', () => {
    const r = new Raster(40, 20);
    r.line(2, 10, 30, 10, '#000000');
    for (let x = 2; x <= 30; x++) expect(r.get(x, 10)).toEqual([0, 0, 0]);
    for (let x = 0; x < 40; x++) {
      expect(isBackground(r.get(x, 8))).toBe(true);
      expect(isBackground(r.get(x, 12))).toBe(true);
    }
    expect(isBackground(r.get(35, 10))).toBe(true);
    expect(inkIn(r.data, 40, 0, 0, 40, 20)).toBe(29 + 2 * 0); // exactly the 29 pixels of the line (round caps of width 1 add none)
  });

  it('draws a diagonal anti-aliased: dark on the line, partial at its edge, clean further away', () => {
    const r = new Raster(30, 30);
    r.line(3, 3, 25, 20, '#000000', 1);
    // pixels whose centre is on the segment are (nearly) black
    expect(r.get(3, 3)[0]).toBeLessThan(0.05);
    expect(r.get(25, 20)[0]).toBeLessThan(0.05);
    let partial = 0;
    for (let y = 0; y < 30; y++) {
      for (let x = 0; x < 30; x++) {
        const v = r.get(x, y)[0];
        if (v > 0.02 && v < 0.98) partial++;
        // distance from the pixel centre to the segment
        const t = Math.max(0, Math.min(1, ((x - 3) * 22 + (y - 3) * 17) / (22 * 22 + 17 * 17)));
        const d = Math.hypot(x - (3 + 22 * t), y - (3 + 17 * t));
        if (d > 1.5) expect(v).toBe(1);
        if (d < 0.2) expect(v).toBeLessThan(0.35);
      }
    }
    expect(partial).toBeGreaterThan(10);
  });

  it('draws thick lines as wide as asked', () => {
    const r = new Raster(40, 40);
    r.line(5, 20, 35, 20, '#000000', 5);
    for (let y = 18; y <= 22; y++) expect(r.get(20, y)).toEqual([0, 0, 0]);
    expect(isBackground(r.get(20, 24))).toBe(true);
    expect(isBackground(r.get(20, 16))).toBe(true);
  });

  it('leaves gaps in dashed lines', () => {
    const r = new Raster(60, 10);
    r.line(0, 5, 59, 5, '#000000', 1, [6, 4]);
    const row = Array.from({ length: 60 }, (_, x) => r.get(x, 5)[0]);
    expect(row.filter((v) => v < 0.1).length).toBeGreaterThan(25);
    expect(row.filter((v) => v > 0.9).length).toBeGreaterThan(15);
    // 6 pixels on, 4 off, from the start of the line
    expect(row.slice(0, 6).every((v) => v < 0.05)).toBe(true);
    expect(row.slice(6, 10).every((v) => v === 1)).toBe(true);
    expect(row.slice(10, 16).every((v) => v < 0.05)).toBe(true);
  });

  it('fills and outlines rectangles and discs', () => {
    const r = new Raster(30, 30);
    r.fillRect(2, 2, 5, 4, '#ff0000');
    expect(r.get(2, 2)).toEqual([1, 0, 0]);
    expect(r.get(6, 5)).toEqual([1, 0, 0]);
    expect(isBackground(r.get(7, 5))).toBe(true);
    expect(isBackground(r.get(6, 6))).toBe(true);
    r.rect(10, 10, 8, 8, '#0000ff');
    expect(r.get(10, 14)).toEqual([0, 0, 1]);
    expect(r.get(17, 14)).toEqual([0, 0, 1]);
    expect(isBackground(r.get(14, 14))).toBe(true);
    r.circle(24, 5, 3, '#00ff00');
    expect(r.get(24, 5)).toEqual([0, 1, 0]);
    expect(isBackground(r.get(24, 10))).toBe(true);
  });

  it('renders text as ink inside its box only', () => {
    const r = new Raster(260, 40);
    const w = r.text(10, 12, 'Hello (x|z) -1.5%', '#000000', 2);
    expect(w).toBe(textWidth('Hello (x|z) -1.5%', 2));
    const ink = inkIn(r.data, 260, 10, 12, 10 + w, 12 + (GLYPH_HEIGHT + DESCENT) * 2);
    expect(ink).toBeGreaterThan(100);
    expect(inkIn(r.data, 260, 0, 0, 260, 40)).toBe(ink);
    // anchors: centred and right-aligned text end up where asked
    const c = new Raster(100, 20);
    const cw = c.text(50, 5, 'abc', '#000000', 1, { anchor: 'middle' });
    expect(inkIn(c.data, 100, 0, 0, Math.round(50 - cw / 2), 20)).toBe(0);
    expect(inkIn(c.data, 100, Math.round(50 + cw / 2) + 1, 0, 100, 20)).toBe(0);
    const e = new Raster(100, 20);
    e.text(90, 5, '42', '#000000', 1, { anchor: 'end' });
    expect(inkIn(e.data, 100, 90, 0, 100, 20)).toBe(0);
    expect(inkIn(e.data, 100, 90 - textWidth('42'), 0, 90, 20)).toBeGreaterThan(10);
  });

  it('renders text rotated to read upwards inside its rotated box', () => {
    const r = new Raster(40, 120);
    const len = r.textUp(10, 100, 'nats', '#000000', 2);
    expect(len).toBe(textWidth('nats', 2));
    const ink = inkIn(r.data, 40, 10, 100 - len + 1, 10 + (GLYPH_HEIGHT + DESCENT) * 2, 101);
    expect(ink).toBeGreaterThan(40);
    expect(inkIn(r.data, 40, 0, 0, 40, 120)).toBe(ink);
  });
});

describe('font5x7', () => {
  const required = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-\u2212():/% ';

  it('has a glyph for every character charts need, 5 columns wide and 7 (+2 descender) rows', () => {
    for (const ch of required) {
      expect(hasGlyph(ch), ch).toBe(true);
      const rows = glyphRows(ch);
      expect(rows.length).toBeGreaterThanOrEqual(GLYPH_HEIGHT);
      expect(rows.length).toBeLessThanOrEqual(GLYPH_HEIGHT + DESCENT);
      for (const bits of rows) expect(bits).toBeLessThan(32);
      if (ch !== ' ') expect(rows.some((b) => b !== 0)).toBe(true);
    }
  });

  it('draws different characters differently', () => {
    const seen = new Map<string, string>();
    for (const ch of required) {
      const key = glyphRows(ch).join(',');
      expect(seen.get(key), `${ch} looks like ${seen.get(key)}`).toBeUndefined();
      seen.set(key, ch);
    }
  });

  it('measures text by advance, and stands in for unknown characters', () => {
    expect(textWidth('')).toBe(0);
    expect(textWidth('a')).toBe(5);
    expect(textWidth('ab', 3)).toBe((2 * ADVANCE - 1) * 3);
    expect(hasGlyph('\u2603')).toBe(false);
    expect(glyphRows('\u2603').some((b) => b !== 0)).toBe(true);
    expect(textWidth('\u00bd')).toBe(textWidth('1/2'));
  });
});

describe('lossCurvesRaster', () => {
  it('draws the three panels with ink (and both curves) in each', () => {
    const h = history(15);
    const img = lossCurvesRaster(h, { title: 'test run' });
    expect(img.channels).toBe(3);
    expect(img.data).toHaveLength(img.width * img.height * 3);
    const scene = lossCurvesScene(h, { title: 'test run', width: img.width, height: img.height }, rasterTextMetrics(2));
    expect(scene.panels).toHaveLength(3);
    const blue = parseColor('#1f6fd1');
    const orange = parseColor('#e8590c');
    for (const p of scene.panels) {
      expect(inkIn(img.data, img.width, p.x, p.y, p.x + p.w, p.y + p.h)).toBeGreaterThan(200);
      let trainPx = 0;
      let validationPx = 0;
      for (let y = p.y; y < p.y + p.h; y++) {
        for (let x = p.x; x < p.x + p.w; x++) {
          const i = (y * img.width + x) * 3;
          const px = [img.data[i], img.data[i + 1], img.data[i + 2]];
          if (px.every((v, k) => Math.abs(v - blue[k]) < 0.02)) trainPx++;
          if (px.every((v, k) => Math.abs(v - orange[k]) < 0.02)) validationPx++;
        }
      }
      expect(trainPx).toBeGreaterThan(50);
      expect(validationPx).toBeGreaterThan(30);
      // tick labels left of the plot area and under it
      expect(inkIn(img.data, img.width, p.x - 60, p.y, p.x - 8, p.y + p.h)).toBeGreaterThan(50);
      expect(inkIn(img.data, img.width, p.x, p.y + p.h + 8, p.x + p.w, p.y + p.h + 30)).toBeGreaterThan(30);
    }
    // the heading is inked at the top left
    expect(inkIn(img.data, img.width, 0, 0, 300, 40)).toBeGreaterThan(100);
  });

  it('handles one epoch, NaN values and an empty history', () => {
    const one = lossCurvesRaster(history(1), { width: 900, height: 320 });
    expect(one.width).toBe(900);
    expect(inkIn(one.data, one.width, 0, 0, one.width, one.height)).toBeGreaterThan(1000);
    const h = history(8);
    h[3].train.loss = NaN;
    h[5].validation.kl = Infinity;
    const gaps = lossCurvesRaster(h, { width: 900, height: 320 });
    expect(Array.from(gaps.data).every((v) => v >= 0 && v <= 1)).toBe(true);
    const empty = lossCurvesRaster([], { width: 400, height: 200 });
    const ink = inkIn(empty.data, 400, 0, 0, 400, 200);
    expect(ink).toBeGreaterThan(50);
    // "no epochs yet" sits in the middle
    expect(inkIn(empty.data, 400, 100, 85, 300, 115)).toBeGreaterThan(50);
  });

  it('has a generic line chart twin', () => {
    const img = lineChartRaster([{ name: 'a', points: [[0, 0], [1, 1], [2, 4]] }], { width: 300, height: 200, title: 'squares' });
    expect(img.width).toBe(300);
    expect(inkIn(img.data, 300, 0, 0, 300, 200)).toBeGreaterThan(300);
  });
});
