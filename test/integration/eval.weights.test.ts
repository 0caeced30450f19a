/**
 * `vae eval --weights last` evaluates where training stopped (papers that train a fixed number of
 * epochs, e.g. bench:quality's IWAE table), `--weights best` (the default) the best-validation
 * model. A second epoch at a learning rate that wrecks the model makes the two differ.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { vae, expectUserError } from './cliRun.js';

describe('vae eval --weights', () => {
  it('evaluates the best-validation model by default and the last state with --weights last', { timeout: 120_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-weights-'));
    const run = path.join(dir, 'r');
    try {
      const common = ['--dataset', 'mnist', '--model', 'mlp', '--train-limit', '500', '--validation', '200', '--quiet'];
      expect((await vae('train', ...common, '--epochs', '1', '--out', run)).status).toBe(0);
      expect((await vae('train', '--resume', run, '--epochs', '2', '--lr', '0.05', '--quiet')).status).toBe(0);
      const runJson = JSON.parse(fs.readFileSync(path.join(run, 'run.json'), 'utf8')) as { bestEpoch: number; epochsDone: number };
      expect(runJson).toMatchObject({ bestEpoch: 1, epochsDone: 2 });
      const evalJson = async (...extra: string[]): Promise<{ negElbo: number; weights: string }> => {
        const r = await vae('eval', run, '--limit', '50', '--json', ...extra);
        expect(r.status, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as { negElbo: number; weights: string };
      };
      const best = await evalJson();
      const last = await evalJson('--weights', 'last');
      expect(best.weights).toBe('best');
      expect(last.weights).toBe('last');
      expect(best.negElbo).toBeLessThan(600);
      expect(last.negElbo).toBeGreaterThan(best.negElbo * 2);
      expect((await evalJson('--weights', 'best')).negElbo).toBe(best.negElbo);
      expectUserError(await vae('eval', run, '--weights', 'first'), /--weights/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
