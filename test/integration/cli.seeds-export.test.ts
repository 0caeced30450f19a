/**
 * `vae train --seeds` and `vae export-site` as a user runs them (the compiled CLI in dist/, built
 * by `npm test`): one run per seed with a summary line each; export refusals are one line, exit 2,
 * and write nothing.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, vae, expectUserError, type Result } from './cliRun.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-seeds-'));
const out = path.join(tmp, 'mn');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let train: Result;
beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('build first: npm run build');
  train = await vae('train', '--dataset', 'mnist', '--model', 'mlp', '--hidden', '32', '--latent', '2', '--train-limit', '300',
    '--epochs', '1', '--seeds', '2', '--out', out);
}, 300_000);

describe('vae train --seeds', () => {
  it('trains one run per seed into OUT-s<seed>, with a progress display per run and a summary line per run', () => {
    expect(train.status, train.stderr).toBe(0);
    const runs = [0, 1].map((s) => JSON.parse(fs.readFileSync(path.join(`${out}-s${s}`, 'run.json'), 'utf8')));
    expect(runs.map((r) => r.training.seed)).toEqual([0, 1]);
    expect(runs.map((r) => r.status)).toEqual(['done', 'done']);
    for (const s of [0, 1]) expect(fs.existsSync(path.join(`${out}-s${s}`, 'decoder', 'model.json'))).toBe(true);
    // different seeds, different weights: different losses
    expect(runs[0].history[0].validation.loss).not.toBe(runs[1].history[0].validation.loss);
    expect(train.stderr).toMatch(/\[1\/2\] seed 0 -> .*mn-s0/);
    expect(train.stderr).toMatch(/\[2\/2\] seed 1 -> .*mn-s1/);
    expect(train.stderr.match(/^epoch 1\/1 /gm)).toHaveLength(2);
    const summary = train.stdout.trim().split('\n').filter((l) => l.startsWith('seed '));
    expect(summary).toHaveLength(2);
    expect(summary[1]).toContain(`${out}-s1`);
    expect(summary[1]).toContain(`validation -ELBO ${runs[1].history[0].validation.loss.toFixed(2)}`);
  });

  it('refuses --seeds with --seed or --resume, bad lists, and folders that already hold a run, before training', async () => {
    expectUserError(await vae('train', '--dataset', 'mnist', '--seeds', '2', '--seed', '4', '--out', path.join(tmp, 'x')), /--seeds and --seed/);
    expectUserError(await vae('train', '--dataset', 'mnist', '--seeds', '3,x', '--out', path.join(tmp, 'x')), /--seeds must be a count/);
    expectUserError(await vae('train', '--dataset', 'mnist', '--seeds', '3', '--epochs', '1', '--train-limit', '100', '--out', out), /mn-s0 already holds a run/);
    expect(fs.existsSync(`${out}-s2`)).toBe(false);
    expect(fs.existsSync(path.join(tmp, 'x-s0'))).toBe(false);
  });
});

describe('vae export-site', () => {
  it('writes the site, and refuses (exit 2, one line, nothing written) bad runs and a non-empty --out without --force', async () => {
    const site = path.join(tmp, 'site');
    const ok = await vae('export-site', `${out}-s0`, `${out}-s1`, '--out', site);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/wrote .*site: 2 runs \(mn-s0, mn-s1\)/);
    for (const f of ['index.html', 'api/runs', 'runs/mn-s0/testset.bin', 'runs/mn-s1/decoder/model.json']) expect(fs.existsSync(path.join(site, f)), f).toBe(true);

    const notRun = path.join(tmp, 'empty');
    fs.mkdirSync(notRun);
    expectUserError(await vae('export-site', notRun, '--out', path.join(tmp, 'site2')), /not a run folder/);
    expect(fs.existsSync(path.join(tmp, 'site2'))).toBe(false);
    expectUserError(await vae('export-site', `${out}-s0`, '--out', site), /exists and is not empty.*--force/);
    expect(JSON.parse(fs.readFileSync(path.join(site, 'api', 'runs'), 'utf8'))).toHaveLength(2);
    const forced = await vae('export-site', `${out}-s1`, '--out', site, '--force', '--json');
    expect(forced.status, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout).runs).toEqual(['mn-s1']);
    expect(fs.existsSync(path.join(site, 'runs', 'mn-s0'))).toBe(false);
    expect((await vae('export-site', '--help')).stdout).toMatch(/--force/);
  });
});
