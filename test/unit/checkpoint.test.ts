import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '../../src/engine/tfjs.js';
import { loadModel, loadTensors, saveModel, saveTensors } from '../../src/train/checkpoint.js';
import { Vae } from '../../src/models/vae.js';
import { MLP_400_20, SEED000_CONV } from '../../src/models/config.js';
import { loadRunModel, saveBest, writeRun, RUN_FORMAT, type RunJson } from '../../src/train/run.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/trainer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const made: string[] = [];
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-ckpt-'));
  made.push(d);
  return d;
};
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function fakeRun(model: RunJson['model']): RunJson {
  return {
    format: RUN_FORMAT, version: 1, model, dataset: { name: 'faces' }, training: DEFAULT_TRAIN_OPTIONS, backend: 'cpu',
    versions: { tfjs: tf.version.tfjs, node: process.version }, paramCounts: { encoder: 0, decoder: 0 }, history: [],
    bestEpoch: 1, epochsDone: 1, rngState: null, status: 'done', createdAt: '', updatedAt: '',
  };
}

describe('checkpoints', () => {
  it('a saved model loads back with identical outputs, and old weight files are removed', async () => {
    const dir = tmp();
    const vae = Vae.create(SEED000_CONV, 3);
    await saveModel(vae.decoder, dir, 'e1');
    await saveModel(vae.decoder, dir, 'e2');
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights-e2.bin']);
    const loaded = await loadModel(dir);
    const z = tf.tensor2d([[0.5, -1], [2, 0.1]]);
    const a = (vae.decoder.predict(z) as tf.Tensor).dataSync();
    const b = (loaded.predict(z) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    z.dispose();
    loaded.dispose();
    vae.dispose();
  });

  it('rejects missing, truncated and inconsistent files with the file named', async () => {
    const dir = tmp();
    const vae = Vae.create(MLP_400_20, 1);
    await saveModel(vae.encoder, dir, 'e1');
    vae.dispose();
    const bin = path.join(dir, 'weights-e1.bin');
    const good = fs.readFileSync(bin);
    fs.writeFileSync(bin, good.subarray(0, good.length - 4));
    await expect(loadModel(dir)).rejects.toThrow(/weights-e1\.bin: has \d+ bytes, model.json expects \d+/);
    fs.rmSync(bin);
    await expect(loadModel(dir)).rejects.toThrow(/weights-e1\.bin: weights file missing/);
    fs.writeFileSync(path.join(dir, 'model.json'), '{"modelTopology": 1');
    await expect(loadModel(dir)).rejects.toThrow(/model\.json: not valid JSON/);
    fs.writeFileSync(path.join(dir, 'model.json'), '{"hello": 1}');
    await expect(loadModel(dir)).rejects.toThrow(/not a tfjs layers model/);
    await expect(loadModel(path.join(dir, 'nope'))).rejects.toThrow(/nope\/model\.json: file not found/);
  });

  it('a run folder whose weights do not match its run.json architecture is refused', async () => {
    const dir = tmp();
    const vae = Vae.create({ ...MLP_400_20, hidden: [32] }, 1);
    await saveBest(dir, vae, 1);
    vae.dispose();
    writeRun(dir, fakeRun({ ...MLP_400_20, hidden: [64] }));
    await expect(loadRunModel(dir)).rejects.toThrow(/do not match the architecture/);
    writeRun(dir, fakeRun({ ...MLP_400_20, hidden: [32] }));
    const { vae: ok } = await loadRunModel(dir);
    ok.dispose();
  });

  it('named tensors (Adam state) round-trip, int32 included', async () => {
    const dir = tmp();
    const ts = [
      { name: 'iter', tensor: tf.scalar(7, 'int32') },
      { name: 'm', tensor: tf.tensor2d([[1.5, -2], [3, 4.25]]) },
    ];
    await saveTensors(dir, 'optimizer', 'e3', ts);
    const back = loadTensors(dir, 'optimizer');
    expect(back.map((t) => t.name)).toEqual(['iter', 'm']);
    expect(back[0].tensor.dtype).toBe('int32');
    expect(back[0].tensor.dataSync()[0]).toBe(7);
    expect(Array.from(back[1].tensor.dataSync())).toEqual([1.5, -2, 3, 4.25]);
    tf.dispose([...ts.map((t) => t.tensor), ...back.map((t) => t.tensor)]);
  });
});
