/**
 * The library's own conveniences: `datasetFromArray` (split, copy, labels, bad input), `train` (the
 * CLI's Trainer in one call: same numbers as driving the Trainer by hand, callbacks, abort) and
 * `loadRunFromUrl` (a run folder over HTTP gives the same model as `loadRunModel` from disk).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_TRAIN_OPTIONS, MLP_400_20, UserError, Vae, datasetFromArray, decodeZ, fitModelToData, generateFaces, loadRunFromUrl, train,
  useBackend, type EpochRecord,
} from '../../src/index.js';
import { loadRunModel, trainRun } from '../../src/node.js';
import { Trainer } from '../../src/train/trainer.js';

const made: string[] = [];
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
beforeAll(async () => {
  await useBackend('wasm');
});

/** n images of 4×4×1 whose every pixel is (i + 1) / (n + 1): the image index can be read back. */
function indexed(n: number): Float32Array {
  const out = new Float32Array(n * 16);
  for (let i = 0; i < n; i++) out.fill((i + 1) / (n + 1), i * 16, (i + 1) * 16);
  return out;
}
const indexOf = (v: number, n: number): number => Math.round(v * (n + 1)) - 1;

describe('datasetFromArray', () => {
  it('splits by a seeded share, keeps order, copies, and keeps labels with their images', () => {
    const n = 50;
    const images = indexed(n);
    const labels = Array.from({ length: n }, (_, i) => i % 7);
    const d = datasetFromArray(images, [n, 4, 4, 1], { validation: 0.2, seed: 3, labels });
    expect([d.train.count, d.validation.count]).toEqual([40, 10]);
    expect([d.height, d.width, d.channels, d.name]).toEqual([4, 4, 1, 'arrays']);
    const ids = (set: typeof d.train): number[] => Array.from({ length: set.count }, (_, j) => indexOf(set.images[j * 16], n));
    const all = [...ids(d.train), ...ids(d.validation)].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: n }, (_, i) => i)); // every image exactly once
    for (const set of [d.train, d.validation]) {
      const s = ids(set);
      expect(s).toEqual([...s].sort((a, b) => a - b)); // caller's order
      expect(Array.from(set.labels!)).toEqual(s.map((i) => i % 7));
    }
    // seeded: same seed same split, another seed another split
    expect(ids(datasetFromArray(images, [n, 4, 4, 1], { validation: 0.2, seed: 3 }).validation)).toEqual(ids(d.validation));
    expect(ids(datasetFromArray(images, [n, 4, 4, 1], { validation: 0.2, seed: 4 }).validation)).not.toEqual(ids(d.validation));
    images.fill(0); // a copy: the caller may reuse its array
    expect(d.train.images[0]).toBeGreaterThan(0);
  });

  it('refuses a wrong length, values outside [0, 1], a bad share and label count, with a UserError naming them', () => {
    const bad = (f: () => unknown, re: RegExp): void => {
      expect(f).toThrow(UserError);
      expect(f).toThrow(re);
    };
    bad(() => datasetFromArray(new Float32Array(31), [2, 4, 4, 1]), /31 values do not make 2 images of 4×4×1 \(32 values\)/);
    bad(() => datasetFromArray(Float32Array.from({ length: 32 }, (_, i) => (i === 20 ? 255 : 0)), [2, 4, 4, 1]), /value 255 of image 1 is outside \[0, 1\]/);
    bad(() => datasetFromArray(Float32Array.from({ length: 32 }, (_, i) => (i === 3 ? NaN : 0)), [2, 4, 4, 1]), /value NaN of image 0/);
    bad(() => datasetFromArray(indexed(4), [4, 4, 4, 1], { validation: 1 }), /validation must be a share in \(0, 1\)/);
    bad(() => datasetFromArray(indexed(4), [4, 4, 4, 1], { labels: [1, 2] }), /2 labels for 4 images/);
    bad(() => datasetFromArray(indexed(1), [1, 4, 4, 1]), /at least 2 images/);
    bad(() => datasetFromArray(indexed(4), [4, 4, 4, 0]), /channels must be a positive integer/);
  });
});

