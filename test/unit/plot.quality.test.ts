import { describe, expect, it } from 'vitest';
import { chartSvg } from '../../src/plot/render.js';
import { qualityChartSpec, type PublishedLine, type QualityPoint } from '../../src/plot/qualityChart.js';

const A = '784-200-200-50 tanh, MNIST';
const B = '784-200-200-50 tanh, Fashion-MNIST';
const points: QualityPoint[] = [
  { panel: A, series: 'VAE', epochs: 40, nll: 92.47 },
  { panel: A, series: 'VAE', epochs: 121, nll: 90.11 },
  { panel: A, series: 'IWAE k=5', epochs: 40, nll: 90.91 },
  { panel: B, series: 'VAE', epochs: 40, nll: 236.56 },
];
const published: PublishedLine[] = [
  { panel: A, series: 'VAE', nll: 86.76 },
  { panel: A, series: 'IWAE k=5', nll: 85.54 },
];

/** The visible texts of one role (axis titles, legend labels, …) in a vega SVG. */
const texts = (svg: string, role: string): string[] =>
  [...svg.matchAll(new RegExp(`<g class="mark-text role-${role}[^"]*"[^>]*>(.*?)</g>`, 'g'))].flatMap((m) => [...m[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]));

describe('qualityChartSpec rendered by vega', () => {
  it('one panel per model and data, a point per evaluation, published values as labelled dashed rules only where they exist', async () => {
    const svg = await chartSvg(qualityChartSpec(points, published, { series: ['VAE', 'IWAE k=5', 'IWAE k=50'] }));
    expect(texts(svg, 'title')).toEqual(expect.arrayContaining(['Test NLL against training epochs', A, B]));
    // 3 points in panel A, 1 in panel B (line marks with points are symbols)
    const symbols = [...svg.matchAll(/<g class="mark-symbol role-mark concat_(\d)_[^"]*"[^>]*>(.*?)<\/g>/g)].map((g) => [g[1], [...g[2].matchAll(/<path /g)].length]);
    expect(symbols).toEqual([['0', 3], ['1', 1]]);
    // two dashed rules with their labels, both in the first panel
    const rules = [...svg.matchAll(/<g class="mark-rule role-mark concat_(\d)_[^"]*"[^>]*>(.*?)<\/g>/g)];
    expect(rules.map((r) => r[1])).toEqual(['0']);
    expect([...rules[0][2].matchAll(/stroke-dasharray="6,4"/g)]).toHaveLength(2);
    expect(texts(svg, 'mark')).toEqual(['published VAE: 86.76', 'published IWAE k=5: 85.54']);
    // the legend: only the series drawn, in the given order (IWAE k=50 has no point here)
    expect(texts(svg, 'legend-label')).toEqual(['VAE', 'IWAE k=5']);
  });
});

describe('qualityChartSpec colours', () => {
  it('a series keeps its colour whichever other series are present', () => {
    const order = ['VAE', 'IWAE k=5', 'VampPrior K=500', 'IWAE k=50'];
    const colourOf = (pts: QualityPoint[], name: string): string => {
      const spec = qualityChartSpec(pts, [], { series: order }) as unknown as { hconcat: { layer: { encoding: { color: { scale: { domain: string[]; range: string[] } } } }[] }[] };
      const scale = spec.hconcat[0].layer.at(-1)!.encoding.color.scale;
      return scale.range[scale.domain.indexOf(name)];
    };
    const k50 = { panel: A, series: 'IWAE k=50', epochs: 40, nll: 89.95 };
    const vamp = { panel: A, series: 'VampPrior K=500', epochs: 40, nll: 95 };
    expect(colourOf([points[0], k50], 'IWAE k=50')).toBe(colourOf([points[0], vamp, k50], 'IWAE k=50'));
    expect(colourOf([points[0], k50], 'IWAE k=50')).not.toBe(colourOf([points[0], vamp, k50], 'VampPrior K=500'));
  });
});
