/**
 * Compares trained runs (e.g. the same faces model under --likelihood gaussian, gaussian-learned
 * and continuous-bernoulli): per run the validation −ELBO of its last and best epochs, and the
 * sharpness of 64 samples z ~ p(z) decoded to the likelihood's mean (src/analysis/sharpness.ts),
 * with a grid PNG of those samples (RUN/samples-64.png, as `vae sample RUN --n 64` writes it).
 * −ELBO values of different likelihoods are in different units of density and are not comparable
 * as numbers (see README); sharpness is.
 *
 *   npm run build && node dist/bench/likelihoods.js runs/faces-gauss runs/faces-sigma runs/faces-cb
 */
import * as path from 'node:path';
import { useBackend } from '../src/engine/backend.js';
import { loadRunModel } from '../src/train/run.js';
import { sampleImages } from '../src/analysis/generate.js';
import { sharpness } from '../src/analysis/sharpness.js';
import { writeGridPng } from '../src/cli/common.js';

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  process.stderr.write('usage: node dist/bench/likelihoods.js RUN...\n');
  process.exit(2);
}
await useBackend('wasm');
const rows: string[] = [];
for (const dir of dirs) {
  const { run, vae } = await loadRunModel(dir);
  const last = run.history[run.history.length - 1];
  const best = run.history.find((h) => h.epoch === run.bestEpoch)!;
  const { images } = sampleImages(vae, 64, 0);
  const s = sharpness(images, 64, vae.imageShape);
  const png = path.join(dir, 'samples-64.png');
  writeGridPng(png, images, 64, vae.imageShape, { cols: 8 });
  const lik = run.model.likelihood.kind === 'gaussian' ? `gaussian σ²=${run.model.likelihood.sigma2}` : run.model.likelihood.kind;
  rows.push(`| ${lik} | ${dir} | ${last.epoch} | ${last.validation.loss.toFixed(1)} | ${best.validation.loss.toFixed(1)} (e${best.epoch}) | ${s.gradient.toFixed(4)} | ${s.laplacianVariance.toFixed(5)} | ${png} |`);
  vae.dispose();
}
process.stdout.write('| likelihood | run | epochs | val −ELBO (last) | val −ELBO (best) | sample gradient | sample Laplacian var. | samples |\n|---|---|---|---|---|---|---|---|\n' + rows.join('\n') + '\n');
