/**
 * A tiny RGB rasteriser of our own, so charts can become PNGs without a browser: anti-aliased
 * lines (solid or dashed, any width), rectangles, discs and rings, and text in the hand-drawn 5x7
 * font of `font5x7.ts`. Pixels are a Float32Array in HWC order with values in [0, 1], the layout
 * `encodePng` takes.
 *
 * Coordinates: integer (x, y) is the centre of pixel (x, y), x to the right, y downwards; so
 * `line(0, 5, 9, 5, c)` colours exactly row 5 from column 0 to 9.
 *
 * `lossCurvesRaster` and `lineChartRaster` draw the same scenes as the SVG charts of
 * `plotCurves.ts`. Browser-safe: no Node imports.
 */
import type { EpochRecord } from '../train/history.js';
import { ADVANCE, GLYPH_WIDTH, fontText, glyphRows, textWidth } from './font5x7.js';
import {
  lineChartScene,
  lossCurvesScene,
  type ChartSeries,
  type LineChartOptions,
  type LossCurvesOptions,
  type Point,
  type Scene,
  type SceneNode,
  type TextMetrics,
  type TextTier,
} from './plotScene.js';

export type RGB = readonly [number, number, number];
/** '#rgb', '#rrggbb' or [r, g, b] with components in [0, 1]. */
export type ColorLike = string | RGB;

