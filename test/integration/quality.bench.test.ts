/**
 * `npm run bench:quality -- --budget short`: the IWAE paper's rows (ELBO and IWAE k=5 on the
 * 784-200-200-50 tanh model) trained for one epoch on 1,000 MNIST images, each evaluated on 100 test
 * images. Whatever the training, every model must satisfy NLL ≤ −L₅ ≤ −ELBO (Burda et al. 2015,
 * Theorem 1: the IWAE bound tightens with k); the bench exits 1 when it does not, and this test
 * reads its results.json and checks the same ordering independently, plus the printed table (also
 * with --table, which trains nothing), and that scripts/quality-state.sh carries that state to a
 * new folder whole.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './cliRun.js';
import { loadNativeAddon } from '../../src/engine/native/addon.js';

const BENCH = path.join(ROOT, 'dist', 'bench', 'quality.js');
const CI = Boolean(process.env.CI);
const native = loadNativeAddon();

interface Evaluation { epochs: number; negElbo: number; negL5: number; nll: number; samples: number; examples: number; activeUnits: number; latent: number }

describe.skipIf((!native.addon || !fs.existsSync(BENCH)) && !CI)('bench:quality, short budget', () => {
  it('trains the VAE and IWAE-5 rows and finds NLL ≤ −L5 ≤ −ELBO for both', { timeout: 240_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-quality-'));
    try {
      const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [BENCH, '--budget', 'short', '--dir', dir], { cwd: ROOT, encoding: 'utf8', timeout: 230_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
          resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
        });
      });
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.status, r.stderr).toBe(0);
      const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as Record<string, Evaluation[]>;
      expect(Object.keys(results).sort()).toEqual(['burda-iwae5', 'burda-vae']);
      for (const [id, evals] of Object.entries(results)) {
        expect(evals, id).toHaveLength(1);
        const e = evals[0];
        expect(e.epochs).toBe(1);
        expect(e.examples).toBe(100);
        expect(e.samples).toBe(500);
        expect(e.latent).toBe(50);
        // a model that learnt something: far below the 543.4 nats of a uniform Bernoulli on 784 pixels
        expect(e.negElbo, id).toBeLessThan(400);
        expect(e.nll, id).toBeLessThanOrEqual(e.negL5 + 0.5);
        expect(e.negL5, id).toBeLessThanOrEqual(e.negElbo + 0.5);
      }
      // the printed table: both rows, next to the published values, with the commands that made them
      expect(r.stdout).toMatch(/\| VAE \(ELBO\), 784-200-200-50 tanh \| 1 \| [\d.]+ \| [\d.]+ \| [\d.]+ \(500\) \| 86\.76 \|/);
      expect(r.stdout).toMatch(/\| IWAE k=5, 784-200-200-50 tanh \| 1 \| .* \| 85\.54 \|/);
      expect(r.stdout).toContain('--objective iwae --k 5 --train-limit 1000 --validation 200 --batch-size 20');
      // the chart of every evaluation: an SVG and a PNG next to results.json
      expect(r.stdout).toContain(`chart: ${path.join(dir, 'quality.svg')}, ${path.join(dir, 'quality.png')}`);
      expect(fs.readFileSync(path.join(dir, 'quality.png')).subarray(1, 4).toString()).toBe('PNG');
      expect(fs.readFileSync(path.join(dir, 'quality.svg'), 'utf8')).toContain('published IWAE k=5: 85.54');
      // rerunning resumes: nothing is trained or evaluated again
      const again = await new Promise<string>((resolve) => {
        execFile(process.execPath, [BENCH, '--budget', 'short', '--dir', dir], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }, (_e, stdout) => resolve(stdout));
      });
      expect(again).not.toContain('$ node bin/vae.js');
      expect(again).toMatch(/\| IWAE k=5, 784-200-200-50 tanh \| 1 \|/);
      // --table prints what results.json holds and how far each row is, training nothing
      const table = await new Promise<string>((resolve) => {
        execFile(process.execPath, [BENCH, '--budget', 'short', '--dir', dir, '--table'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }, (_e, stdout) => resolve(stdout));
      });
      expect(table).not.toContain('$ node bin/vae.js');
      expect(table).toMatch(/\| VAE \(ELBO\), 784-200-200-50 tanh \| 1 \| /);
      expect(table).toContain('epochs trained so far: burda-vae 1/1, burda-iwae5 1/1');

      // scripts/quality-state.sh carries the state to another machine through git: save, restore
      // into a new folder, and the bench there finds every row trained and evaluated
      const store = path.join(dir, 'store'), moved = path.join(dir, 'moved');
      const sh = (...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> => new Promise((resolve) => {
        execFile('bash', [path.join(ROOT, 'scripts', 'quality-state.sh'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, VAE_QUALITY_STORE: store } },
          (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }));
      });
      // a row in training is refused (its lock names a live process: this one)
      fs.writeFileSync(path.join(dir, 'burda-vae', '.vae-lock'), JSON.stringify({ pid: process.pid, start: '0', command: 'vae train', since: new Date().toISOString() }));
      const busy = await sh('save', dir, 'burda-vae');
      expect(busy.status).toBe(2);
      expect(busy.stderr.trim()).toMatch(/^quality-state: .*burda-vae is being trained \(process \d+\): stop the bench first/);
      expect(fs.existsSync(store)).toBe(false);
      fs.rmSync(path.join(dir, 'burda-vae', '.vae-lock'));
      const saved = await sh('save', dir, 'burda-vae', 'burda-iwae5');
      expect(saved.status, saved.stderr).toBe(0);
      expect(saved.stdout).toMatch(/saved .*burda-iwae5 \(1 epochs\) to .*burda-iwae5\.tar\.xz/);
      const restored = await sh('restore', moved);
      expect(restored.status, restored.stderr).toBe(0);
      expect(restored.stdout).toContain(`--rows burda-iwae5,burda-vae --dir ${moved}`);
      for (const f of ['results.json', 'burda-vae/run.json', 'burda-iwae5/state/optimizer.json']) {
        expect(fs.readFileSync(path.join(moved, f)).equals(fs.readFileSync(path.join(dir, f))), f).toBe(true);
      }
      const there = await new Promise<string>((resolve) => {
        execFile(process.execPath, [BENCH, '--budget', 'short', '--dir', moved], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }, (_e, stdout) => resolve(stdout));
      });
      expect(there).not.toContain('$ node bin/vae.js');
      expect(there).toContain('epochs trained so far: burda-vae 1/1, burda-iwae5 1/1');
      // restoring over a folder that has state is refused, and leaves it as it was
      const twice = await sh('restore', moved);
      expect(twice.status).toBe(2);
      expect(twice.stderr.trim()).toMatch(/^quality-state: .*results\.json exists: restore into a new folder$/);
      expect(fs.readFileSync(path.join(moved, 'results.json')).equals(fs.readFileSync(path.join(dir, 'results.json')))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
