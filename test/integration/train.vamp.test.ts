/**
 * The VampPrior in training: on an MNIST slice the loss is finite and decreases, the pseudo-inputs
 * move, the run saves and loads them (with the mixture the explorer reads), samples come from the
 * prior, and --resume continues bit for bit (tfjs engine; the native engine's VampPrior is checked
 * against it in test/unit/engine.native.test.ts and test/integration/native.train.test.ts).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { useBackend } from '../../src/engine/backend.js';
import { loadDataset } from '../../src/data/load.js';
import type { Dataset } from '../../src/data/dataset.js';
import { MLP_400_20, type ModelConfig } from '../../src/models/config.js';
import { Vae } from '../../src/models/vae.js';
import { DEFAULT_TRAIN_OPTIONS, Trainer, type TrainOptions } from '../../src/train/trainer.js';
import { trainRun } from '../../src/train/trainRun.js';
import { loadRunModel, readRun } from '../../src/train/run.js';
import { loadPrior, priorFileName } from '../../src/train/priorFile.js';
import { sampleImages } from '../../src/analysis/generate.js';
import { VampPrior } from '../../src/math/prior.js';
import { Rng } from '../../src/math/rng.js';

const made: string[] = [];
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-vamp-'));
  made.push(d);
  return d;
};
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const MNIST_SPEC = { name: 'mnist' as const, seed: 0, trainLimit: 600, testLimit: 100, validation: 200 };
const vampSmall: ModelConfig = { ...MLP_400_20, hidden: [64], latent: 4, prior: { kind: 'vamp', components: 6 } };
const opts = (o: Partial<TrainOptions>): TrainOptions => ({ ...DEFAULT_TRAIN_OPTIONS, batchSize: 50, binarize: 'dynamic', ...o });

let mnist: Dataset;
beforeAll(async () => {
  await useBackend('wasm');
  mnist = await loadDataset(MNIST_SPEC);
});

/** One epoch, yielding to the event loop between steps (a long synchronous loop starves vitest's worker RPC). */
async function epoch(trainer: Trainer, e: number): Promise<ReturnType<Trainer['trainEpoch']>> {
  const it = trainer.epochSteps(e);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('VampPrior training', () => {
  it('trains on tfjs with a finite, decreasing loss; the pseudo-inputs move', async () => {
    const trainer = new Trainer(Vae.create(vampSmall, 4), mnist, opts({ seed: 4 }));
    expect(trainer.engine.name).not.toBe('native'); // useBackend('wasm'): the tfjs engine
    const prior = trainer.vae.prior as VampPrior;
    const before = prior.getParams().pseudoInputs.flat();
    const records = [];
    for (const e of [1, 2, 3]) records.push(await epoch(trainer, e));
    for (const r of records) expect(Number.isFinite(r.validation.loss) && Number.isFinite(r.train.loss)).toBe(true);
    expect(records[2].validation.loss).toBeLessThan(records[0].validation.loss);
    expect(records[2].train.loss).toBeLessThan(records[0].train.loss);
    expect(records[2].train.kl).toBeGreaterThan(0);
    const after = prior.getParams().pseudoInputs.flat();
    expect(after.some((v, i) => v !== before[i])).toBe(true);
    trainer.optimizer.dispose();
    trainer.vae.dispose();
  });

  it('saves and loads its pseudo-inputs, samples from the prior, and resumes bit for bit', async () => {
    const a = tmp();
    const b = tmp();
    const common = { model: vampSmall, dataset: MNIST_SPEC, data: mnist };
    await trainRun({ ...common, dir: a, options: opts({ epochs: 2, seed: 6 }) });
    await trainRun({ ...common, dir: b, options: opts({ epochs: 1, seed: 6 }) });
    await trainRun({ ...common, dir: b, resume: true, options: opts({ epochs: 2, seed: 6 }) });
    expect(readRun(b).history.map((h) => h.train.loss)).toEqual(readRun(a).history.map((h) => h.train.loss));
    const la = await loadRunModel(a, 'last');
    const lb = await loadRunModel(b, 'last');
    const pa = (la.vae.prior as VampPrior).getParams();
    expect((lb.vae.prior as VampPrior).getParams()).toEqual(pa);
    // the file holds the pseudo-inputs and the mixture they give through the saved encoder
    const onDisk = JSON.parse(fs.readFileSync(path.join(a, 'state', priorFileName('e2')), 'utf8'));
    expect(onDisk.kind).toBe('vamp');
    expect(onDisk.pseudoInputs).toEqual(pa.pseudoInputs);
    expect(onDisk.means).toEqual((la.vae.prior as VampPrior).mixture().means);
    expect(onDisk.logits).toEqual(new Array(6).fill(0));
    const best = readRun(a).bestEpoch;
    expect(fs.existsSync(path.join(a, priorFileName(`e${best}`)))).toBe(true);
    // samples come from the VampPrior, not N(0, I)
    const { z } = sampleImages(la.vae, 5, 1);
    expect(Array.from(z)).toEqual(Array.from((la.vae.prior as VampPrior).sample(new Rng(1), 5)));
    expect(Array.from(z)).not.toEqual(Array.from(new Rng(1).normals(20)));
    expect(() => loadPrior(path.join(a, 'state'), { ...vampSmall, prior: { kind: 'vamp', components: 7 } }, 'e2')).toThrow(/expected 7 pseudo-inputs/);
    la.vae.dispose();
    lb.vae.dispose();
  });
});