export function parseColor(color: ColorLike): RGB {
  if (typeof color !== 'string') return color;
  let hex = color.trim().toLowerCase();
  if (hex === 'white') return [1, 1, 1];
  if (hex === 'black') return [0, 0, 0];
  if (/^#[0-9a-f]{3}$/.test(hex)) hex = '#' + hex[1] + hex[1] + hex[2] + hex[2] + hex[3] + hex[3];
  if (!/^#[0-9a-f]{6}$/.test(hex)) throw new Error(`not a colour: ${JSON.stringify(color)} (use '#rrggbb' or [r, g, b])`);
  return [parseInt(hex.slice(1, 3), 16) / 255, parseInt(hex.slice(3, 5), 16) / 255, parseInt(hex.slice(5, 7), 16) / 255];
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** Dash pattern: true gives the default, an array is [on, off, on, off, ...] in pixels. */
export type Dash = boolean | readonly number[] | undefined;
const DEFAULT_DASH = [6, 4];

export interface TextOptions {
  /** Where x is: the left edge (start), the centre (middle) or the right edge (end). */
  anchor?: 'start' | 'middle' | 'end';
  /** Thicken strokes by drawing twice, one pixel apart. */
  bold?: boolean;
}

export class Raster {
  readonly width: number;
  readonly height: number;
  /** HWC, RGB, values in [0, 1]. */
  readonly data: Float32Array;

  constructor(width: number, height: number, background: ColorLike = '#ffffff') {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
      throw new Error(`raster size must be positive integers, got ${width}x${height}`);
    }
    this.width = width;
    this.height = height;
    this.data = new Float32Array(width * height * 3);
    const [r, g, b] = parseColor(background);
    for (let i = 0; i < this.data.length; i += 3) {
      this.data[i] = r;
      this.data[i + 1] = g;
      this.data[i + 2] = b;
    }
  }

  /** The colour of pixel (x, y). */
  get(x: number, y: number): [number, number, number] {
    const i = (y * this.width + x) * 3;
    return [this.data[i], this.data[i + 1], this.data[i + 2]];
  }

  /** Mix `color` into pixel (x, y) with weight `alpha` in [0, 1]; outside pixels are ignored. */
  blend(x: number, y: number, color: RGB, alpha = 1): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || !(alpha > 0)) return;
    const a = alpha > 1 ? 1 : alpha;
    const i = (y * this.width + x) * 3;
    const d = this.data;
    d[i] += (color[0] - d[i]) * a;
    d[i + 1] += (color[1] - d[i + 1]) * a;
    d[i + 2] += (color[2] - d[i + 2]) * a;
  }

  /** Fill the w x h pixels whose top-left pixel is (x, y) (values rounded to whole pixels). */
  fillRect(x: number, y: number, w: number, h: number, color: ColorLike, alpha = 1): void {
    const c = parseColor(color);
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let py = y0; py < y1; py++) for (let px = x0; px < x1; px++) this.blend(px, py, c, alpha);
  }

  /** Outline of the w x h pixels at (x, y), `width` pixels thick, inside that area. */
  rect(x: number, y: number, w: number, h: number, color: ColorLike, width = 1): void {
    const t = Math.max(1, Math.round(width));
    this.fillRect(x, y, w, t, color);
    this.fillRect(x, y + h - t, w, t, color);
    this.fillRect(x, y + t, t, h - 2 * t, color);
    this.fillRect(x + w - t, y + t, t, h - 2 * t, color);
  }

  /** An anti-aliased straight line with round ends, optionally dashed. */
  line(x0: number, y0: number, x1: number, y1: number, color: ColorLike, width = 1, dashed?: Dash): void {
    this.polyline(
      [
        [x0, y0],
        [x1, y1],
      ],
      color,
      width,
      dashed,
    );
  }

  /**
   * Connected anti-aliased segments drawn as one stroke (joints are not painted twice); a dash
   * pattern runs on along the whole polyline.
   */
  polyline(points: ReadonlyArray<readonly [number, number]>, color: ColorLike, width = 1, dashed?: Dash): void {
    const pts = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length === 0 || !(width > 0)) return;
    const c = parseColor(color);
    const half = width / 2;
    const reach = half + 1;
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (const [x, y] of pts) {
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
    const bx0 = Math.max(0, Math.floor(minX - reach));
    const by0 = Math.max(0, Math.floor(minY - reach));
    const bx1 = Math.min(this.width - 1, Math.ceil(maxX + reach));
    const by1 = Math.min(this.height - 1, Math.ceil(maxY + reach));
    if (bx1 < bx0 || by1 < by0) return;
    const bw = bx1 - bx0 + 1;
    const coverage = new Float32Array(bw * (by1 - by0 + 1));

    const pattern = dashed === true ? DEFAULT_DASH : dashed ? dashed.filter((v) => v >= 0) : undefined;
    const period = pattern ? pattern.reduce((a, b) => a + b, 0) : 0;
    const along = (s: number): number => {
      if (!pattern || !(period > 0)) return 1;
      // distance from arc position s to the nearest "on" interval, softened by half a pixel
      let u = s % period;
      if (u < 0) u += period;
      let start = 0;
      let best = 0;
      for (let k = 0; k < pattern.length; k += 2) {
        const on = pattern[k];
        const end = start + on;
        let cov: number;
        if (u >= start && u <= end) cov = Math.min(u - start, end - u) + 0.5;
        else {
          const dist = Math.min(Math.abs(u - start), Math.abs(u - end), Math.abs(u - period - start), Math.abs(u + period - end));
          cov = 0.5 - dist;
        }
        best = Math.max(best, clamp01(Math.min(cov, on)));
        start = end + (pattern[k + 1] ?? 0);
      }
      return best;
    };

    let arc = 0;
    const segments = pts.length === 1 ? [[pts[0], pts[0]]] : pts.slice(1).map((p, i) => [pts[i], p]);
    for (const [[ax, ay], [bx, by]] of segments) {
      const dx = bx - ax;
      const dy = by - ay;
      const len2 = dx * dx + dy * dy;
      const len = Math.sqrt(len2);
      const sx0 = Math.max(bx0, Math.floor(Math.min(ax, bx) - reach));
      const sx1 = Math.min(bx1, Math.ceil(Math.max(ax, bx) + reach));
      const sy0 = Math.max(by0, Math.floor(Math.min(ay, by) - reach));
      const sy1 = Math.min(by1, Math.ceil(Math.max(ay, by) + reach));
      for (let py = sy0; py <= sy1; py++) {
        for (let px = sx0; px <= sx1; px++) {
          let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
          t = t < 0 ? 0 : t > 1 ? 1 : t;
          const d = Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
          const across = clamp01(half + 0.5 - d);
          if (across <= 0) continue;
          // +0.5: the first dash starts at the near edge of the first pixel, like a solid line
          const cov = across * along(arc + t * len + 0.5);
          const k = (py - by0) * bw + (px - bx0);
          if (cov > coverage[k]) coverage[k] = cov;
        }
      }
      arc += len;
    }
    for (let py = by0; py <= by1; py++) {
      for (let px = bx0; px <= bx1; px++) {
        const cov = coverage[(py - by0) * bw + (px - bx0)];
        if (cov > 0) this.blend(px, py, c, cov);
      }
    }
  }

  /** An anti-aliased disc of radius r (fill) or a ring of that radius `strokeWidth` thick. */
  circle(cx: number, cy: number, r: number, color: ColorLike, fill = true, strokeWidth = 1): void {
    const c = parseColor(color);
    const outer = fill ? r : r + strokeWidth / 2;
    const x0 = Math.max(0, Math.floor(cx - outer - 1));
    const x1 = Math.min(this.width - 1, Math.ceil(cx + outer + 1));
    const y0 = Math.max(0, Math.floor(cy - outer - 1));
    const y1 = Math.min(this.height - 1, Math.ceil(cy + outer + 1));
    for (let py = y0; py <= y1; py++) {
      for (let px = x0; px <= x1; px++) {
        const d = Math.hypot(px - cx, py - cy);
        const cov = fill ? clamp01(r + 0.5 - d) : clamp01(strokeWidth / 2 + 0.5 - Math.abs(d - r));
        if (cov > 0) this.blend(px, py, c, cov);
      }
    }
  }

  /**
   * Text in the 5x7 font, each font cell `scale` x `scale` pixels. (x, y) is the top of the
   * capitals (descenders hang below the 7 rows) and, per `anchor`, the left edge, centre or right
   * edge. Returns the drawn width in pixels.
   */
  text(x: number, y: number, str: string, color: ColorLike, scale = 1, options: TextOptions = {}): number {
    const s = Math.max(1, Math.round(scale));
    const c = parseColor(color);
    const w = textWidth(str, s) + (options.bold ? 1 : 0);
    const anchor = options.anchor ?? 'start';
    const left = Math.round(anchor === 'middle' ? x - w / 2 : anchor === 'end' ? x - w : x);
    const top = Math.round(y);
    this.glyphCells(str, s, (u, v) => {
      this.fillRect(left + u, top + v, s, s, c);
      if (options.bold) this.fillRect(left + u + 1, top + v, s, s, c);
    });
    return w;
  }

  /**
   * Text rotated 90 degrees counter-clockwise (reading bottom to top), starting at (x, y): x is the
   * left edge of the rotated capitals, y the pixel row where the text begins. Returns the length.
   */
  textUp(x: number, y: number, str: string, color: ColorLike, scale = 1): number {
    const s = Math.max(1, Math.round(scale));
    const c = parseColor(color);
    const left = Math.round(x);
    const bottom = Math.round(y);
    this.glyphCells(str, s, (u, v) => this.fillRect(left + v, bottom - u - s + 1, s, s, c));
    return textWidth(str, s);
  }

  /** Calls `cell(u, v)` with the top-left offset of every inked font cell of `str` at scale s. */
  private glyphCells(str: string, s: number, cell: (u: number, v: number) => void): void {
    let pen = 0;
    for (const ch of fontText(str)) {
      const rows = glyphRows(ch);
      for (let row = 0; row < rows.length; row++) {
        const bits = rows[row];
        if (bits === 0) continue;
        for (let col = 0; col < GLYPH_WIDTH; col++) {
          if (bits & (1 << (GLYPH_WIDTH - 1 - col))) cell(pen + col * s, row * s);
        }
      }
      pen += ADVANCE * s;
    }
  }

  /** A copy of the pixels: HWC, RGB, values in [0, 1]. */
  toFloat32(): Float32Array {
    return new Float32Array(this.data);
  }
}

