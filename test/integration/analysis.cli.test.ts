/**
 * The analysis commands end to end on a tiny MNIST run trained without the digit 3 (1 epoch on a
 * slice, small batches): eval's active units, anomaly (report, PNG, AUROC), interpolate --method slerp,
 * traverse, search (query and precision@k), fewlabels; --help; bad input → one line, exit 2.
 * Uses the compiled CLI in dist/ (npm run build).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { auroc } from '../../src/analysis/auroc.js';
import { ROOT, vae, expectUserError } from './cliRun.js';

const png = (file: string): PNG => PNG.sync.read(fs.readFileSync(file));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-analysis-'));
const run = path.join(tmp, 'no3');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'anomaly.js'))) throw new Error('build first: npm run build');
  // small batches so one epoch on 2000 images is ~230 steps: enough for a latent space that groups digits
  const r = await vae('train', '--dataset', 'mnist', '--model', 'mlp', '--hidden', '128', '--latent', '8', '--train-limit', '2000',
    '--exclude-labels', '3', '--epochs', '1', '--batch-size', '8', '--out', run, '--seed', '1', '--quiet');
  if (r.status !== 0) throw new Error(`train failed: ${r.stderr}`);
});

describe('analysis commands', () => {
  it('train --exclude-labels records the exclusion in the dataset spec', () => {
    const runJson = JSON.parse(fs.readFileSync(path.join(run, 'run.json'), 'utf8'));
    expect(runJson.dataset.excludeLabels).toEqual([3]);
  });

  it('eval reports active units (text and --json)', async () => {
    const r = await vae('eval', run, '--limit', '300', '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.latent).toBe(8);
    expect(out.unitVariances).toHaveLength(8);
    expect(out.activeUnits).toBe(out.unitVariances.filter((v: number) => v > 0.01).length);
    expect(out.activeDims).toEqual(out.unitVariances.flatMap((v: number, i: number) => (v > 0.01 ? [i] : [])));
    const t = await vae('eval', run, '--limit', '100');
    expect(t.stdout).toMatch(new RegExp(`active units +${out.activeUnits} of 8`));
  });

  it('anomaly writes a ranked report, a PNG and the AUROC of the held-out class', async () => {
    const out = path.join(tmp, 'anomaly.json');
    const r = await vae('anomaly', run, '--limit', '300', '--samples', '10', '--anomaly-label', '3', '--out', out, '--top', '6', '--json');
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    const report = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(report.items).toHaveLength(300);
    // ranked by -log p(x), highest first, ranks 1..n
    for (let i = 1; i < 300; i++) expect(report.items[i - 1].negLogPx).toBeGreaterThanOrEqual(report.items[i].negLogPx);
    expect(report.items.map((x: { rank: number }) => x.rank)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    for (const x of report.items) expect(x.negLogPx).toBeLessThanOrEqual(x.negElbo + 1e-3);
    // the AUROC printed is the one of the report's scores
    const positive = report.items.map((x: { label: number }) => x.label === 3);
    expect(summary.aurocIwae).toBeCloseTo(auroc(report.items.map((x: { negLogPx: number }) => x.negLogPx), positive), 10);
    expect(summary.aurocElbo).toBeCloseTo(auroc(report.items.map((x: { negElbo: number }) => x.negElbo), positive), 10);
    expect(summary.anomalies).toBe(positive.filter(Boolean).length);
    const p = png(path.join(tmp, 'anomaly.png'));
    expect(p.width).toBeGreaterThan(6 * 28);
    expect(p.height).toBeGreaterThan(2 * 28);
    expect(p.height).toBeLessThan(3 * 28 * 3);

    const csv = path.join(tmp, 'anomaly.csv');
    const c = await vae('anomaly', run, '--limit', '50', '--samples', '5', '--score', 'elbo', '--out', csv);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/ranked by -ELBO/);
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('rank,index,label,file,neg_log_px,neg_elbo');
    expect(lines).toHaveLength(51);
    const negElbo = lines.slice(1).map((l) => Number(l.split(',')[5]));
    for (let i = 1; i < 50; i++) expect(negElbo[i - 1]).toBeGreaterThanOrEqual(negElbo[i]);
  });

  it('anomaly scores a folder of PNG files', async () => {
    const dir = path.join(tmp, 'pngs');
    fs.mkdirSync(dir);
    const blank = new PNG({ width: 28, height: 28 });
    blank.data.fill(255);
    fs.writeFileSync(path.join(dir, 'white.png'), PNG.sync.write(blank));
    blank.data.fill(0);
    for (let i = 3; i < blank.data.length; i += 4) blank.data[i] = 255;
    fs.writeFileSync(path.join(dir, 'black.png'), PNG.sync.write(blank));
    const r = await vae('anomaly', run, '--data', dir, '--samples', '5', '--out', path.join(tmp, 'folder.json'), '--json');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(path.join(tmp, 'folder.json'), 'utf8'));
    expect(report.items.map((x: { file: string }) => x.file).sort()).toEqual(['black.png', 'white.png']);
    // an all-white image is far less typical for an MNIST model than an all-black one
    expect(report.items[0].file).toBe('white.png');
  });

  it('interpolate --method slerp and traverse write strips and grids', async () => {
    const i = await vae('interpolate', run, 'test:0', 'test:1', '--method', 'slerp', '--steps', '6', '--out', path.join(tmp, 'slerp.png'));
    expect(i.status, i.stderr).toBe(0);
    expect(i.stdout).toMatch(/spherical/);
    expect(png(path.join(tmp, 'slerp.png')).width).toBeGreaterThan(8 * 28);

    const t = await vae('traverse', run, 'test:0', '--dim', '1', '--range', '-2,2', '--steps', '5', '--out', path.join(tmp, 't1.png'));
    expect(t.status, t.stderr).toBe(0);
    const one = png(path.join(tmp, 't1.png'));
    const all = await vae('traverse', run, 'test:0', '--dims', 'all', '--steps', '5', '--out', path.join(tmp, 'tall.png'));
    expect(all.status, all.stderr).toBe(0);
    const eight = png(path.join(tmp, 'tall.png'));
    expect(eight.width).toBe(one.width);
    expect(eight.height).toBeGreaterThan(7.5 * one.height); // 8 rows of 1
  });

  it('search returns the nearest training images (JSON + PNG) and precision@k', async () => {
    const out = path.join(tmp, 'search.png');
    const r = await vae('search', run, 'test:0', '--k', '5', '--metric', 'cosine', '--out', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.neighbours).toHaveLength(5);
    for (let i = 1; i < 5; i++) expect(res.neighbours[i].distance).toBeGreaterThanOrEqual(res.neighbours[i - 1].distance);
    for (const n of res.neighbours) expect(n.label).not.toBe(3); // the training set has no 3s
    expect(JSON.parse(fs.readFileSync(path.join(tmp, 'search.json'), 'utf8'))).toEqual(res);
    expect(png(out).width).toBeGreaterThan(6 * 28);

    // a training image is its own nearest neighbour at distance 0
    const self = await vae('search', run, 'train:7', '--k', '1', '--json', '--out', path.join(tmp, 'self.png'));
    expect(JSON.parse(self.stdout).neighbours[0]).toMatchObject({ index: 7, distance: 0 });

    const p = await vae('search', run, '--eval-precision', '200', '--k', '10', '--json');
    expect(p.status, p.stderr).toBe(0);
    const pr = JSON.parse(p.stdout);
    expect(pr.queries).toBe(200);
    expect(pr.precisionAtK).toBeGreaterThan(0.3); // chance is about 0.1
    expect(pr.precisionAtK).toBeLessThanOrEqual(1);
  });

  it('fewlabels prints kNN and k-means accuracies for each fraction', async () => {
    const r = await vae('fewlabels', run, '--fraction', '0.02,0.5', '--limit', '300', '--clusters', '20', '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.results.map((x: { fraction: number }) => x.fraction)).toEqual([0.02, 0.5]);
    expect(out.results[0].labelled).toBe(Math.round(0.02 * out.train));
    expect(out.results[1].labelled).toBe(Math.round(0.5 * out.train));
    for (const x of out.results) {
      for (const a of [x.knnAccuracy, x.kMeansAccuracy]) {
        expect(a).toBeGreaterThanOrEqual(0);
        expect(a).toBeLessThanOrEqual(1);
      }
    }
    // with half the labels even this 1-epoch model beats chance (0.1) clearly
    expect(out.results[1].knnAccuracy).toBeGreaterThan(0.4);
    expect(out.results[1].kMeansAccuracy).toBeGreaterThan(0.3);
    const t = await vae('fewlabels', run, '--fraction', '0.05', '--limit', '100', '--clusters', '10');
    expect(t.stdout).toMatch(/5\.00% labels \(\d+\): 5-NN \d+\.\d+%, k-means \(10 clusters/);
  });

  it('--help explains every analysis command', async () => {
    for (const cmd of ['anomaly', 'traverse', 'search', 'fewlabels', 'eval', 'interpolate']) {
      const r = await vae(cmd, '--help');
      expect(r.status, cmd).toBe(0);
      expect(r.stdout).toMatch(/Usage: vae/);
    }
    expect((await vae('anomaly', '--help')).stdout).toMatch(/AUROC/);
    expect((await vae('train', '--help')).stdout).toMatch(/--exclude-labels/);
  });

  it('bad input: one line, exit 2', async () => {
    expectUserError(await vae('anomaly', run, '--score', 'mse'), /--score must be one of iwae, elbo/);
    expectUserError(await vae('anomaly', run, '--out', path.join(tmp, 'x.txt')), /must end in .json or .csv/);
    expectUserError(await vae('anomaly', run, '--data', path.join(tmp, 'nope')), /not a folder of images/);
    expectUserError(await vae('anomaly', run, '--limit', '20', '--anomaly-label', '11'), /no input .* has that label/);
    expectUserError(await vae('search', run), /give a query IMAGE/);
    expectUserError(await vae('search', run, 'test:0', '--metric', 'manhattan'), /--metric must be one of/);
    expectUserError(await vae('traverse', run, 'test:0', '--dim', '9'), /--dim must be 'all' or dimensions in 0..7/);
    expectUserError(await vae('traverse', run, 'test:0', '--range', '1'), /--range must be two numbers/);
    expectUserError(await vae('interpolate', run, 'test:0', 'test:1', '--method', 'cubic'), /--method must be one of linear, slerp/);
    expectUserError(await vae('fewlabels', run, '--fraction', '0'), /--fraction must be numbers in \(0, 1\]/);
    expectUserError(await vae('train', '--dataset', 'mnist', '--exclude-labels', 'three'), /--exclude-labels must be a comma-separated list/);
    expectUserError(await vae('train', '--dataset', 'mnist', '--exclude-labels', '12', '--out', path.join(tmp, 'x')), /excluded label 12/);
    const faces = path.join(tmp, 'faces-run');
    expectUserError(await vae('train', '--dataset', 'faces', '--exclude-labels', '1', '--out', faces), /no labels/);
  });
});
