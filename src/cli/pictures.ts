/** The pictures a run folder gets after training: samples and loss curves. */
import * as path from 'node:path';
import { loadRunModel, readRun } from '../train/run.js';
import { sampleImages } from '../analysis/generate.js';
import { likelihoodNote } from '../models/config.js';
import { lossCurvesSpec } from '../plot/lossCurves.js';
import { writeGridPng } from './common.js';

/** The loss curves of a run as SVG or PNG (by the extension of each file), written atomically. */
export async function writeCurves(runDir: string, ...files: string[]): Promise<void> {
  const run = readRun(runDir);
  const title = `${path.basename(path.resolve(runDir))}: ${run.dataset.name}`;
  // vega and sharp load in ~0.4 s: only the commands that draw pay for them
  const { writeChart } = await import('../plot/render.js');
  await writeChart(lossCurvesSpec(run.history, { title, notes: [likelihoodNote(run.model)], bestEpoch: run.bestEpoch }), ...files);
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
    await writeCurves(runDir, svg, png);
    return [samples, svg, png];
  } finally {
    vae.dispose();
  }
}
