/**
 * The README's "Use as a library" examples run as printed, against the built package: each Node
 * example (a ```js block) is written to a temporary project whose node_modules/vae-ts links to this
 * checkout, so `import 'vae-ts'` goes through package.json's `exports` to dist/ like a user's
 * would. The anomaly example gets what it names: a small run trained by the CLI as
 * runs/mnist-mlp-s0 and a folder new-inputs/ with a digit-like stroke and noise. The browser
 * example is covered by test/e2e/example.browser.test.ts (examples/browser does the same).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writePngAtomic } from '../../src/data/png.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-readme-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Use as a library'), readme.indexOf('\n## ', readme.indexOf('## Use as a library') + 5));
const blocks = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

function node(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: tmp, encoding: 'utf8', timeout: 240_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }));
  });
}

fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: 'readme-examples', private: true, type: 'module' }));
fs.mkdirSync(path.join(tmp, 'node_modules'));
fs.symlinkSync(ROOT, path.join(tmp, 'node_modules', 'vae-ts'), 'dir');

describe('README: Use as a library', () => {
  it('has the three examples: arrays in Node, a run in a web page, anomaly scores', () => {
    expect(blocks).toHaveLength(3);
    expect(blocks[0]).toMatch(/datasetFromArray/);
    expect(blocks[1]).toMatch(/loadRunFromUrl/);
    expect(blocks[2]).toMatch(/anomalyScores/);
  });

  it('trains on your own arrays as printed', async () => {
    fs.writeFileSync(path.join(tmp, 'arrays.mjs'), blocks[0]);
    const r = await node(['arrays.mjs']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(5); // one line per epoch: "epoch validation-loss"
    lines.forEach((l, i) => expect(l).toMatch(new RegExp(`^${i + 1} \\d+\\.\\d+$`)));
  });

  it('scores new inputs for anomalies as printed: the noise before the stroke', async () => {
    const trained = await node([path.join(ROOT, 'bin', 'vae.js'), 'train', '--dataset', 'mnist', '--model', 'mlp', '--binarize', 'dynamic',
      '--epochs', '1', '--train-limit', '1000', '--backend', 'wasm', '--out', 'runs/mnist-mlp-s0']);
    expect(trained.status, trained.stderr).toBe(0);
    fs.mkdirSync(path.join(tmp, 'new-inputs'));
    const stroke = new Float32Array(784);
    for (let y = 5; y < 23; y++) stroke[y * 28 + 14] = 1;
    writePngAtomic(path.join(tmp, 'new-inputs', 'one.png'), stroke, 28, 28, 1);
    writePngAtomic(path.join(tmp, 'new-inputs', 'noise.png'), Float32Array.from({ length: 784 }, (_, i) => ((i * 7919) % 13) / 13), 28, 28, 1);
    fs.writeFileSync(path.join(tmp, 'anomaly.mjs'), blocks[2]);
    const r = await node(['anomaly.mjs']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^noise\.png \d+\.\d nats$/);
    expect(lines[1]).toMatch(/^one\.png \d+\.\d nats$/);
  });
});
