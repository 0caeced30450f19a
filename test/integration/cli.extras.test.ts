/**
 * The CLI of the training extras (compiled CLI in dist/, built by `npm test`): --prior gmm:K,
 * --corrupt, --warmup, --free-bits on `vae train`; `vae denoise`; `vae gradvar`; sample/eval of a
 * mixture-prior run; bad input -> one line, exit 2.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { ROOT, vae, vaeWithEnv, expectUserError } from './cliRun.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-cli-extras-'));
const run = path.join(tmp, 'gmm-run');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('build first: npm run build');
  const r = await vae('train', '--dataset', 'mnist', '--model', 'mlp', '--hidden', '32', '--latent', '3', '--train-limit', '300', '--validation', '100',
    '--epochs', '2', '--prior', 'gmm:3', '--corrupt', 'mask:0.5', '--warmup', '1', '--out', run, '--seed', '1', '--quiet');
  if (r.status !== 0) throw new Error(`train failed: ${r.stderr}`);
});

describe('vae CLI: priors, denoising, gradient estimators', () => {
  it('train records the prior, the corruption and the warm-up, and saves the prior with the weights', () => {
    const runJson = JSON.parse(fs.readFileSync(path.join(run, 'run.json'), 'utf8'));
    expect(runJson.model.prior).toEqual({ kind: 'gmm', components: 3 });
    expect(runJson.training.corrupt).toEqual({ kind: 'mask', p: 0.5 });
    expect(runJson.training.warmup).toBe(1);
    const prior = JSON.parse(fs.readFileSync(path.join(run, `prior-e${runJson.bestEpoch}.json`), 'utf8'));
    expect(prior.logits).toHaveLength(3);
    expect(prior.means[0]).toHaveLength(3);
    expect(fs.existsSync(path.join(run, 'state', 'prior-e2.json'))).toBe(true);
  });

  it('denoise writes clean / noisy / denoised rows and prints PSNR (default noise: the run\'s --corrupt)', async () => {
    const out = path.join(tmp, 'dn.png');
    const r = await vae('denoise', run, '--n', '4', '--out', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.noise).toBe('mask:0.5');
    expect(j.images).toBe(4);
    expect(j.perImage).toHaveLength(4);
    expect(Number.isFinite(j.psnrNoisy)).toBe(true);
    expect(Number.isFinite(j.psnrDenoised)).toBe(true);
    const mean = j.perImage.reduce((s: number, p: { psnrNoisy: number }) => s + p.psnrNoisy, 0) / 4;
    expect(j.psnrNoisy).toBeCloseTo(mean, 6);
    const png = PNG.sync.read(fs.readFileSync(out));
    expect(png.width).toBeGreaterThan(png.height); // 4 columns, 3 rows
    const g = await vae('denoise', run, 'test:0', 'test:5', '--noise', 'gaussian:0.3', '--out', path.join(tmp, 'g.png'));
    expect(g.status, g.stderr).toBe(0);
    expect(g.stdout).toMatch(/PSNR noisy\s+[\d.]+ dB/);
    expect(g.stdout).toMatch(/PSNR denoised\s+[\d.]+ dB/);
  });

  it('gradvar prints per-layer variances of both estimators for a run and for a fresh model', async () => {
    const r = await vae('gradvar', run, '--draws', '6', '--batch', '8', '--chunk', '4', '--json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.draws).toBe(6);
    expect(j.batch).toBe(8);
    expect(j.rows.map((x: { name: string }) => x.name)).toEqual(['enc1/kernel', 'enc1/bias', 'mu/kernel', 'mu/bias', 'logvar/kernel', 'logvar/bias']);
    for (const row of j.rows) {
      expect(row.score.totalVariance).toBeGreaterThan(0);
      expect(row.reparam.totalVariance).toBeGreaterThan(0);
      expect(row.varianceRatio).toBeCloseTo(row.score.totalVariance / row.reparam.totalVariance, 6);
    }
    const f = await vae('gradvar', '--draws', '4', '--batch', '4', '--chunk', '2');
    expect(f.status, f.stderr).toBe(0);
    expect(f.stdout).toMatch(/freshly initialised model: MLP VAE 784-400-20/);
    expect(f.stdout).toMatch(/enc1\/kernel/);
  });

  it('sample draws from the mixture and eval uses its log-density', async () => {
    const s = await vae('sample', run, '--n', '6', '--json', '--out', path.join(tmp, 's.png'));
    expect(s.status, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).z).toHaveLength(6);
    const e = await vae('eval', run, '--samples', '5', '--limit', '30', '--json');
    expect(e.status, e.stderr).toBe(0);
    const j = JSON.parse(e.stdout);
    expect(j.negLogPx).toBeGreaterThan(0);
    expect(j.negLogPx).toBeLessThanOrEqual(j.negElboK + 1e-6);
  });

  it('bad options print one line and exit 2', async () => {
    expectUserError(await vae('train', '--dataset', 'mnist', '--prior', 'gmm:0', '--epochs', '1'), /prior must be 'standard', 'gmm:K' \(a mixture of K Gaussians\) or 'vamp:K'/);
    expectUserError(await vae('train', '--dataset', 'mnist', '--corrupt', 'salt:0.1', '--epochs', '1'), /noise must be gaussian:SIGMA/);
    expectUserError(await vae('train', '--dataset', 'mnist', '--warmup', '-1', '--epochs', '1'), /--warmup must be a positive number/);
    expectUserError(await vae('train', '--dataset', 'mnist', '--prior', 'gmm:2', '--free-bits', '1', '--epochs', '1', '--out', path.join(tmp, 'fb')),
      /--free-bits needs the standard normal prior/);
    expectUserError(await vae('denoise', run, '--noise', 'mask:2'), /noise must be/);
    expectUserError(await vae('denoise', path.join(tmp, 'nope')), /does not exist/);
    expectUserError(await vae('gradvar', run, '--draws', '1'), /--draws must be an integer/);
  });

  it('a run whose KL collapses to ~0 gets one warning naming what to change, also with --quiet', async () => {
    const out = path.join(tmp, 'collapse');
    // 25 steps per epoch: the warning may come only once 200 steps are done, at the end of epoch 8
    const r = await vae('train', '--dataset', 'mnist', '--model', 'mlp', '--hidden', '8', '--latent', '2', '--train-limit', '200', '--validation', '32',
      '--batch-size', '8', '--epochs', '9', '--beta', '1000', '--out', out, '--quiet');
    expect(r.status, r.stderr).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warning: epoch 8: KL 0\.0\d+ nats per image: .*\(posterior collapse\); try a smaller --beta than 1000, a KL warm-up, e\.g\. --warmup 10 or --free-bits 0\.5$/);
    const kl = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8')).history[7].train.kl as number;
    expect(kl).toBeLessThan(0.1);
  });

  it('VAE_PROGRESS_SECONDS sets how often a log gets a progress line (0: every step); a bad value is one line, before any work', async () => {
    const out = path.join(tmp, 'progress');
    const args = ['train', '--dataset', 'mnist', '--model', 'mlp', '--hidden', '8', '--latent', '2', '--train-limit', '96', '--validation', '32',
      '--batch-size', '32', '--epochs', '1', '--out', out];
    const every = await vaeWithEnv({ VAE_PROGRESS_SECONDS: '0' }, ...args);
    expect(every.status, every.stderr).toBe(0);
    expect(every.stderr.match(/^epoch 1 \d\/3 loss /gm)).toEqual(['epoch 1 1/3 loss ', 'epoch 1 2/3 loss ', 'epoch 1 3/3 loss ']);
    fs.rmSync(out, { recursive: true });
    const bad = await vaeWithEnv({ VAE_PROGRESS_SECONDS: 'soon' }, ...args);
    expectUserError(bad, /^vae: VAE_PROGRESS_SECONDS must be a number of seconds ≥ 0, not "soon"$/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
