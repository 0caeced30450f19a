/**
 * The 10×10 parameter grid drawn as a (possibly warped) grid: lines through the points of equal
 * hue and of equal size, each point filled with its background colour. Used in parameter space
 * (straight) and in z space (the encoder's means: warped).
 */
import { hueColour } from './plot.js';
import { linePath, svgEl, type Scale } from './svg.js';

export interface GridData {
  n: number;
  /** (size, hue) pairs, n·n·2 values, pair k = r·n + c (row r: one hue; column c: one size). */
  params: ArrayLike<number>;
  /** The position of each pair in the plot's coordinates, n·n·2 values. */
  points: ArrayLike<number>;
}

/** Draws the grid into `g` (cleared first). */
export function drawGrid(g: SVGGElement, grid: GridData, x: Scale, y: Scale, { dots = true, radius = 2.6 } = {}): void {
  while (g.firstChild) g.removeChild(g.firstChild);
  const { n, params, points } = grid;
  const at = (r: number, c: number): [number, number] => {
    const k = r * n + c;
    return [x(points[2 * k]), y(points[2 * k + 1])];
  };
  const lines = svgEl('g', { class: 'grid-lines' }, g);
  for (let r = 0; r < n; r++) {
    svgEl('path', { d: linePath(Array.from({ length: n }, (_, c) => at(r, c))), class: 'grid-hue' }, lines);
  }
  for (let c = 0; c < n; c++) {
    svgEl('path', { d: linePath(Array.from({ length: n }, (_, r) => at(r, c))), class: 'grid-size' }, lines);
  }
  if (!dots) return;
  const dotsG = svgEl('g', { class: 'grid-dots' }, g);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const k = r * n + c;
      const [px, py] = at(r, c);
      // larger dots for larger faces, so the size direction reads at a glance
      const rad = radius * (0.65 + 0.7 * (c / Math.max(1, n - 1)));
      svgEl('circle', { cx: px, cy: py, r: rad, fill: hueColour(params[2 * k + 1]) }, dotsG);
    }
  }
}

/** The largest |coordinate| of a set of points (for choosing a plot's extent). */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) m = Math.max(m, Math.abs(values[i]));
  return m;
}

/** A z-plot half-width: 3, or more when points lie outside [-3, 3]² (rounded up to 0.5). */
export function zExtent(...sets: ArrayLike<number>[]): number {
  const m = Math.max(0, ...sets.map(maxAbs));
  return Math.max(3, Math.ceil(m * 1.08 * 2) / 2);
}
