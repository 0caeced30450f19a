/**
 * The explorer's server with an imported ONNX run next to a trained one: `/api/runs` describes the
 * ONNX run (kind 'onnx', its graphs' URLs, layout and input/output names), the run serves exactly
 * run.json, encoder.onnx and decoder.onnx (byte for byte), nothing else; a tfjs run serves no .onnx.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './cliRun.js';
import { importOnnxPair } from '../../src/onnx/run.js';
import { serveExplorer, type ExplorerHandle } from '../../src/server/server.js';
import type { RunSummary } from '../../src/server/runs.js';
import { SEED000_CONV } from '../../src/models/config.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/trainer.js';
import { RUN_FORMAT, type RunJson } from '../../src/train/run.js';

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'onnx-torch');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-onnx-serve-'));
const onnxRun = path.join(tmp, 'runs', 'torch');
const tfjsRun = path.join(tmp, 'runs', 'faces');
let server: ExplorerHandle;

/** A trained run's run.json and stand-in model files (the server never parses them). */
function fakeRun(dir: string): void {
  for (const part of ['encoder', 'decoder']) {
    fs.mkdirSync(path.join(dir, part), { recursive: true });
    fs.writeFileSync(path.join(dir, part, 'model.json'), '{}');
  }
  const rec = { epoch: 1, train: { loss: 1, reconstruction: 1, kl: 0 }, validation: { loss: 1, reconstruction: 1, kl: 0 }, seconds: 1, imagesPerSecond: 1 };
  const run: RunJson = {
    format: RUN_FORMAT, version: 1, model: SEED000_CONV, dataset: { name: 'faces', seed: 0 }, training: { ...DEFAULT_TRAIN_OPTIONS, epochs: 1 },
    backend: 'wasm', versions: { tfjs: '4.22.0', node: process.version }, paramCounts: { encoder: 1, decoder: 1 },
    history: [rec], bestEpoch: 1, epochsDone: 1, rngState: null, status: 'done', createdAt: '', updatedAt: '',
  };
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify(run));
}

beforeAll(async () => {
  await importOnnxPair({ encoder: path.join(FIXTURE, 'encoder.onnx'), decoder: path.join(FIXTURE, 'decoder.onnx'), out: onnxRun });
  fakeRun(tfjsRun);
  fs.writeFileSync(path.join(onnxRun, 'notes.txt'), 'not served');
  const webRoot = path.join(tmp, 'web');
  fs.mkdirSync(webRoot);
  fs.writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>explorer</title>');
  server = await serveExplorer({ runs: [tfjsRun, onnxRun], port: 0, webRoot });
});

afterAll(async () => {
  await server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('serving an imported ONNX run', () => {
  it('lists it in /api/runs with its graphs, layout and names', async () => {
    const runs = (await (await fetch(`${server.url}api/runs`)).json()) as RunSummary[];
    expect(runs.map((r) => r.name)).toEqual(['faces', 'torch']);
    const t = runs[1];
    expect(t.model).toEqual({ kind: 'onnx', height: 32, width: 32, channels: 3, latent: 2, likelihood: { kind: 'gaussian', sigma2: 1 } });
    expect(t.dataset.name).toBe('faces');
    expect(t.hasModel).toBe(true);
    expect(t.onnx).toEqual({
      encoder: 'runs/torch/encoder.onnx', decoder: 'runs/torch/decoder.onnx', layout: 'NCHW', batch: 'dynamic',
      encoderIo: { input: 'x', outputs: ['mu', 'logvar'] }, decoderIo: { input: 'z', output: 'x_mean' },
    });
    expect(runs[0].onnx).toBeUndefined();
  });

  it('serves run.json and both graphs byte for byte, and nothing else of it', async () => {
    for (const f of ['encoder.onnx', 'decoder.onnx']) {
      const r = await fetch(`${server.url}runs/torch/${f}`);
      expect(r.status, f).toBe(200);
      expect(Buffer.from(await r.arrayBuffer()).equals(fs.readFileSync(path.join(FIXTURE, f))), f).toBe(true);
    }
    expect((await fetch(`${server.url}runs/torch/run.json`)).status).toBe(200);
    for (const p of ['runs/torch/notes.txt', 'runs/torch/encoder/model.json', 'runs/torch/testset.bin', 'runs/torch/prior-e1.json', 'runs/faces/encoder.onnx']) {
      const r = await fetch(`${server.url}${p}`);
      expect(r.status, p).toBe(404);
      expect((await r.text()).trim().split('\n'), p).toHaveLength(1);
    }
  });
});
