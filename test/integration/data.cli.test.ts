/**
 * The user's own data through the built CLI:
 * - an image folder with two class sub-folders (PNG, JPEG and WebP of different sizes and aspect
 *   ratios, generated with sharp): trained with the conv model at --size 64 --channels 1; the labels
 *   reach the run's dataset spec, `vae anomaly`, `vae search`, `vae fewlabels` and the explorer's
 *   testset.bin;
 * - a CSV file with one Gaussian cluster and a few far outliers: trained, then `vae anomaly` on the
 *   file ranks the outliers first (AUROC 1), as JSON and as a CSV report; a new CSV is scored with
 *   the run's standardisation;
 * - bad options and bad CSV cells: one line, exit status 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { expectUserError, vae } from './cliRun.js';
import { buildTestSet } from '../../src/server/testset.js';
import { hasTestSet } from '../../src/server/testsetFormat.js';
import type { DatasetSpec } from '../../src/data/load.js';
import { auroc } from '../../src/analysis/auroc.js';
import { Rng } from '../../src/math/rng.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-data-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const images = path.join(tmp, 'shapes');
const imageRun = path.join(tmp, 'shapes-run');

/** 2 classes × 12 images: bright discs on dark (class 'disc', mean gray < 128) and thin dark stripes on light ('stripes', > 128). */
async function writeShapes(): Promise<void> {
  const formats = ['png', 'jpeg', 'webp'] as const;
  for (const cls of ['stripes', 'disc']) {
    fs.mkdirSync(path.join(images, cls), { recursive: true });
    for (let i = 0; i < 12; i++) {
      const w = 40 + (i % 4) * 12, h = 36 + (i % 3) * 10;
      const px = Buffer.alloc(w * h * 3);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const on = cls === 'disc' ? (x - w / 2) ** 2 + (y - h / 2) ** 2 < (10 + (i % 5)) ** 2 : (x + i) % 10 < 3;
          const rgb = cls === 'disc' ? (on ? [240, 220, 60] : [20, 20, 40]) : on ? [30, 30, 30] : [220, 220, 230];
          px.set(rgb, (y * w + x) * 3);
        }
      }
      const f = formats[i % 3];
      await sharp(px, { raw: { width: w, height: h, channels: 3 } }).toFormat(f).toFile(path.join(images, cls, `${i}.${f === 'jpeg' ? 'jpg' : f}`));
    }
  }
  fs.writeFileSync(path.join(images, 'README.txt'), 'two classes');
}

