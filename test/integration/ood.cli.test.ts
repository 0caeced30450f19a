/**
 * `vae anomaly --ood DATA` with the four scores on a tiny MNIST model and its background model
 * (`vae train --perturb replace:0.2`): the report's scores follow their definitions, the AUROCs are
 * the report's, and bad combinations are one-line errors. Uses the compiled CLI (npm run build).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { auroc } from '../../src/analysis/auroc.js';
import { ROOT, vae, expectUserError } from './cliRun.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-ood-'));
const main = path.join(tmp, 'main');
const bg = path.join(tmp, 'bg');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const small = ['--dataset', 'mnist', '--model', 'mlp', '--hidden', '32', '--latent', '4', '--train-limit', '1000', '--epochs', '1', '--batch-size', '32', '--quiet'];

beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'analysis', 'ood.js'))) throw new Error('build first: npm run build');
  const [a, b] = await Promise.all([vae('train', ...small, '--out', main), vae('train', ...small, '--perturb', 'replace:0.2', '--out', bg)]);
  if (a.status !== 0 || b.status !== 0) throw new Error(`train failed: ${a.stderr} ${b.stderr}`);
});

interface Item { index: number; ood: boolean; negLogPx: number; negElbo: number; complexity: number; likelihoodRatio: number }

describe('anomaly --ood', () => {
  it('the background run records its perturbation', () => {
    expect(JSON.parse(fs.readFileSync(path.join(bg, 'run.json'), 'utf8')).training.perturb).toEqual({ kind: 'replace', p: 0.2 });
  });

  it('scores in- and out-of-distribution inputs with all four scores; AUROCs are the report\'s', async () => {
    const out = path.join(tmp, 'ood.json');
    const r = await vae('anomaly', main, '--ood', 'fashion-mnist', '--limit', '60', '--samples', '4', '--background', bg,
      '--score', 'likelihood-ratio', '--out', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    const items: Item[] = JSON.parse(fs.readFileSync(out, 'utf8')).items;
    expect(items).toHaveLength(120);
    expect(summary.anomalies).toBe(60);
    expect(summary.outOfDistribution).toBe('fashion-mnist test');
    expect(items.filter((x) => x.ood).every((x) => x.index >= 60)).toBe(true);
    // ranked by the likelihood ratio
    for (let i = 1; i < items.length; i++) expect(items[i - 1].likelihoodRatio).toBeGreaterThanOrEqual(items[i].likelihoodRatio);
    const positive = items.map((x) => x.ood);
    for (const [key, field] of [['aurocIwae', 'negLogPx'], ['aurocElbo', 'negElbo'], ['aurocComplexity', 'complexity'], ['aurocLikelihoodRatio', 'likelihoodRatio']] as const) {
      expect(summary[key], key).toBeCloseTo(auroc(items.map((x) => x[field]), positive), 10);
    }
    // complexity = -log2 p(x) - L(x), L(x) by default a lossless WebP size: a whole number of bytes
    expect(summary.compressor).toBe('webp');
    const lengths = (xs: Item[]): Map<number, number> => new Map(xs.map((x) => [x.index, x.negLogPx / Math.LN2 - x.complexity]));
    const webp = lengths(items);
    for (const bits of webp.values()) expect(Math.abs(bits / 8 - Math.round(bits / 8))).toBeLessThan(1e-3);
    // --compressor png reaches the score: same -log p(x) (same seed), L(x) now a PNG size (at least its
    // 57-byte container) and longer than the WebP one for every input
    const pngOut = path.join(tmp, 'ood-png.json');
    const p = await vae('anomaly', main, '--ood', 'fashion-mnist', '--limit', '60', '--samples', '4', '--compressor', 'png', '--out', pngOut, '--json');
    expect(p.status, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).compressor).toBe('png');
    const pngItems: Item[] = JSON.parse(fs.readFileSync(pngOut, 'utf8')).items;
    const negLogPx = new Map(items.map((x) => [x.index, x.negLogPx]));
    for (const x of pngItems) expect(x.negLogPx).toBeCloseTo(negLogPx.get(x.index)!, 3);
    for (const [index, bits] of lengths(pngItems)) {
      expect(Math.abs(bits / 8 - Math.round(bits / 8))).toBeLessThan(1e-3);
      expect(bits).toBeGreaterThan(57 * 8);
      expect(bits).toBeGreaterThan(webp.get(index)!);
    }
    // the likelihood ratio is the model's -log p(x) minus the background's, scored on the same inputs and seed
    const b = await vae('anomaly', bg, '--ood', 'fashion-mnist', '--limit', '60', '--samples', '4', '--out', path.join(tmp, 'bg.json'));
    expect(b.status, b.stderr).toBe(0);
    const bgItems: Item[] = JSON.parse(fs.readFileSync(path.join(tmp, 'bg.json'), 'utf8')).items;
    const bgByIndex = new Map(bgItems.map((x) => [x.index, x.negLogPx]));
    for (const x of items) expect(x.likelihoodRatio).toBeCloseTo(x.negLogPx - bgByIndex.get(x.index)!, 2);
  });

  it('--score complexity ranks by it and writes it to the CSV', async () => {
    const csv = path.join(tmp, 'c.csv');
    const r = await vae('anomaly', main, '--limit', '30', '--samples', '2', '--score', 'complexity', '--out', csv);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ranked by complexity/);
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('rank,index,label,file,neg_log_px,neg_elbo,complexity_bits');
    const c = lines.slice(1).map((l) => Number(l.split(',')[6]));
    for (let i = 1; i < c.length; i++) expect(c[i - 1]).toBeGreaterThanOrEqual(c[i]);
  });

  it('bad combinations are one-line errors', async () => {
    expectUserError(await vae('anomaly', main, '--score', 'likelihood-ratio'), /needs --background RUN/);
    expectUserError(await vae('anomaly', main, '--compressor', 'zip'), /--compressor/);
    expectUserError(await vae('anomaly', main, '--ood', 'fashion-mnist', '--anomaly-label', '3'), /give one/);
    expectUserError(await vae('anomaly', main, '--background', path.join(tmp, 'nope')), /nope/);
    expectUserError(await vae('train', '--perturb', 'replace:2'), /replace:P/);
  });
});
