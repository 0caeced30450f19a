/**
 * The run's prior p(z) in z-space plots: the density of a Gaussian mixture's (z₁, z₂) marginal as a
 * heat map (the same colours as the N(0, I) one in heatmap.ts), and its component means as markers.
 * For a diagonal mixture the marginal over two coordinates is again a mixture:
 *   p(z₁, z₂) = Σ_k π_k · N(z₁; μ_k1, σ_k1²) · N(z₂; μ_k2, σ_k2²),   π = softmax(logits).
 */
import type { GmmParams } from '../../src/math/prior.js';
import type { Frame } from './plot.js';
import { svgEl } from './svg.js';

/** softmax(logits): the mixture weights π. */
export function mixtureWeights(logits: readonly number[]): number[] {
  const m = Math.max(...logits);
  const w = logits.map((l) => Math.exp(l - m));
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / total);
}

/** The marginal density of coordinates (i, j) of the mixture at (a, b). */
export function mixtureDensity2(p: GmmParams, a: number, b: number, i = 0, j = 1): number {
  const pi = mixtureWeights(p.logits);
  let s = 0;
  for (let k = 0; k < pi.length; k++) {
    const va = Math.exp(p.logvars[k][i]), vb = Math.exp(p.logvars[k][j]);
    const da = a - p.means[k][i], db = b - p.means[k][j];
    s += (pi[k] / (2 * Math.PI * Math.sqrt(va * vb))) * Math.exp(-0.5 * ((da * da) / va + (db * db) / vb));
  }
  return s;
}

/**
 * A PNG data URL of the mixture's (z₁, z₂) density over [lo, hi]² (y up), relative to its largest
 * value on the image: white where it is low, deepening blue towards the modes.
 */
export function mixtureHeatmapUrl(p: GmmParams, lo: number, hi: number, px = 120): string {
  const c = document.createElement('canvas');
  c.width = px;
  c.height = px;
  const ctx = c.getContext('2d');
  if (!ctx) return '';
  const dens = new Float64Array(px * px);
  let max = 0;
  for (let row = 0; row < px; row++) {
    const z2 = hi - ((row + 0.5) / px) * (hi - lo); // row 0 is the top: largest z₂
    for (let col = 0; col < px; col++) {
      const v = mixtureDensity2(p, lo + ((col + 0.5) / px) * (hi - lo), z2);
      dens[row * px + col] = v;
      max = Math.max(max, v);
    }
  }
  const img = ctx.createImageData(px, px);
  for (let i = 0; i < px * px; i++) {
    const d = max > 0 ? dens[i] / max : 0;
    img.data[4 * i] = Math.round(255 - 170 * d);
    img.data[4 * i + 1] = Math.round(255 - 120 * d);
    img.data[4 * i + 2] = Math.round(255 - 40 * d);
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return c.toDataURL('image/png');
}

/**
 * Draws the mixture's component means (K points, 2 coordinates each, already in the plot's
 * coordinates: z₁, z₂ or a projection) as crosses, sized by weight, each titled with its weight.
 */
export function drawComponentMeans(f: Frame, xy: ArrayLike<number>, weights: readonly number[], parent: Element = f.layer): SVGGElement {
  const g = svgEl('g', { class: 'prior-means' }, parent);
  weights.forEach((w, k) => {
    const x = f.x(xy[2 * k]), y = f.y(xy[2 * k + 1]);
    const r = 5 + 5 * Math.sqrt(w);
    const mark = svgEl('path', {
      d: `M${x - r} ${y}H${x + r}M${x} ${y - r}V${y + r}`, class: 'prior-mean', 'data-k': k,
      'data-x': xy[2 * k], 'data-y': xy[2 * k + 1],
    }, g);
    svgEl('title', {}, mark).textContent = `mixture component ${k + 1}: weight π = ${w.toFixed(3)}`;
  });
  return g;
}