export interface RasterImage {
  data: Float32Array;
  width: number;
  height: number;
  channels: 3;
}

export interface RasterChartOptions {
  /** Size of a font cell in pixels for ordinary text (default 2); headings are one step larger. */
  textScale?: number;
}

function tierScale(tier: TextTier, base: number): number {
  return tier === 'heading' ? base + 1 : base;
}

/** Text measurement in the 5x7 font at the given base scale, for laying out raster scenes. */
export function rasterTextMetrics(textScale = 2): TextMetrics {
  return {
    width: (text, tier, bold) => textWidth(text, tierScale(tier, textScale)) + (bold ? 1 : 0),
    height: (tier) => 7 * tierScale(tier, textScale),
  };
}

// Scene coordinates put pixel edges at integers; raster coordinates put pixel centres there.
const P = (v: number): number => v - 0.5;

function drawNode(r: Raster, node: SceneNode, textScale: number): void {
  switch (node.kind) {
    case 'group':
      for (const child of node.children) drawNode(r, child, textScale);
      return;
    case 'path':
      for (const run of node.subpaths) r.polyline(run.map(([x, y]): Point => [P(x), P(y)]), node.color, node.width, node.dash);
      return;
    case 'line':
      r.line(P(node.x1), P(node.y1), P(node.x2), P(node.y2), node.color, node.width, node.dash);
      return;
    case 'rect': {
      if (node.fill) {
        const x0 = Math.round(node.x);
        const y0 = Math.round(node.y);
        r.fillRect(x0, y0, Math.round(node.x + node.w) - x0, Math.round(node.y + node.h) - y0, node.fill, node.fillOpacity ?? 1);
      }
      if (node.stroke) {
        const sw = node.strokeWidth ?? 1;
        const [x0, y0, x1, y1] = [P(node.x), P(node.y), P(node.x + node.w), P(node.y + node.h)];
        r.polyline(
          [
            [x0, y0],
            [x1, y0],
            [x1, y1],
            [x0, y1],
            [x0, y0],
          ],
          node.stroke,
          sw,
        );
      }
      return;
    }
    case 'circle': {
      const sw = node.stroke ? (node.strokeWidth ?? 1) : 0;
      if (node.stroke) r.circle(P(node.cx), P(node.cy), node.r + sw / 2, node.stroke, true);
      if (node.fill) r.circle(P(node.cx), P(node.cy), Math.max(0.5, node.r - sw / 2), node.fill, true);
      return;
    }
    case 'text': {
      const s = tierScale(node.tier, textScale);
      const capH = 7 * s;
      if (node.rotate) {
        const len = textWidth(node.text, s);
        r.textUp(Math.round(node.x - capH / 2), Math.round(node.y + len / 2) - 1, node.text, node.color, s);
      } else {
        r.text(node.x, Math.round(node.y - capH / 2), node.text, node.color, s, { anchor: node.anchor, bold: node.bold });
      }
      return;
    }
  }
}

