/**
 * Compares trained runs (e.g. the same faces model under --likelihood gaussian, gaussian-learned,
 * continuous-bernoulli and bernoulli) on what does not depend on the likelihood's units:
 *
 * - the validation −ELBO of its last and best epochs (in each likelihood's own density units:
 *   NOT comparable across likelihoods, see README), its epochs, engine and training wall time;
 * - the sharpness of 64 samples z ~ p(z) decoded to the likelihood's mean (mean gradient magnitude
 *   and Laplacian variance of the luminance, src/analysis/sharpness.ts), and of the validation
 *   reconstructions (decoded encoder means), next to the same measures of the data itself;
 * - the reconstruction error of the validation images in pixel units (mean squared error of the
 *   decoded mean, per pixel value), which every likelihood can be compared on.
 *
 * Pictures: RUN/samples-64.png (as `vae sample RUN --n 64` writes it) and RUN/recon-32.png (rows
 * of 8: 8 validation images, their reconstructions, 8 more, theirs).
 *
 *   npm run build && node dist/bench/likelihoods.js runs/faces-gauss runs/faces-sigma runs/faces-cb
 */
import * as path from 'node:path';
import { useBackend } from '../src/engine/backend.js';
import { loadRunModel } from '../src/train/run.js';
import { loadDataset } from '../src/data/load.js';
import { reconstructImages, sampleImages } from '../src/analysis/generate.js';
import { sharpness } from '../src/analysis/sharpness.js';
import { writeGridPng } from '../src/cli/common.js';

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  process.stderr.write('usage: node dist/bench/likelihoods.js RUN...\n');
  process.exit(2);
}
await useBackend('wasm');
const RECON = 32;
const f4 = (v: number): string => v.toFixed(4);
const f5 = (v: number): string => v.toFixed(5);
const rows: string[] = [];
const dataRows = new Map<string, string>();
for (const dir of dirs) {
  const { run, vae } = await loadRunModel(dir);
  try {
    const last = run.history[run.history.length - 1];
    const best = run.history.find((h) => h.epoch === run.bestEpoch)!;
    const seconds = run.history.reduce((s, h) => s + h.seconds, 0);
    const engines = [...new Set(run.history.map((h) => h.engine ?? run.backend))].join('+');
    const shape = vae.imageShape;
    const size = shape[0] * shape[1] * shape[2];

    const { images } = sampleImages(vae, 64, 0);
    const s = sharpness(images, 64, shape);
    const png = path.join(dir, 'samples-64.png');
    writeGridPng(png, images, 64, shape, { cols: 8 });

    const data = await loadDataset(run.dataset);
    const n = Math.min(data.validation.count, 256);
    const x = data.validation.images.subarray(0, n * size);
    const rec = reconstructImages(vae, x, n);
    let se = 0;
    for (let i = 0; i < n * size; i++) se += (rec[i] - x[i]) ** 2;
    const r = sharpness(rec, n, shape);
    const key = JSON.stringify(run.dataset);
    if (!dataRows.has(key)) {
      const d = sharpness(x, n, shape);
      dataRows.set(key, `| data itself (${data.name}, first ${n} validation images) | - | - | - | - | ${f4(d.gradient)} | ${f5(d.laplacianVariance)} | - | - | 0 | - |`);
    }
    // reconstruction grid: rows alternate 8 originals and their 8 reconstructions
    const m = Math.min(RECON, n) - (Math.min(RECON, n) % 8);
    const grid = new Float32Array(2 * m * size);
    for (let row = 0; row < m / 8; row++) {
      grid.set(x.subarray(row * 8 * size, (row + 1) * 8 * size), 2 * row * 8 * size);
      grid.set(rec.subarray(row * 8 * size, (row + 1) * 8 * size), (2 * row + 1) * 8 * size);
    }
    const recPng = path.join(dir, `recon-${m}.png`);
    writeGridPng(recPng, grid, 2 * m, shape, { cols: 8 });

    const lik = run.model.likelihood.kind === 'gaussian' ? `gaussian σ²=${run.model.likelihood.sigma2}` : run.model.likelihood.kind;
    const bin = run.training.binarize && run.training.binarize !== 'none' ? ` (binarize ${run.training.binarize})` : '';
    rows.push(
      `| ${lik}${bin} | ${dir} | ${last.epoch} | ${last.validation.loss.toFixed(1)} | ${best.validation.loss.toFixed(1)} (e${best.epoch}) ` +
        `| ${f4(s.gradient)} | ${f5(s.laplacianVariance)} | ${f4(r.gradient)} | ${f5(r.laplacianVariance)} | ${f5(se / (n * size))} ` +
        `| ${seconds.toFixed(0)} s, ${engines} |`,
    );
    process.stderr.write(`${dir}: ${png}, ${recPng}\n`);
  } finally {
    vae.dispose();
  }
}
process.stdout.write(
  '| likelihood | run | epochs | val −ELBO (last) | val −ELBO (best) | sample gradient | sample Laplacian var. | recon. gradient | recon. Laplacian var. | recon. MSE | training time, engine |\n' +
    '|---|---|---|---|---|---|---|---|---|---|---|\n' +
    [...dataRows.values(), ...rows].join('\n') + '\n',
);
