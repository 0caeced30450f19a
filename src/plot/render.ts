/**
 * The one way the CLI draws a chart: a vega-lite spec, compiled by `vega-lite` to a vega spec,
 * rendered headless to SVG by `vega` (renderer 'none': no canvas, no DOM), and, for a PNG, that
 * same SVG rasterised by `sharp`. Charts are specified in the small modules beside this file.
 *
 * Text widths: with no canvas (node-canvas is not installed) vega lays text out with its own
 * estimate, 0.8 em per character. That is wider than the glyphs of the sans-serif font the charts
 * use, so labels and legends get a little more room than they need and never overlap or clip.
 */
import sharp from 'sharp';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../data/files.js';
import { UserError } from '../errors.js';

/** Renders a vega-lite spec to a standalone SVG document. */
export async function chartSvg(spec: TopLevelSpec): Promise<string> {
  const { spec: compiled } = compile(spec);
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG document with sharp at `scale` times its size (2 gives crisp text on a README). */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 72 * scale }).flatten({ background: '#ffffff' }).png().toBuffer();
}

/**
 * Writes a chart to each file as SVG or PNG, by the file's extension (the PNG is the SVG
 * rasterised at twice its size); each file is replaced atomically. The chart is rendered once.
 */
export async function writeChart(spec: TopLevelSpec, ...files: string[]): Promise<void> {
  for (const file of files) {
    if (!/\.(svg|png)$/i.test(file)) throw new UserError(`${file}: a chart is written as .svg or .png`);
  }
  const svg = await chartSvg(spec);
  for (const file of files) writeFileAtomic(file, /\.png$/i.test(file) ? await svgToPng(svg) : svg);
}