/** Draw a scene (from `plotScene.ts`) into a new raster. */
export function sceneToRaster(scene: Scene, textScale = 2): Raster {
  const r = new Raster(Math.round(scene.width), Math.round(scene.height), scene.background);
  for (const node of scene.nodes) drawNode(r, node, textScale);
  return r;
}

function image(r: Raster): RasterImage {
  return { data: r.data, width: r.width, height: r.height, channels: 3 };
}

/**
 * The training curves of a run as pixels (the same three panels as `lossCurvesSvg`), ready for
 * `encodePng(data, width, height, 3)`. Default size 1500 x 540.
 */
export function lossCurvesRaster(history: readonly EpochRecord[], opts: LossCurvesOptions & RasterChartOptions = {}): RasterImage {
  const textScale = opts.textScale ?? 2;
  const scene = lossCurvesScene(history, { ...opts, width: opts.width ?? 1500, height: opts.height ?? 540 }, rasterTextMetrics(textScale));
  return image(sceneToRaster(scene, textScale));
}

/** A line chart of any series as pixels (the raster twin of `lineChartSvg`). Default size 960 x 600. */
export function lineChartRaster(series: ChartSeries[], opts: LineChartOptions & RasterChartOptions = {}): RasterImage {
  const textScale = opts.textScale ?? 2;
  const scene = lineChartScene(series, { ...opts, width: opts.width ?? 960, height: opts.height ?? 600 }, rasterTextMetrics(textScale));
  return image(sceneToRaster(scene, textScale));
}
