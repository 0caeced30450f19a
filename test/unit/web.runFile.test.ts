/**
 * The page's run file (web/training/runFile.ts) in Node: a model saved to memory, written as a
 * .vaerun.json text and read back predicts exactly what the original does; every kind of damage
 * is rejected with a message naming it.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '../../src/engine/tfjs.js';
import { Vae } from '../../src/models/vae.js';
import type { MlpModelConfig } from '../../src/models/config.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/trainer.js';
import { modelFiles } from '../../web/training/modelFiles.js';
import {
  base64ToBytes, bytesToBase64, decodeRunFile, encodeRunFile, localSummary, runFileName, RunFileError, type LocalRun,
} from '../../web/training/runFile.js';

const CONFIG: MlpModelConfig = { kind: 'mlp', height: 4, width: 4, channels: 1, latent: 2, hidden: [5], activation: 'tanh', likelihood: { kind: 'bernoulli' } };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const record = (epoch: number, loss: number) => ({
  epoch, train: { loss, reconstruction: loss - 1, kl: 1 }, validation: { loss: loss + 0.5, reconstruction: loss - 0.5, kl: 1 }, seconds: 0.1, imagesPerSecond: 100,
});

async function makeRun(vae: Vae): Promise<LocalRun> {
  return {
    info: {
      name: 'page-test run', dataset: { name: 'faces', seed: 0, trainLimit: 64 }, model: CONFIG,
      training: { ...DEFAULT_TRAIN_OPTIONS, epochs: 2, seed: 7 }, history: [record(1, 20.25), record(2, 18.5)], bestEpoch: 2,
      epochsDone: 2, status: 'done', backend: 'wasm', createdAt: '2025-01-01T00:00:00.000Z', paramCounts: vae.paramCounts(),
    },
    latentGrid: { n: 2, params: [0.4, 0.3, 1.4, 0.3, 0.4, 0.8, 1.4, 0.8], epochs: [{ epoch: 0, mu: [0, 0, 1, 1, 2, 2, 3, 3] }, { epoch: 2, mu: [0.5, -1, 1, 1, 2, 2, 3, -3.25] }] },
    encoder: await modelFiles(vae.encoder),
    decoder: await modelFiles(vae.decoder),
  };
}

/** The text of a good run file with one change made to its parsed JSON. */
function damaged(text: string, change: (j: Record<string, any>) => void): string { // eslint-disable-line @typescript-eslint/no-explicit-any
  const j = JSON.parse(text) as Record<string, unknown>;
  change(j);
  return JSON.stringify(j);
}

