/**
 * ONNX out and in, through the built CLI:
 * - `vae export RUN --format onnx` on a small trained conv run: the two graphs run in
 *   onnxruntime-node and match the run's tfjs model (max abs difference <= 1e-4) at batch 1 and 7;
 *   re-imported with `vae import-onnx`, `vae encode` gives the tfjs run's numbers;
 * - the PyTorch fixture (test/fixtures/onnx-torch, written by bench/peer/export_onnx.py from the
 *   seed article's classes): imported, `vae encode` of its inputs and decoding of its z match
 *   PyTorch's outputs within 1e-4 (the PNG that `vae decode` writes within one 8-bit step);
 * - bad input: one line, exit status 2, nothing written.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '../../src/engine/tfjs.js';
import { PNG } from 'pngjs';
import { ROOT, vae, expectUserError } from './cliRun.js';
import { loadRunModel } from '../../src/train/run.js';
import { openInferenceRun } from '../../src/onnx/runtime.js';
import { transposeImages } from '../../src/onnx/layout.js';
import { writePngAtomic } from '../../src/data/png.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-onnx-'));
const run = path.join(tmp, 'faces-run');
const exported = path.join(tmp, 'exported');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'onnx-torch');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Cases { x255: number[][]; mu: number[][]; logvar: number[][]; z: number[][]; decoded: number[][] }
const cases = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'cases.json'), 'utf8')) as Cases;

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('build first: npm run build');
  await tf.setBackend('cpu');
  const r = await vae('train', '--dataset', 'faces', '--model', 'conv', '--train-limit', '96', '--epochs', '1', '--batch-size', '32', '--out', run);
  expect(r.status, r.stderr).toBe(0);
}, 300_000);

describe('vae export --format onnx', () => {
  it('writes encoder.onnx and decoder.onnx that match the run\'s tfjs model in onnxruntime-node (batch 1 and 7)', async () => {
    const r = await vae('export', run, '--format', 'onnx', '--out', exported);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/encoder: x \[batch, 3, 32, 32\] -> mu \[batch, 2\], logvar \[batch, 2\]/);
    const ort = await import('onnxruntime-node');
    const enc = await ort.InferenceSession.create(path.join(exported, 'encoder.onnx'));
    const dec = await ort.InferenceSession.create(path.join(exported, 'decoder.onnx'));
    const { vae: model } = await loadRunModel(run);
    try {
      for (const n of [1, 7]) {
        const x = tf.randomUniform([n, 32, 32, 3], 0, 1, 'float32', n);
        const z = tf.randomNormal([n, 2], 0, 1.5, 'float32', n);
        const q = model.encode(x as tf.Tensor4D);
        const y = model.decode(z as tf.Tensor2D);
        const [xs, zs, mu, lv, ys] = [x, z, q.mu, q.logvar, y].map((t) => t.dataSync() as Float32Array);
        tf.dispose([x, z, q.mu, q.logvar, y]);
        const e = await enc.run({ x: new ort.Tensor('float32', transposeImages(xs, n, [32, 32, 3], true), [n, 3, 32, 32]) });
        expect(maxAbsDiff(e.mu.data as Float32Array, mu)).toBeLessThanOrEqual(1e-4);
        expect(maxAbsDiff(e.logvar.data as Float32Array, lv)).toBeLessThanOrEqual(1e-4);
        const d = await dec.run({ z: new ort.Tensor('float32', zs, [n, 2]) });
        expect(d.x_mean.dims).toEqual([n, 3, 32, 32]);
        expect(maxAbsDiff(d.x_mean.data as Float32Array, transposeImages(ys, n, [32, 32, 3], true))).toBeLessThanOrEqual(1e-4);
      }
    } finally {
      model.dispose();
      await enc.release();
      await dec.release();
    }
  });

  it('round trip: the exported pair imported again encodes as the tfjs run does', async () => {
    const back = path.join(tmp, 'reimported');
    const imp = await vae('import-onnx', '--encoder', path.join(exported, 'encoder.onnx'), '--decoder', path.join(exported, 'decoder.onnx'), '--out', back);
    expect(imp.status, imp.stderr).toBe(0);
    const meta = JSON.parse(fs.readFileSync(path.join(back, 'run.json'), 'utf8'));
    expect(meta.model).toEqual({ kind: 'onnx', height: 32, width: 32, channels: 3, latent: 2, likelihood: { kind: 'gaussian', sigma2: 1 } });
    const refs = ['validation:0', 'validation:1', 'train:5'];
    const a = await vae('encode', run, ...refs, '--format', 'json');
    const b = await vae('encode', back, ...refs, '--format', 'json');
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    const ja = JSON.parse(a.stdout) as { mu: number[]; sigma: number[] }[];
    const jb = JSON.parse(b.stdout) as { mu: number[]; sigma: number[] }[];
    expect(maxAbsDiff(ja.flatMap((r) => [...r.mu, ...r.sigma]), jb.flatMap((r) => [...r.mu, ...r.sigma]))).toBeLessThanOrEqual(1e-4);
  });

  it('refuses a folder that is not a run, an --out that is a file of a run, and existing files without --force', async () => {
    expectUserError(await vae('export', tmp, '--out', path.join(tmp, 'x')), /run\.json: missing/);
    expectUserError(await vae('export', run, '--out', path.join(run, 'run.json')), /is a file, not a folder/);
    expectUserError(await vae('export', run, '--out', exported), /already holds encoder\.onnx and decoder\.onnx \(use --force/);
    expectUserError(await vae('export', run, '--format', 'tfjs', '--out', path.join(tmp, 'y')), /--format must be one of onnx/);
    expect(fs.existsSync(path.join(tmp, 'x'))).toBe(false);
    const again = await vae('export', run, '--out', exported, '--force');
    expect(again.status, again.stderr).toBe(0);
  });
});

describe('vae import-onnx of the PyTorch fixture (seed article\'s classes, torch.onnx.export)', () => {
  const imported = path.join(tmp, 'torch');

  beforeAll(async () => {
    const r = await vae('import-onnx', '--encoder', path.join(FIXTURE, 'encoder.onnx'), '--decoder', path.join(FIXTURE, 'decoder.onnx'), '--out', imported);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/images 3x32x32 \(NCHW\), latent 2, decoder gives Gaussian means/);
  });

  it('writes a run folder with both graphs and a run.json whose shapes come from the graphs', () => {
    expect(fs.readdirSync(imported).sort()).toEqual(['decoder.onnx', 'encoder.onnx', 'run.json']);
    const meta = JSON.parse(fs.readFileSync(path.join(imported, 'run.json'), 'utf8'));
    expect(meta).toMatchObject({ format: 'onnx', layout: 'NCHW', batch: 'dynamic', dataset: { name: 'faces' }, encoder: { inputs: ['x'], outputs: ['mu', 'logvar'] } });
    expect(meta.encoder.producer).toMatch(/^pytorch/);
  });

  it('vae encode of the fixture\'s images (as PNGs) gives PyTorch\'s mu and sigma within 1e-4', async () => {
    const files = cases.x255.map((x, i) => {
      const nhwc = transposeImages(Float32Array.from(x, (v) => v / 255), 1, [32, 32, 3], false);
      const f = path.join(tmp, `x${i}.png`);
      writePngAtomic(f, nhwc, 32, 32, 3);
      return f;
    });
    const r = await vae('encode', imported, ...files, '--format', 'json');
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { mu: number[]; sigma: number[] }[];
    expect(maxAbsDiff(rows.flatMap((q) => q.mu), cases.mu.flat())).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(rows.flatMap((q) => q.sigma), cases.logvar.flat().map((lv) => Math.exp(lv / 2)))).toBeLessThanOrEqual(1e-4);
  });

  it('decodes the fixture\'s z as PyTorch does: the model the commands open within 1e-4, the PNG of vae decode within one 8-bit step', async () => {
    const z = Float32Array.from(cases.z.flat());
    const n = cases.z.length;
    const { model } = await openInferenceRun(imported);
    let images: Float32Array;
    try {
      expect(model.engine).toBe('onnx');
      images = await model.decode(z, n);
    } finally {
      await model.dispose();
    }
    const torchNhwc = transposeImages(Float32Array.from(cases.decoded.flat()), n, [32, 32, 3], false);
    expect(maxAbsDiff(images, torchNhwc)).toBeLessThanOrEqual(1e-4);

    const out = path.join(tmp, 'decoded.png');
    const r = await vae('decode', imported, '--z', cases.z.map((p) => p.join(',')).join(';'), '--cols', String(n), '--out', out);
    expect(r.status, r.stderr).toBe(0);
    // the grid: scale 3, pad 2 (writeGridPng); pixel (i, j) of image k at the centre of its 3x3 block
    const png = PNG.sync.read(fs.readFileSync(out));
    const cell = 32 * 3 + 2;
    let worst = 0;
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < 32; i++) {
        for (let j = 0; j < 32; j++) {
          const px = (((2 + i * 3 + 1) * png.width) + (2 + k * cell + j * 3 + 1)) * 4;
          for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(png.data[px + c] / 255 - torchNhwc[((k * 32 + i) * 32 + j) * 3 + c]));
        }
      }
    }
    expect(worst).toBeLessThanOrEqual(0.5 / 255 + 1e-4);
  });

  it('sample, reconstruct, interpolate and traverse run on the imported pair', async () => {
    for (const args of [['sample', imported, '--n', '6'], ['reconstruct', imported, '--n', '3'], ['interpolate', imported, 'validation:0', 'validation:1', '--steps', '4'], ['traverse', imported, 'validation:2', '--steps', '3']]) {
      const r = await vae(...args);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^wrote /);
    }
    expect(PNG.sync.read(fs.readFileSync(path.join(imported, 'samples-s0.png'))).width).toBeGreaterThan(32);
  });

  it('refuses a wrong pair, a file that is not ONNX and an existing --out with one line; commands that need a trained run say so', async () => {
    const e = path.join(FIXTURE, 'encoder.onnx');
    const d = path.join(FIXTURE, 'decoder.onnx');
    const out = path.join(tmp, 'bad');
    expectUserError(await vae('import-onnx', '--encoder', d, '--decoder', e, '--out', out), /look swapped/);
    expectUserError(await vae('import-onnx', '--encoder', e, '--decoder', e, '--out', out), /a decoder gives one output/);
    expectUserError(await vae('import-onnx', '--encoder', path.join(FIXTURE, 'cases.json'), '--decoder', d, '--out', out), /cases\.json: not an ONNX model/);
    expectUserError(await vae('import-onnx', '--encoder', path.join(FIXTURE, 'none.onnx'), '--decoder', d, '--out', out), /none\.onnx: file not found/);
    expectUserError(await vae('import-onnx', '--encoder', e, '--decoder', d, '--out', imported), /exists and is not an empty folder/);
    expectUserError(await vae('import-onnx', '--encoder', e, '--decoder', d, '--likelihood', 'bernoulli', '--sigma2', '2', '--out', out), /--sigma2 applies to --likelihood gaussian only/);
    expect(fs.existsSync(out)).toBe(false);
    expectUserError(await vae('eval', imported), /an imported ONNX run: this command needs a run trained by vae-ts/);
    expectUserError(await vae('export', imported, '--out', path.join(tmp, 'z')), /already an imported ONNX run/);
  });
});