describe('train', () => {
  const faces = generateFaces({ count: 120, seed: 1 });
  const data = datasetFromArray(faces.train.images, [faces.train.count, 32, 32, 3], { validation: 0.25 });
  const config = fitModelToData(MLP_400_20, data, { hidden: [32], latent: 2, likelihood: { kind: 'gaussian', sigma2: 1 } });
  const options = { ...DEFAULT_TRAIN_OPTIONS, epochs: 3, batchSize: 16, seed: 5 };

  it('gives the numbers and weights of the Trainer driven by hand, and calls back per step and epoch', async () => {
    const vae = Vae.create(config, 5);
    const epochs: EpochRecord[] = [];
    let steps = 0;
    const history = await train(vae, data, { ...options, onStep: () => steps++, onEpoch: (r) => epochs.push(r) });
    const ref = Vae.create(config, 5);
    const trainer = new Trainer(ref, data, options);
    const refHistory = [1, 2, 3].map((e) => trainer.trainEpoch(e));
    trainer.optimizer.dispose();
    expect(history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(history.map((h) => [h.train, h.validation])).toEqual(refHistory.map((h) => [h.train, h.validation]));
    expect(epochs).toEqual(history);
    expect(steps).toBe(3 * Math.ceil(data.train.count / 16));
    const w = (v: Vae): number[] => v.encoder.getWeights().flatMap((t) => Array.from(t.dataSync()));
    expect(w(vae)).toEqual(w(ref));
    expect(history[2].validation.loss).toBeLessThan(history[0].validation.loss);
    vae.dispose();
    ref.dispose();
  });

  it('stops between steps when its signal fires, without recording the unfinished epoch', async () => {
    const vae = Vae.create(config, 5);
    const stop = new AbortController();
    const history = await train(vae, data, { ...options, epochs: 50, onEpoch: (r) => r.epoch === 2 && stop.abort(), signal: stop.signal });
    expect(history.map((h) => h.epoch)).toEqual([1, 2]);
    vae.dispose();
  });
});

describe('loadRunFromUrl', () => {
  let server: http.Server;
  let base: string;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lib-'));
    made.push(dir);
    const faces = generateFaces({ count: 200 });
    await trainRun({
      dir: path.join(dir, 'run'), model: fitModelToData(MLP_400_20, faces, { hidden: [32], latent: 2, likelihood: { kind: 'gaussian', sigma2: 1 } }),
      dataset: { name: 'faces', seed: 0 }, data: faces, options: { ...DEFAULT_TRAIN_OPTIONS, epochs: 2, batchSize: 32 },
    });
    server = http.createServer((req, res) => {
      const file = path.join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      if (!file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200).end(fs.readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('loads the best model of a run folder over HTTP: the same decodings as loadRunModel from disk', async () => {
    const { run, vae } = await loadRunFromUrl(`${base}/run`);
    const local = await loadRunModel(path.join(dir, 'run'));
    expect(run.bestEpoch).toBe(local.run.bestEpoch);
    const z = new Float32Array([0, 0, 1.5, -0.5, -2, 1]);
    expect(Array.from(decodeZ(vae, z, 3))).toEqual(Array.from(decodeZ(local.vae, z, 3)));
    vae.dispose();
    local.vae.dispose();
  });

  it('names the URL and the problem when there is no run', async () => {
    await expect(loadRunFromUrl(`${base}/nothing/`)).rejects.toThrow(/\/nothing\/run\.json: HTTP 404/);
    fs.mkdirSync(path.join(dir, 'junk'));
    fs.writeFileSync(path.join(dir, 'junk', 'run.json'), '{"format":"something else"}');
    await expect(loadRunFromUrl(`${base}/junk`)).rejects.toThrow(/junk\/run\.json: not a vae-ts run file/);
  });
});