/** CSV rows: a correlated 3-D Gaussian cluster (x, y = 2x + noise, z) plus outliers 20 off the line (about 7 standard deviations of y). */
function writeCsv(file: string, n: number, outliers: number[], seed: number): void {
  const rng = new Rng(seed);
  const lines = ['when,x,y,z,site,group'];
  for (let i = 0; i < n; i++) {
    const x = rng.normal(), z = rng.normal();
    const far = outliers.includes(i);
    const y = 2 * x + (far ? (i % 2 ? 20 : -20) : 0.1 * rng.normal());
    lines.push([1000 + i, (10 + x).toFixed(4), (y * 3).toFixed(4), (50 + 5 * z).toFixed(4), `s${i % 4}`, far ? 'odd' : 'usual'].join(','));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

beforeAll(async () => {
  await writeShapes();
  const r = await vae('train', '--dataset', 'folder', '--data-path', images, '--size', '64', '--channels', '1', '--validation', '0.25',
    '--model', 'conv', '--latent', '2', '--epochs', '2', '--batch-size', '8', '--seed', '3', '--out', imageRun, '--quiet');
  if (r.status !== 0) throw new Error(`training the folder run failed: ${r.stderr}`);
}, 300_000);

describe('an image folder with class sub-folders', () => {
  it('records the classes and the conv model at 64x64x1 in the run', () => {
    const run = JSON.parse(fs.readFileSync(path.join(imageRun, 'run.json'), 'utf8')) as { dataset: DatasetSpec; model: { kind: string; height: number; width: number; channels: number; filters: number[] } };
    expect(run.dataset).toMatchObject({ name: 'folder', height: 64, width: 64, channels: 1, fit: 'cover', classNames: ['disc', 'stripes'], validation: 0.25 });
    expect(run.model).toMatchObject({ kind: 'conv', height: 64, width: 64, channels: 1, filters: [32, 64, 128] });
  });

  it('anomaly: labels from the folders, AUROC of one class; a CSV report', async () => {
    const out = path.join(tmp, 'anomaly.json');
    const r = await vae('anomaly', imageRun, '--samples', '4', '--anomaly-label', 'stripes', '--out', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { data: string; inputs: number; anomalyLabel: number; anomalies: number; aurocIwae: number };
    expect(s.anomalyLabel).toBe(1);
    expect(s.data).toMatch(/^folder:.*shapes validation$/);
    expect(s.inputs).toBe(6); // 25% of 24
    expect(s.anomalies).toBeGreaterThan(0);
    expect(s.aurocIwae).toBeGreaterThanOrEqual(0);
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as { items: { label: number; file: string }[] };
    for (const it of report.items) expect(it.file.startsWith(it.label === 0 ? 'disc/' : 'stripes/')).toBe(true);
    // the whole folder as --data: labels from its sub-folders too
    const all = await vae('anomaly', imageRun, '--data', images, '--samples', '2', '--anomaly-label', '0', '--out', path.join(tmp, 'all.csv'), '--json');
    expect(all.status, all.stderr).toBe(0);
    expect((JSON.parse(all.stdout) as { inputs: number; anomalies: number }).anomalies).toBe(12);
    const csv = fs.readFileSync(path.join(tmp, 'all.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('rank,index,label,file,neg_log_px,neg_elbo,complexity_bits');
    expect(csv).toHaveLength(25);
  });

  it('search: neighbours carry labels and files; precision@k over the validation images', async () => {
    const r = await vae('search', imageRun, 'train:0', '--k', '3', '--out', path.join(tmp, 'search.png'), '--json');
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { neighbours: { label: number; file: string; distance: number }[] };
    expect(s.neighbours).toHaveLength(3);
    expect(s.neighbours[0].distance).toBe(0); // the training image itself
    for (const n of s.neighbours) expect(n.file.startsWith(n.label === 0 ? 'disc/' : 'stripes/')).toBe(true);
    const p = await vae('search', imageRun, '--eval-precision', '6', '--k', '3', '--json');
    expect(p.status, p.stderr).toBe(0);
    const e = JSON.parse(p.stdout) as { queries: number; precisionAtK: number };
    expect(e.queries).toBe(6);
    expect(e.precisionAtK).toBeGreaterThanOrEqual(0);
    expect(e.precisionAtK).toBeLessThanOrEqual(1);
  });

  it('fewlabels: classifies the validation images (no test split) from a few labels', async () => {
    const r = await vae('fewlabels', imageRun, '--fraction', '0.5', '--clusters', '4', '--neighbours', '3', '--json');
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { train: number; test: number; results: { labelled: number; knnAccuracy: number }[] };
    expect(s.train).toBe(18);
    expect(s.test).toBe(6);
    expect(s.results[0].labelled).toBe(9);
  });

  it('testset.bin for the explorer: the validation images with their labels', async () => {
    const run = JSON.parse(fs.readFileSync(path.join(imageRun, 'run.json'), 'utf8')) as { dataset: DatasetSpec };
    expect(hasTestSet(run.dataset)).toBe(true);
    expect(hasTestSet({ name: 'folder' })).toBe(false); // no classes: no MNIST views
    const t = await buildTestSet(run.dataset);
    expect([t.count, t.height, t.width, t.channels, t.split]).toEqual([6, 64, 64, 1, 'validation']);
    expect(t.classNames).toEqual(['disc', 'stripes']);
    // a disc image is mostly dark, a stripes image mostly light: the labels follow the pixels
    for (let i = 0; i < t.count; i++) {
      const px = t.pixels.subarray(i * 64 * 64, (i + 1) * 64 * 64);
      const mean = px.reduce((a, b) => a + b, 0) / px.length;
      expect(mean < 128 ? 0 : 1, `image ${i}`).toBe(t.labels[i]);
    }
  });

  it('data preview shows the images as the model sees them (size, channels, fit)', async () => {
    const out = path.join(tmp, 'preview.png');
    const r = await vae('data', 'preview', '--dataset', 'folder', '--data-path', images, '--size', '16', '--channels', '1', '--fit', 'contain', '--n', '4', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/read 24 images \(jpeg 8, png 8, webp 8\) in 2 classes from sub-folders \(disc 12, stripes 12\); skipped 1 files that are not images/);
    expect(r.stdout).toMatch(/4 train images of folder:.*, 1x16x16/);
    expect((await sharp(out).metadata()).format).toBe('png');
  });

  it('refuses sizes the conv model cannot take, and folder options on other datasets', async () => {
    expectUserError(await vae('train', '--dataset', 'folder', '--data-path', images, '--size', '31', '--out', path.join(tmp, 'x')),
      /--size 31: the conv model .* needs an even size/);
    expectUserError(await vae('train', '--dataset', 'folder', '--data-path', images, '--channels', '2', '--out', path.join(tmp, 'x')), /--channels must be 1 \(gray\) or 3/);
    expectUserError(await vae('train', '--dataset', 'faces', '--size', '64', '--out', path.join(tmp, 'x')), /--size, --channels and --fit apply to --dataset folder/);
    expectUserError(await vae('train', '--dataset', 'folder', '--data-path', images, '--fit', 'zoom', '--out', path.join(tmp, 'x')), /--fit must be one of cover, contain, fill/);
    expect(fs.existsSync(path.join(tmp, 'x'))).toBe(false);
  });
});

describe('a CSV file', () => {
  const data = path.join(tmp, 'table.csv');
  const run = path.join(tmp, 'table-run');
  const outliers = [7, 50, 123, 200, 260];

  it('trains an MLP VAE with a linear Gaussian mean on standardised features; anomaly ranks the outliers first (AUROC 1)', async () => {
    writeCsv(data, 300, outliers, 1);
    const t = await vae('train', '--dataset', 'csv', '--data-path', data, '--label-column', 'group', '--ignore-columns', 'when', '--epochs', '30', '--out', run);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/read 300 rows × 3 numeric features .*label column 'group' with 2 classes; ignored columns: when, site/);
    expect(t.stderr).toMatch(/MLP VAE 3-64-2 \(relu\), Gaussian\(sigma\^2=0.1, linear mean\)/);
    const spec = (JSON.parse(fs.readFileSync(path.join(run, 'run.json'), 'utf8')) as { dataset: DatasetSpec; model: { likelihood: unknown } });
    expect(spec.model.likelihood).toEqual({ kind: 'gaussian', sigma2: 0.1, mean: 'identity' });
    expect(spec.dataset.features!.columns).toEqual(['x', 'y', 'z']);
    expect(spec.dataset.classNames).toEqual(['odd', 'usual']);

    const report = path.join(tmp, 'scores.csv');
    const r = await vae('anomaly', run, '--data-path', data, '--score', 'elbo', '--samples', '8', '--out', report, '--json');
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { inputs: number; png?: string };
    expect(s.inputs).toBe(300);
    expect(s.png).toBeUndefined();
    const lines = fs.readFileSync(report, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('rank,row,label,class,neg_log_px,neg_elbo');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows).toHaveLength(300);
    // the five outliers hold the top five ranks
    expect(rows.slice(0, 5).map((c) => Number(c[1])).sort((a, b) => a - b)).toEqual(outliers);
    expect(rows.slice(0, 5).every((c) => c[3] === 'odd')).toBe(true);
    const scores = Float32Array.from(rows, (c) => Number(c[5]));
    expect(auroc(scores, rows.map((c) => outliers.includes(Number(c[1]))))).toBe(1);
  }, 300_000);

  it('scores a new CSV with the run\'s standardisation and prints the rows', async () => {
    const fresh = path.join(tmp, 'new.csv');
    writeCsv(fresh, 60, [3, 33], 2);
    const r = await vae('anomaly', run, '--data', fresh, '--samples', '8', '--anomaly-label', 'odd', '--out', path.join(tmp, 'new.json'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/most anomalous: row (3|33) \(label 0\) [\d.]+; row (3|33) \(label 0\)/);
    expect(r.stdout).toMatch(/AUROC of label 0 as the anomaly \(2 of 60\): 1\.0000 by -log p\(x\)/);
  }, 120_000);

  it('a non-numeric cell, a missing label column, image options: one line, exit 2', async () => {
    const bad = path.join(tmp, 'bad.csv');
    fs.writeFileSync(bad, 'a,b\n1,2\n3,4\n5,x7\n');
    expectUserError(await vae('train', '--dataset', 'csv', '--data-path', bad, '--out', path.join(tmp, 'y')), /bad\.csv: row 2 \(line 4\), column 'b': 'x7' is not a number/);
    expectUserError(await vae('train', '--dataset', 'csv', '--data-path', data, '--label-column', 'nope', '--out', path.join(tmp, 'y')), /table\.csv: no column 'nope' for --label-column/);
    expectUserError(await vae('train', '--dataset', 'csv', '--data-path', data, '--model', 'conv', '--out', path.join(tmp, 'y')), /--dataset csv needs an MLP model/);
    expectUserError(await vae('train', '--dataset', 'csv', '--out', path.join(tmp, 'y')), /--dataset csv needs --data-path FILE\.csv/);
    expectUserError(await vae('anomaly', run, '--anomaly-label', 'weird', '--samples', '2', '--out', path.join(tmp, 'y.json')), /--anomaly-label weird: not a class of .* \(classes: odd, usual\)/);
    expect(fs.existsSync(path.join(tmp, 'y'))).toBe(false);
    expect(fs.existsSync(path.join(tmp, 'y.json'))).toBe(false);
  }, 120_000);
});
