/** The pictures a run folder gets after training: samples and loss curves. */
import * as path from 'node:path';
import { loadRunModel, readRun } from '../train/run.js';
import { sampleImages } from '../analysis/generate.js';
import type { ModelConfig } from '../models/config.js';
import { lossCurvesSpec } from '../plot/lossCurves.js';
import { writeGridPng } from './common.js';

/** The line under the loss curves that says which likelihood the losses come from. */
export function likelihoodNote(model: ModelConfig): string {
  if (model.likelihood.kind !== 'gaussian') return 'Bernoulli likelihood (from logits)';
  const d = model.height * model.width * model.channels;
  const sigma2 = model.likelihood.sigma2;
  const constant = 0.5 * d * Math.log(2 * Math.PI * sigma2);
  const term = sigma2 === 1 ? '½·d·log 2π' : `½·d·log(2π·${sigma2})`;
  return `Gaussian likelihood (σ² = ${sigma2}): losses include the constant ${term} = ${constant.toFixed(2)} nats (d = ${d})`;
}

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
