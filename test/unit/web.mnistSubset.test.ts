/**
 * The MNIST subset the page ships: scripts/build-mnist-subset.mjs writes it (own IDX reader, gzip),
 * web/data/mnistSubset.ts reads it; the images and labels must be exactly those the CLI's MNIST
 * reader (src/data/mnist.ts, independent code) loads for the same DatasetSpec.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadDataset } from '../../src/data/load.js';
import { decodeMnistSubset, parseMnistSubset, subsetSpec, toFloatImages, MnistSubsetError, MNIST_SUBSET_HEADER_BYTES } from '../../web/data/mnistSubset.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-mnist-subset-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function script(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [path.join(ROOT, 'scripts/build-mnist-subset.mjs'), ...args], { cwd: tmp });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('MNIST subset', () => {
  const file = path.join(tmp, 'sub', 'mnist-subset.bin');

  it('the script writes a gzip file whose splits equal what the CLI loads for the same spec', async () => {
    const r = await script(['--train', '300', '--validation', '50', '--test', '40', '--out', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/MNIST subset, 300 train \/ 50 validation \/ 40 test images/);
    const bytes = new Uint8Array(fs.readFileSync(file));
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    const s = await decodeMnistSubset(bytes);
    expect([s.height, s.width, s.train.count, s.validation.count, s.test.count, s.validationStart]).toEqual([28, 28, 300, 50, 40, 59950]);
    const spec = subsetSpec(s);
    expect(spec).toEqual({ name: 'mnist', trainLimit: 300, validation: 50, testLimit: 40 });
    const d = await loadDataset(spec);
    for (const [mine, theirs] of [[s.train, d.train], [s.validation, d.validation], [s.test, d.test!]] as const) {
      expect(mine.count).toBe(theirs.count);
      expect(toFloatImages(mine)).toEqual(theirs.images);
      expect(Array.from(mine.labels)).toEqual(Array.from(theirs.labels!));
    }
    // the uncompressed layout reads the same
    const raw = new Uint8Array(gunzipSync(bytes));
    expect(raw.length).toBe(MNIST_SUBSET_HEADER_BYTES + 390 * (784 + 1));
    const again = await decodeMnistSubset(raw);
    expect(again.test.labels).toEqual(s.test.labels);
  });

  it('rejects files that are not a subset, naming the problem', async () => {
    const raw = new Uint8Array(gunzipSync(fs.readFileSync(file)));
    const cases: [Uint8Array, RegExp][] = [
      [raw.subarray(0, 10), /file too short \(10 bytes\)/],
      [Uint8Array.from([...new TextEncoder().encode('VAEMNISX'), ...raw.subarray(8)]), /bad magic 'VAEMNISX'/],
      [raw.subarray(0, raw.length - 1), /\d+ bytes, expected \d+ for 300\/50\/40 images of 28×28/],
    ];
    const v2 = raw.slice();
    v2[8] = 2;
    cases.push([v2, /version 2 is not supported/]);
    const badLabel = raw.slice();
    badLabel[badLabel.length - 1] = 10;
    cases.push([badLabel, /label 10 outside 0–9/]);
    for (const [bytes, msg] of cases) {
      expect(() => parseMnistSubset(bytes)).toThrow(MnistSubsetError);
      expect(() => parseMnistSubset(bytes)).toThrow(msg);
    }
    await expect(decodeMnistSubset(Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3]))).rejects.toThrow(/corrupt gzip data/);
  });

  it('the script refuses bad options with one line and status 2', async () => {
    const r = await script(['--train', '-3']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('build-mnist-subset: --train must be a non-negative integer');
    const r2 = await script(['--train', '59500', '--validation', '1000']);
    expect(r2.code).toBe(2);
    expect(r2.stderr.trim()).toBe('build-mnist-subset: train 59500 + validation 1000 exceed the 60000 training images');
  });
});