describe('run file', () => {
  it('base64 agrees with Node\'s Buffer both ways, also across the 32 KiB chunks', () => {
    for (const n of [0, 1, 2, 3, 4, 0x8000 - 1, 0x8000, 0x8000 * 2 + 5]) {
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) bytes[i] = (i * 131 + 7 * (i >> 8)) & 255;
      const b64 = bytesToBase64(bytes);
      expect(b64).toBe(Buffer.from(bytes).toString('base64'));
      expect(Array.from(base64ToBytes(b64))).toEqual(Array.from(bytes));
    }
  });

  it('round trip: the same description, latent grid and weights; the loaded models predict bit for bit the same', async () => {
    const vae = Vae.create(CONFIG, 11);
    const run = await makeRun(vae);
    const text = encodeRunFile(run);
    const back = decodeRunFile(text);
    expect(back.info).toEqual({ ...run.info, name: 'page-test run' });
    expect(back.latentGrid).toEqual(run.latentGrid);
    for (const k of ['encoder', 'decoder'] as const) {
      expect(back[k].weightSpecs).toEqual(run[k].weightSpecs);
      expect(back[k].modelTopology).toEqual(run[k].modelTopology);
      expect(new Uint8Array(back[k].weightData)).toEqual(new Uint8Array(run[k].weightData));
    }
    const encoder = await tf.loadLayersModel(tf.io.fromMemory({ ...back.encoder }));
    const decoder = await tf.loadLayersModel(tf.io.fromMemory({ ...back.decoder }));
    const x = tf.randomUniform([3, 4, 4, 1], 0, 1, 'float32', 5);
    const z = tf.randomNormal([3, 2], 0, 1, 'float32', 6);
    const [mu0, lv0] = vae.encoder.predict(x) as tf.Tensor[];
    const [mu1, lv1] = encoder.predict(x) as tf.Tensor[];
    expect(Array.from(mu1.dataSync())).toEqual(Array.from(mu0.dataSync()));
    expect(Array.from(lv1.dataSync())).toEqual(Array.from(lv0.dataSync()));
    const y0 = vae.decoder.predict(z) as tf.Tensor;
    const y1 = decoder.predict(z) as tf.Tensor;
    expect(Array.from(y1.dataSync())).toEqual(Array.from(y0.dataSync()));
    tf.dispose([x, z, mu0, lv0, mu1, lv1, y0, y1]);
    encoder.dispose();
    decoder.dispose();
    vae.dispose();
  });

  it('the summary and file name the page uses', async () => {
    const vae = Vae.create(CONFIG, 1);
    const run = await makeRun(vae);
    vae.dispose();
    const s = localSummary(run);
    expect(s).toMatchObject({ name: 'page-test run', hasModel: true, hasLatentGrid: true, bestEpoch: 2, epochsDone: 2, status: 'done' });
    expect(s.urls.latentGrid).toBeNull();
    expect(runFileName(run)).toBe('page-test_run.vaerun.json');
  });

  it('saving models to memory leaves no tensors behind', async () => {
    const vae = Vae.create(CONFIG, 2);
    await modelFiles(vae.encoder);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await modelFiles(vae.decoder);
    expect(tf.memory().numTensors).toBe(before);
    vae.dispose();
  });

  it('rejects damaged files with a message naming the problem', async () => {
    const vae = Vae.create(CONFIG, 3);
    const text = encodeRunFile(await makeRun(vae));
    vae.dispose();
    const cases: [string, RegExp][] = [
      ['{"format": "vae-ts-run-file", ', /^not a run file: the text is not JSON/],
      ['[1, 2]', /^not a vae-ts run file \(format is missing/],
      [JSON.stringify({ format: 'vae-ts-run' }), /^not a vae-ts run file \(format is "vae-ts-run", expected "vae-ts-run-file"\)/],
      [damaged(text, (j) => (j.version = 2)), /^version: 2 is not supported/],
      [damaged(text, (j) => delete j.run), /^run: missing/],
      [damaged(text, (j) => (j.run.name = ' ')), /^run\.name: must be a non-empty string/],
      [damaged(text, (j) => (j.run.model.kind = 'rnn')), /^run\.model: invalid model config: kind must be 'conv' or 'mlp'/],
      [damaged(text, (j) => delete j.run.dataset), /^run\.dataset: must name its dataset/],
      [damaged(text, (j) => (j.run.training.epochs = 0)), /^run\.training: needs epochs/],
      [damaged(text, (j) => (j.run.history = [])), /^run\.history: must be a non-empty list/],
      [damaged(text, (j) => (j.run.history[1].validation.loss = 'x')), /^run\.history\[1\]: needs an epoch/],
      [damaged(text, (j) => (j.run.bestEpoch = 3)), /^run\.bestEpoch: must be one of the epochs/],
      [damaged(text, (j) => j.latentGrid.params.pop()), /^latentGrid\.params: must hold 8 numbers/],
      [damaged(text, (j) => (j.latentGrid.epochs[1].mu = [1, 2])), /^latentGrid\.epochs\[1\]: needs an epoch and 8 means/],
      [damaged(text, (j) => delete j.decoder), /^decoder: missing/],
      [damaged(text, (j) => (j.encoder.modelTopology = 'x')), /^encoder: modelTopology must be an object/],
      [damaged(text, (j) => (j.encoder.weightSpecs[0].dtype = 'int32')), /^encoder: weightSpecs\[0\] \(.+\) has dtype "int32", only float32/],
      [damaged(text, (j) => (j.decoder.weightSpecs[1].shape = [-1])), /^decoder: weightSpecs\[1\] must have a name and a shape/],
      [damaged(text, (j) => (j.encoder.weightData = j.encoder.weightData.slice(0, 8))), /^encoder: weightData holds 6 bytes, the weightSpecs need \d+/],
      [damaged(text, (j) => (j.decoder.weightData = '%%%' + j.decoder.weightData)), /^decoder: weightData is not valid base64/],
    ];
    for (const [bad, message] of cases) {
      let err: unknown = null;
      try {
        decodeRunFile(bad);
      } catch (e) {
        err = e;
      }
      expect(err, String(message)).toBeInstanceOf(RunFileError);
      expect((err as Error).message).toMatch(message);
    }
    // the good file still decodes (the cases above changed copies)
    expect(decodeRunFile(text).info.bestEpoch).toBe(2);
  });
});
