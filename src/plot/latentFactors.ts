/**
 * The encoder means of a faces run in two latent dimensions, once coloured by size and once by
 * hue, training images as dots and the held-out validation rectangle as crosses: where the known
 * factors lie in the code (the picture behind the numbers of `vae factors`).
 */
import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG } from './theme.js';

/** Opacity of the points (overlaps stay visible). */
export const POINT_OPACITY = 0.85;

export interface LatentFactorPoint {
  /** The two plotted code coordinates. */
  x: number;
  y: number;
  split: 'train' | 'validation';
  /** Factor values by name (faces: size, hue). */
  factors: Record<string, number>;
}

export interface LatentFactorsOptions {
  title?: string;
  subtitle?: string[];
  factorNames: string[];
  /** Axis titles, e.g. 'z0 (encoder mean)'. */
  xTitle?: string;
  yTitle?: string;
  /** Side of each square panel in px (default 280). */
  size?: number;
}

/** One square scatter panel per factor, coloured by that factor (viridis), shared axes. */
export function latentFactorsSpec(points: readonly LatentFactorPoint[], opts: LatentFactorsOptions): TopLevelSpec {
  const side = opts.size ?? 280;
  const values = points.map((p) => ({ x: p.x, y: p.y, split: p.split, ...p.factors }));
  const panels = opts.factorNames.map((name) => ({
    title: { text: `coloured by ${name}`, fontSize: 14, anchor: 'middle', frame: 'group' },
    width: side,
    height: side,
    mark: { type: 'point', filled: true, size: 26, opacity: POINT_OPACITY, strokeWidth: 1.6 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: opts.xTitle ?? 'z0', scale: { zero: false, nice: true } },
      y: { field: 'y', type: 'quantitative', title: opts.yTitle ?? 'z1', scale: { zero: false, nice: true } },
      color: { field: name, type: 'quantitative', scale: { scheme: 'viridis' }, legend: { title: name, orient: 'right', gradientLength: side - 40 } },
      shape: {
        field: 'split', type: 'nominal', title: null,
        scale: { domain: ['train', 'validation'], range: ['circle', 'cross'] },
        legend: { orient: 'top', symbolSize: 90, symbolFillColor: '#57606a', symbolStrokeColor: '#57606a' },
      },
      order: { field: 'split', sort: 'ascending' },
    },
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: { ...CHART_CONFIG, concat: { spacing: 36 } },
    title: { text: opts.title ?? 'Encoder means and the known factors', subtitle: opts.subtitle ?? [] },
    data: { values },
    hconcat: panels,
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
  } as TopLevelSpec;
}
