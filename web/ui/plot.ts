/**
 * Plot frames shared by the widgets: a square z-space plot (optionally over the N(0, I) heat map)
 * and a square parameter-space plot (size × hue of the faces dataset).
 */
import { hsvToRgb } from '../../src/data/faces.js';
import { gaussianHeatmapUrl } from './heatmap.js';
import { axisBottom, axisLeft, describe, domainOf, linear, svgEl, type Scale } from './svg.js';

export const MARGIN = { left: 40, right: 10, top: 10, bottom: 36 };

export interface Frame {
  svg: SVGSVGElement;
  x: Scale;
  y: Scale;
  /** Group drawn over the axes and backgrounds, clipped to the plot area. */
  layer: SVGGElement;
  /** The plot area as a rect (for pointer targets). */
  area: SVGRectElement;
}

let clipIds = 0;

function frame(size: number, xDomain: readonly [number, number], yDomain: readonly [number, number], xLabel: string, yLabel: string, className: string): Frame {
  const width = size + MARGIN.left + MARGIN.right;
  const height = size + MARGIN.top + MARGIN.bottom;
  const svg = svgEl('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: `plot ${className}` });
  const x = linear(xDomain, [MARGIN.left, MARGIN.left + size]);
  const y = linear(yDomain, [MARGIN.top + size, MARGIN.top]);
  const area = svgEl('rect', { x: MARGIN.left, y: MARGIN.top, width: size, height: size, class: 'plot-area' }, svg);
  const clip = `clip${++clipIds}`;
  const defs = svgEl('defs', {}, svg);
  svgEl('rect', { x: MARGIN.left, y: MARGIN.top, width: size, height: size }, svgEl('clipPath', { id: clip }, defs));
  const layer = svgEl('g', { 'clip-path': `url(#${clip})` }, svg);
  axisBottom(svg, x, MARGIN.top + size, { label: xLabel });
  axisLeft(svg, y, MARGIN.left, { label: yLabel });
  // a default accessible name; widgets describe their plots more precisely
  describe(svg, `${xLabel} × ${yLabel} plot`);
  return { svg, x, y, layer, area };
}

/** A square plot of z-space [-r, r]², with the standard Gaussian's density behind when `heatmap`. */
export function zFrame(size: number, r: number, heatmap = true): Frame {
  const f = frame(size, [-r, r], [-r, r], 'z₁', 'z₂', 'zplot');
  if (heatmap) {
    svgEl('image', { href: gaussianHeatmapUrl(-r, r), x: MARGIN.left, y: MARGIN.top, width: size, height: size, preserveAspectRatio: 'none', class: 'heatmap' }, f.layer);
  }
  return f;
}

/** A square plot of the faces' generating parameters: size along x, hue up along y. */
export function paramFrame(size: number, sizeRange: readonly [number, number], hueRange: readonly [number, number]): Frame {
  return frame(size, sizeRange, hueRange, 'size', 'hue', 'paramplot');
}

/** CSS colour of the faces' background for a hue: HSV(hue, 0.8, 0.8). */
export function hueColour(hue: number, s = 0.8, v = 0.8): string {
  const [r, g, b] = hsvToRgb(hue, s, v);
  return `rgb(${Math.round(r * 255)},${Math.round(g * 255)},${Math.round(b * 255)})`;
}

/** Thin horizontal bands of each hue across the plot area (the hue axis made visible). */
export function hueBands(f: Frame, opacity = 0.35, bands = 40): void {
  const [h0, h1] = domainOf(f.y);
  const [x0, x1] = f.x.range();
  const g = svgEl('g', { class: 'hue-bands', opacity }, f.layer);
  for (let i = 0; i < bands; i++) {
    const a = h0 + ((h1 - h0) * i) / bands;
    const b = h0 + ((h1 - h0) * (i + 1)) / bands;
    svgEl('rect', { x: x0, width: x1 - x0, y: f.y(b), height: f.y(a) - f.y(b) + 0.5, fill: hueColour((a + b) / 2) }, g);
  }
}
