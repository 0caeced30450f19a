/** `vae factors` and the charts of `vae plot` on a small faces run, end to end through the built CLI. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, expectUserError, vae } from './cliRun.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-factors-'));
const faces = path.join(tmp, 'faces-run');
const mnist = path.join(tmp, 'mnist-run');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('build first: npm run build');
  const small = ['--model', 'mlp', '--hidden', '32', '--latent', '2', '--epochs', '2', '--quiet'];
  const [f, m] = await Promise.all([
    vae('train', '--dataset', 'faces', '--train-limit', '300', ...small, '--out', faces),
    vae('train', '--dataset', 'mnist', '--train-limit', '200', ...small, '--out', mnist),
  ]);
  if (f.status !== 0) throw new Error(`train faces failed: ${f.stderr}`);
  if (m.status !== 0) throw new Error(`train mnist failed: ${m.stderr}`);
});

describe('vae factors', () => {
  it('--json reports R², MIG and DCI for train and the validation rectangle, and writes the same to RUN/factors.json', async () => {
    const r = await vae('factors', faces, '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(JSON.parse(fs.readFileSync(path.join(faces, 'factors.json'), 'utf8'))).toEqual(out);
    expect(out.format).toBe('vae-ts-factors');
    expect(out.latent).toBe(2);
    expect(out.splits.train.examples).toBe(300);
    // the validation rectangle of the 2000 generated faces: about 18% of them
    expect(out.splits.validation.examples).toBeGreaterThan(250);
    expect(out.splits.validation.examples).toBeLessThan(450);
    for (const split of [out.splits.train, out.splits.validation]) {
      expect(split.factors).toEqual(['size', 'hue']);
      for (const r2 of split.r2) expect(r2).toBeGreaterThanOrEqual(0); // in-sample least squares with intercept
      for (const r2 of split.r2) expect(r2).toBeLessThanOrEqual(1);
      expect(split.knnR2).toHaveLength(2);
      for (const r2 of split.knnR2) expect(r2).toBeLessThanOrEqual(1);
      for (const v of [split.mig.mig, split.dci.disentanglement, split.dci.completeness, split.dci.informativeness]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
      expect(split.dci.importance).toHaveLength(2);
      expect(split.mig.perFactor[0].mi).toHaveLength(2);
    }
    expect(out.splits.validation.r2FromTrainFit).toHaveLength(2);
    expect(out.splits.train.r2FromTrainFit).toBeUndefined();
    // the picture: both splits' codes, coloured by size and by hue
    const svg = fs.readFileSync(path.join(faces, 'factors.svg'), 'utf8');
    expect(svg.match(/split: validation/g)?.length).toBe(2 * out.splits.validation.examples);
    expect(svg.match(/split: train/g)?.length).toBe(2 * out.splits.train.examples);
    const meta = await sharp(path.join(faces, 'factors.png')).metadata();
    expect(meta.width).toBeGreaterThan(1000);
  });

  it('prints a table by default', async () => {
    const r = await vae('factors', faces, '--bins', '10');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/train \(300\)\s+validation \(\d+\)/);
    expect(r.stdout).toMatch(/^R² size \(least squares\)\s+\d\.\d{3}\s+\d\.\d{3}$/m);
    expect(r.stdout).toMatch(/^DCI disentanglement\s+\d\.\d{3}\s+\d\.\d{3}$/m);
    expect(r.stdout).toContain('10 equal-width bins');
    expect(r.stdout).toMatch(/^R² hue \(10-NN, leave-one-out\)\s+-?\d\.\d{3}\s+-?\d\.\d{3}$/m);
  });

  it('refuses a dataset without known factors, and bad options, in one line', async () => {
    expectUserError(await vae('factors', mnist), /no known generating factors/);
    expectUserError(await vae('factors', faces, '--bins', '1'), /--bins/);
    expectUserError(await vae('factors', path.join(tmp, 'nothing')), /does not exist/);
  });
});

describe('vae plot', () => {
  it('writes the curves as SVG and as a PNG twice its size, with the axis titles', async () => {
    const svgFile = path.join(tmp, 'c.svg');
    const pngFile = path.join(tmp, 'c.png');
    expect((await vae('plot', faces, '--out', svgFile)).status).toBe(0);
    expect((await vae('plot', faces, '--out', pngFile)).status).toBe(0);
    const svg = fs.readFileSync(svgFile, 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('nats per example');
    expect(svg).toContain('½·d·log 2π = 2822.98 nats (d = 3×32×32 = 3072)');
    const [, w, h] = /<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg)!.map(Number);
    const meta = await sharp(pngFile).metadata();
    expect([meta.width, meta.height]).toEqual([2 * w, 2 * h]);
    // the training run wrote the same pair
    expect(fs.readFileSync(path.join(faces, 'curves.svg'), 'utf8')).toBe(svg);
    expectUserError(await vae('plot', faces, '--out', path.join(tmp, 'c.gif')), /must end in .svg or .png/);
  });
});
