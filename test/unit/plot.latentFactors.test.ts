import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { chartSvg, svgToPng } from '../../src/plot/render.js';
import { POINT_OPACITY, latentFactorsSpec, type LatentFactorPoint } from '../../src/plot/latentFactors.js';
import { plotDims } from '../../src/cli/factors.js';
import { matrix } from '../../src/analysis/factors.js';

/** 40 training points on a line and 10 validation points, size rising with x, hue with y. */
function points(): LatentFactorPoint[] {
  const out: LatentFactorPoint[] = [];
  for (let i = 0; i < 50; i++) {
    const t = i / 49;
    out.push({ x: -2 + 4 * t, y: Math.sin(6 * t), split: i % 5 === 0 ? 'validation' : 'train', factors: { size: 0.4 + t, hue: 0.3 + 0.5 * (1 - t) } });
  }
  return out;
}

describe('latentFactorsSpec rendered by vega', () => {
  it('one symbol per point and panel, crosses for validation, a colour legend per factor, the axis titles', async () => {
    const svg = await chartSvg(latentFactorsSpec(points(), { factorNames: ['size', 'hue'], xTitle: 'z0 (encoder mean)', yTitle: 'z1 (encoder mean)' }));
    const groups = [...svg.matchAll(/<g class="mark-symbol role-mark concat_(\d)_marks"[^>]*>(.*?)<\/g>/g)];
    expect(groups.map((g) => g[1])).toEqual(['0', '1']);
    for (const g of groups) {
      const symbols = [...g[2].matchAll(/<path [^>]*aria-label="([^"]*)"/g)].map((m) => m[1]);
      expect(symbols).toHaveLength(50);
      expect(symbols.filter((l) => l.includes('split: validation'))).toHaveLength(10);
    }
    const legendTitles = [...svg.matchAll(/<g class="mark-text role-legend-title"[^>]*>(.*?)<\/g>/g)].map((m) => m[1].replace(/<[^>]+>/g, ''));
    expect(legendTitles).toEqual(expect.arrayContaining(['size', 'hue']));
    const axisTitles = [...svg.matchAll(/<g class="mark-text role-axis-title"[^>]*>(.*?)<\/g>/g)].map((m) => m[1].replace(/<[^>]+>/g, ''));
    expect(axisTitles.filter((t) => t === 'z0 (encoder mean)')).toHaveLength(2);
    expect(axisTitles.filter((t) => t === 'z1 (encoder mean)')).toHaveLength(2);
  });

  it('colours run from one end of viridis to the other (dark purple to yellow) in the PNG', async () => {
    const png = await svgToPng(await chartSvg(latentFactorsSpec(points(), { factorNames: ['size', 'hue'] })));
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    // a point's colour over the white background
    const near = (...rgb: number[]): number => {
      const [r, g, b] = rgb.map((c) => POINT_OPACITY * c + (1 - POINT_OPACITY) * 255);
      let n = 0;
      for (let i = 0; i < data.length; i += info.channels) if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 30) n++;
      return n;
    };
    expect(near(0x44, 0x01, 0x54)).toBeGreaterThan(200); // viridis at 0
    expect(near(0xfd, 0xe7, 0x25)).toBeGreaterThan(200); // viridis at 1
  });
});

describe('plotDims', () => {
  it('keeps z0, z1 of a 2-D code and picks the two of largest variance otherwise', () => {
    expect(plotDims(matrix([1, 2, 3, 4], 2, 2))).toEqual([0, 1]);
    // variances: dim 0 tiny, dim 1 large, dim 2 medium
    expect(plotDims(matrix([0, -10, 1, 0.01, 10, -1], 2, 3))).toEqual([1, 2]);
  });
});
