/**
 * The `vae` command as a user runs it (the compiled CLI in dist/, built by `npm test`):
 * every command end to end on a small MNIST run, --help everywhere, and bad input -> one line, exit 2.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { loadNativeAddon } from '../../src/engine/native/addon.js';
import { ROOT, vae, expectUserError } from './cliRun.js';

function png(file: string): PNG {
  return PNG.sync.read(fs.readFileSync(file));
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-cli-'));
const run = path.join(tmp, 'mnist-run');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('build first: npm run build');
  const r = await vae('train', '--dataset', 'mnist', '--model', 'mlp', '--hidden', '64', '--latent', '2', '--train-limit', '1000',
    '--epochs', '2', '--out', run, '--seed', '3');
  if (r.status !== 0) throw new Error(`train failed: ${r.stderr}`);
});

describe('vae CLI', () => {
  it('trains with per-epoch lines and writes run.json, models, samples and curves', () => {
    const runJson = JSON.parse(fs.readFileSync(path.join(run, 'run.json'), 'utf8'));
    expect(runJson.history).toHaveLength(2);
    // the default backend: our C training step where the addon is built, else wasm
    expect(runJson.backend).toBe(loadNativeAddon().addon ? 'native' : 'wasm');
    expect(runJson.training.binarize).toBe('dynamic');
    for (const f of ['samples.png', 'curves.svg', 'curves.png', 'encoder/model.json', 'decoder/model.json', 'state/optimizer.json']) {
      expect(fs.existsSync(path.join(run, f)), f).toBe(true);
    }
    expect(png(path.join(run, 'samples.png')).width).toBeGreaterThan(6 * 28);
  });

  it('eval --json prints -ELBO and a tighter importance-sampled -log p(x)', async () => {
    const r = await vae('eval', run, '--samples', '50', '--limit', '200', '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.split).toBe('test');
    expect(out.examples).toBe(200);
    expect(out.negElbo).toBeCloseTo(out.reconstruction + out.kl, 3);
    expect(out.negLogPx).toBeLessThan(out.negElboK);
    expect(out.negLogPx).toBeGreaterThan(0);
  });

  it('sample, reconstruct, encode, decode, interpolate, plot and data preview write what they say', async () => {
    const s = await vae('sample', run, '--n', '8', '--seed', '2', '--out', path.join(tmp, 's.png'));
    expect(s.status, s.stderr).toBe(0);
    expect(png(path.join(tmp, 's.png')).width).toBeGreaterThan(0);
    const z = JSON.parse(fs.readFileSync(path.join(tmp, 's.z.json'), 'utf8'));
    expect(z.z).toHaveLength(8);
    expect(z.z[0]).toHaveLength(2);

    const rc = await vae('reconstruct', run, '--n', '4', '--out', path.join(tmp, 'r.png'));
    expect(rc.status, rc.stderr).toBe(0);
    expect(png(path.join(tmp, 'r.png')).width).toBeGreaterThan(0);

    const e = await vae('encode', run, 'validation:0', 'test:1', '--format', 'json');
    expect(e.status, e.stderr).toBe(0);
    const enc = JSON.parse(e.stdout);
    expect(enc).toHaveLength(2);
    expect(enc[0].mu).toHaveLength(2);
    expect(enc[0].sigma.every((v: number) => v > 0)).toBe(true);
    const csv = await vae('encode', run, 'validation:0');
    expect(csv.stdout.split('\n')[0]).toBe('input,mu0,mu1,sigma0,sigma1');

    const d = await vae('decode', run, '--z', '0,0;1,-1;2,2', '--out', path.join(tmp, 'd.png'));
    expect(d.status, d.stderr).toBe(0);
    // 3 images of 28x28 scaled 2x in one row with 2px padding
    expect(png(path.join(tmp, 'd.png')).width).toBeGreaterThan(3 * 28);

    const i = await vae('interpolate', run, 'test:0', 'test:1', '--steps', '5', '--out', path.join(tmp, 'i.png'));
    expect(i.status, i.stderr).toBe(0);
    expect(png(path.join(tmp, 'i.png')).width).toBeGreaterThan(7 * 28);

    const p = await vae('plot', run, '--out', path.join(tmp, 'c.svg'));
    expect(p.status, p.stderr).toBe(0);
    expect(fs.readFileSync(path.join(tmp, 'c.svg'), 'utf8')).toMatch(/^<svg/);

    const dp = await vae('data', 'preview', '--dataset', 'faces', '--n', '16', '--out', path.join(tmp, 'faces.png'));
    expect(dp.status, dp.stderr).toBe(0);
    expect(png(path.join(tmp, 'faces.png')).height).toBeGreaterThan(4 * 32);
  });

  it('--help works on every command', async () => {
    const top = await vae('--help');
    expect(top.status).toBe(0);
    for (const cmd of ['start', 'train', 'eval', 'sample', 'reconstruct', 'encode', 'decode', 'interpolate', 'plot', 'data']) {
      expect(top.stdout).toContain(cmd);
      const r = await vae(cmd, '--help');
      expect(r.status, cmd).toBe(0);
      expect(r.stdout).toMatch(/Usage: vae/);
    }
  });

  it('bad arguments and bad files: one line, exit 2, no stack trace, nothing damaged', async () => {
    expectUserError(await vae('train', '--epochs', 'abc'), /--epochs must be an integer/);
    expectUserError(await vae('train', '--dataset', 'cifar'), /unknown dataset 'cifar'/);
    expectUserError(await vae('train', '--dataset', 'mnist', '--validation', '2.5', '--epochs', '1', '--out', path.join(tmp, 'v')), /validation/);
    expectUserError(await vae('train', '--dataset', 'faces', '--validation', '100'), /does not apply to faces/);
    expectUserError(await vae('train', '--backend', 'gpu', '--epochs', '1'), /unknown backend 'gpu'/);
    expectUserError(await vae('eval', path.join(tmp, 'nope')), /does not exist/);
    expectUserError(await vae('sample', run, '--n', '0'), /--n must be an integer/);
    expectUserError(await vae('decode', run, '--z', '1,2,3'), /must have 2 finite numbers/);
    expectUserError(await vae('encode', run, path.join(tmp, 'missing.png')), /no such file/);
    expectUserError(await vae('encode', run, 'validation:99999'), /out of range/);
    expectUserError(await vae('plot', run, '--out', path.join(tmp, 'x.gif')), /must end in .svg or .png/);
    expectUserError(await vae('train', '--dataset', 'mnist', '--out', run, '--epochs', '1'), /already holds a run/);
    fs.writeFileSync(path.join(tmp, 'not-a.png'), 'hello');
    expectUserError(await vae('encode', run, path.join(tmp, 'not-a.png')), /not-a\.png/);
    expectUserError(await vae('nosuchcommand'), /unknown command/);

    // a truncated weights file is named, and left as it was
    const broken = path.join(tmp, 'broken-run');
    fs.cpSync(run, broken, { recursive: true });
    const enc = path.join(broken, 'encoder');
    const weights = fs.readdirSync(enc).find((f) => f.endsWith('.bin'))!;
    const bytes = fs.readFileSync(path.join(enc, weights));
    fs.writeFileSync(path.join(enc, weights), bytes.subarray(0, 100));
    expectUserError(await vae('sample', broken), new RegExp(`${weights}: has 100 bytes`));
    expect(fs.readFileSync(path.join(enc, weights)).length).toBe(100);
    fs.writeFileSync(path.join(broken, 'run.json'), '{"format": "vae-ts-run", ');
    expectUserError(await vae('eval', broken), /run\.json: not valid JSON/);
  });
});
