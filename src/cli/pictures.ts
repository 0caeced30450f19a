/** The pictures a run folder gets after training: samples and loss curves. */
import * as path from 'node:path';
import { loadRunModel, readRun } from '../train/run.js';
import { sampleImages } from '../analysis/generate.js';
import { lossCurvesSvg } from '../analysis/plotCurves.js';
import { lossCurvesRaster } from '../analysis/raster.js';
import { writeFileAtomic } from '../train/files.js';
import { writePngAtomic } from '../data/png.js';
import { writeGridPng } from './common.js';

export async function writeCurves(runDir: string, file: string): Promise<void> {
  const run = readRun(runDir);
  const note = run.model.likelihood.kind === 'gaussian'
    ? 'Gaussian likelihood: losses include the constant ½·d·log 2π'
    : 'Bernoulli likelihood';
  const title = `${path.basename(path.resolve(runDir))}: ${run.dataset.name}`;
  if (file.endsWith('.png')) {
    const r = lossCurvesRaster(run.history, { title, note });
    writePngAtomic(file, r.data, r.width, r.height, 3);
  } else {
    writeFileAtomic(file, lossCurvesSvg(run.history, { title, note }));
  }
}

/** samples.png (24 draws from the prior, 4x6), curves.svg and curves.png; returns their paths. */
export async function writeRunPictures(runDir: string): Promise<string[]> {
  const { vae } = await loadRunModel(runDir);
  try {
    const samples = path.join(runDir, 'samples.png');
    const { images } = sampleImages(vae, 24, 1);
    writeGridPng(samples, images, 24, vae.imageShape, { cols: 6 });
    const svg = path.join(runDir, 'curves.svg');
    const png = path.join(runDir, 'curves.png');
    await writeCurves(runDir, svg);
    await writeCurves(runDir, png);
    return [samples, svg, png];
  } finally {
    vae.dispose();
  }
}
