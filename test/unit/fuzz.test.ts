/**
 * Seeded fuzzing of the file parsers: random bytes and mutations (bit flips, overwritten bytes,
 * insertions, deletions, truncations, interesting 32-bit values in headers; for JSON also
 * structural edits: values replaced by null, -1, 1e308, '', [], {}, keys removed) of valid files.
 * Every input must parse or throw our UserError (DataError is one); never another exception type.
 * A hang fails by the test timeout; a header that makes a parser allocate absurd memory fails
 * the ArrayBuffer bound checked along the way. Bounded by counts (a few thousand inputs).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '../../src/engine/tfjs.js';
import { UserError, printable } from '../../src/errors.js';
import { parseJson } from '../../src/data/files.js';
import { encodeIdx, parseIdx, readIdxFile } from '../../src/data/idx.js';
import sharp from 'sharp';
import { encodePng } from '../../src/data/png.js';
import { decodeImage } from '../../src/data/image.js';
import { Rng } from '../../src/math/rng.js';
import { parseRunJson, RUN_FORMAT, type RunJson } from '../../src/train/run.js';
import { loadModel, loadTensors, saveModel, saveTensors } from '../../src/train/checkpoint.js';
import { MLP_400_20 } from '../../src/models/config.js';
import { Vae } from '../../src/models/vae.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/trainer.js';

const MAX_ARRAY_BUFFERS = 512 * 1024 * 1024;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-fuzz-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const INTERESTING32 = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 28, 60000];

/** One random mutation of `src` (a new array). */
function mutate(src: Uint8Array, rng: Rng): Uint8Array {
  const b = Uint8Array.from(src);
  const at = (): number => rng.int(Math.max(1, b.length));
  switch (rng.int(7)) {
    case 0: { // flip bits
      for (let k = 1 + rng.int(4); k > 0 && b.length > 0; k--) b[at()] ^= 1 << rng.int(8);
      return b;
    }
    case 1: { // overwrite bytes
      for (let k = 1 + rng.int(8); k > 0 && b.length > 0; k--) b[at()] = rng.int(256);
      return b;
    }
    case 2: { // an interesting 32-bit value, big-endian, usually in the header
      if (b.length < 4) return b;
      const o = rng.uniform() < 0.7 ? rng.int(Math.min(b.length - 3, 40)) : rng.int(b.length - 3);
      new DataView(b.buffer).setUint32(o, INTERESTING32[rng.int(INTERESTING32.length)], false);
      return b;
    }
    case 3: // truncate
      return b.subarray(0, rng.int(b.length + 1));
    case 4: { // delete a range
      const s = at();
      const e = Math.min(b.length, s + 1 + rng.int(64));
      return Uint8Array.from([...b.subarray(0, s), ...b.subarray(e)]);
    }
    case 5: { // insert random bytes
      const s = at();
      const ins = Uint8Array.from({ length: 1 + rng.int(64) }, () => rng.int(256));
      return Uint8Array.from([...b.subarray(0, s), ...ins, ...b.subarray(s)]);
    }
    default: { // duplicate a range
      const s = at();
      const e = Math.min(b.length, s + 1 + rng.int(256));
      return Uint8Array.from([...b.subarray(0, e), ...b.subarray(s)]);
    }
  }
}

const randomBytes = (rng: Rng, max: number): Uint8Array => Uint8Array.from({ length: rng.int(max) }, () => rng.int(256));

/** Runs `parse`; anything thrown must be a UserError. Returns 'ok' or 'error'. */
function expectOurErrorOnly(parse: () => unknown, what: string): 'ok' | 'error' {
  try {
    parse();
    return 'ok';
  } catch (e) {
    if (!(e instanceof UserError)) throw new Error(`${what}: threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    expect((e as Error).message).not.toContain('\n');
    return 'error';
  }
}

async function expectOurErrorOnlyAsync(parse: () => Promise<unknown>, what: string): Promise<'ok' | 'error'> {
  try {
    await parse();
    return 'ok';
  } catch (e) {
    if (!(e instanceof UserError)) throw new Error(`${what}: threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    return 'error';
  }
}

function checkMemory(): void {
  expect(process.memoryUsage().arrayBuffers).toBeLessThan(MAX_ARRAY_BUFFERS);
}

/** Structural JSON mutation: replace, remove or wrap one value somewhere in the tree. */
function mutateJson(value: unknown, rng: Rng): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach((x, i) => { nodes.push({ parent: v, key: i }); walk(x); });
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) { nodes.push({ parent: v as Record<string, unknown>, key: k }); walk((v as Record<string, unknown>)[k]); }
  };
  walk(copy);
  if (nodes.length === 0) return copy;
  const REPLACEMENTS: unknown[] = [null, -1, 0, 1.5, 1e308, -1e308, 2 ** 53, '', 'x', [], {}, [[]], true, [-1, -1], [1e9, 1e9, 1e9], { a: 1 }, '../../etc/passwd'];
  for (let k = 1 + rng.int(3); k > 0; k--) {
    const { parent, key } = nodes[rng.int(nodes.length)];
    const r = rng.int(4);
    const rec = parent as Record<string | number, unknown>;
    if (r === 0 && !Array.isArray(parent)) delete rec[key];
    else if (r === 1) rec[key] = [rec[key]];
    else rec[key] = REPLACEMENTS[rng.int(REPLACEMENTS.length)];
  }
  return copy;
}

describe('parser fuzzing (seeded)', () => {
  it('IDX: 3000 random and mutated inputs (plain and gzipped files) parse or throw DataError', async () => {
    const rng = new Rng(11);
    const valid = [
      encodeIdx([10, 28, 28], Uint8Array.from({ length: 7840 }, (_, i) => i % 251)),
      encodeIdx([10], Uint8Array.from({ length: 10 }, (_, i) => i)),
      encodeIdx([2, 3, 4, 5], new Uint8Array(120)),
    ];
    const tally = { ok: 0, error: 0 };
    for (let i = 0; i < 3000; i++) {
      const input = i % 10 === 0 ? randomBytes(rng, 200) : mutate(valid[rng.int(valid.length)], rng);
      tally[expectOurErrorOnly(() => parseIdx(input, `input ${i}`, rng.uniform() < 0.5 ? undefined : 1 + rng.int(3)), `IDX input ${i}`)]++;
      if (i % 100 === 0) checkMemory();
    }
    // the reader: gzipped mutations and mutated gzip streams
    const file = path.join(tmp, 'fuzz-idx.gz');
    for (let i = 0; i < 200; i++) {
      const raw = mutate(valid[rng.int(valid.length)], rng);
      fs.writeFileSync(file, i % 2 === 0 ? gzipSync(raw) : mutate(gzipSync(valid[0]), rng));
      tally[await expectOurErrorOnlyAsync(() => readIdxFile(file), `gzipped IDX input ${i}`)]++;
    }
    checkMemory();
    expect(tally.error).toBeGreaterThan(1000);
    expect(tally.ok).toBeGreaterThan(10);
  });

  it('gzip bombs: 60 gzipped IDX files declaring random sizes with up to 16 MB of extra data are refused within their declared size', async () => {
    const rng = new Rng(21);
    const file = path.join(tmp, 'bomb.gz');
    const tally = { ok: 0, error: 0 };
    for (let i = 0; i < 60; i++) {
      const dims = [1 + rng.int(50), 1 + rng.int(40), 1 + rng.int(40)];
      const data = encodeIdx(dims, new Uint8Array(dims[0] * dims[1] * dims[2]));
      if (rng.uniform() < 0.3) new DataView(data.buffer).setUint32(4, INTERESTING32[rng.int(INTERESTING32.length)], false);
      const extra = i % 6 === 0 ? 0 : rng.int(16 << 20);
      fs.writeFileSync(file, gzipSync(Buffer.concat([data, Buffer.alloc(extra)]), { level: 1 }));
      const before = process.memoryUsage().arrayBuffers;
      tally[await expectOurErrorOnlyAsync(() => readIdxFile(file), `gzip bomb ${i}`)]++;
      // what was inflated is bounded by the declared size, never the extra data beyond it: < 200 kB for
      // an intact header; a mutated first dimension may declare more (up to what the file holds). The
      // inflated chunks and their concatenation can both be alive for a moment (twice), plus a chunk.
      const view = new DataView(data.buffer, data.byteOffset);
      const declared = 16 + view.getUint32(4, false) * view.getUint32(8, false) * view.getUint32(12, false);
      expect(process.memoryUsage().arrayBuffers - before, `gzip bomb ${i}`).toBeLessThan(2 * Math.min(declared, data.length + extra) + (4 << 20));
    }
    expect(tally.error).toBeGreaterThan(30);
    expect(tally.ok).toBeGreaterThan(3);
  });

  it('JSON nesting and printable text: 2000 random inputs parse or throw UserError (never a stack overflow); printed text is one line without control bytes', () => {
    const rng = new Rng(22);
    const pieces = ['[', ']', '{', '}', '"a":', ',', '1', '"', '\\', '\n', '\u001b[31m', '\u0000', '\ud800', '\u2028', '\ufffd', 'x'];
    for (let i = 0; i < 2000; i++) {
      const deep = i % 20 === 0 ? '['.repeat(1 + rng.int(300000)) : '';
      let text = deep;
      for (let k = rng.int(60); k > 0; k--) text += pieces[rng.int(pieces.length)];
      expectOurErrorOnly(() => parseJson(text, `json ${i}`), `json input ${i}`);
      const shown = printable(text);
      // eslint-disable-next-line no-control-regex -- control characters are what must not appear
      expect(shown).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd\p{Cs}]/u);
      // eslint-disable-next-line no-control-regex -- plain text is shown as is
      if (!/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd\p{Cs}]/u.test(text)) expect(shown).toBe(text);
    }
  });

  it('images (sharp): 3000 random and mutated PNG, JPEG and WebP inputs decode or throw DataError', { timeout: 120_000 }, async () => {
    const rng = new Rng(12);
    const pixels = (w: number, h: number, c: number): Buffer => Buffer.from(Uint8Array.from({ length: w * h * c }, (_, i) => (i * 37) % 251));
    const make = ([w, h, c]: readonly [number, number, 1 | 3 | 4]) => sharp(pixels(w, h, c), { raw: { width: w, height: h, channels: c } });
    const valid: Uint8Array[] = [
      new Uint8Array(encodePng(Float32Array.from({ length: 8 * 8 }, (_, i) => (i * 37) % 101 / 100), 8, 8, 1)),
      new Uint8Array(await make([16, 5, 3]).png().toBuffer()),
      new Uint8Array(await make([4, 9, 4]).png().toBuffer()),
      new Uint8Array(await make([24, 16, 3]).jpeg().toBuffer()),
      new Uint8Array(await make([12, 12, 4]).webp().toBuffer()),
    ];
    const tally = { ok: 0, error: 0 };
    for (let i = 0; i < 3000; i++) {
      // every 50th input is a valid file as it is (those must decode)
      const input = i % 50 === 0 ? valid[(i / 50) % valid.length] : i % 10 === 0 ? randomBytes(rng, 300) : mutate(valid[rng.int(valid.length)], rng);
      const channels = i % 2 === 0 ? 3 : 1;
      tally[await expectOurErrorOnlyAsync(async () => {
        const img = await decodeImage(input, `input ${i}`, { height: 8, width: 8, channels });
        expect(img.data.length).toBe(8 * 8 * channels);
        for (const v of img.data) if (!(v >= 0 && v <= 1)) throw new Error(`input ${i}: value ${v} outside [0, 1]`);
      }, `image input ${i}`)]++;
      if (i % 100 === 0) checkMemory();
    }
    expect(tally.error).toBeGreaterThan(1000);
    expect(tally.ok).toBeGreaterThanOrEqual(60);
  });

  it('run.json: 3000 random, byte-mutated and structurally mutated files parse or throw UserError', () => {
    const rng = new Rng(13);
    const run: RunJson = {
      format: RUN_FORMAT, version: 1, model: MLP_400_20, dataset: { name: 'mnist', seed: 0, trainLimit: 100 }, training: DEFAULT_TRAIN_OPTIONS,
      backend: 'wasm', versions: { tfjs: '4.22.0', node: 'v20' }, paramCounts: { encoder: 1, decoder: 1 },
      history: [1, 2].map((e) => ({ epoch: e, train: { loss: 3, reconstruction: 2, kl: 1 }, validation: { loss: 3, reconstruction: 2, kl: 1 }, seconds: 1, imagesPerSecond: 9 })),
      bestEpoch: 2, epochsDone: 2, rngState: { s: [1, 2, 3, 4], spare: null },
      partial: { epoch: 3, step: 1, steps: 4, tag: 'e3s1', epochRng: { s: [5, 6, 7, 8], spare: 0.5 }, rng: { s: [1, 1, 1, 1], spare: null }, sums: { loss: 1, reconstruction: 1, kl: 0 } },
      status: 'interrupted', createdAt: '', updatedAt: '',
    };
    expect(parseRunJson(JSON.stringify(run), 'valid')).toEqual(run);
    const text = new TextEncoder().encode(JSON.stringify(run));
    const tally = { ok: 0, error: 0 };
    for (let i = 0; i < 3000; i++) {
      const input = i % 3 === 0 ? JSON.stringify(mutateJson(run, rng)) : new TextDecoder().decode(i % 10 === 1 ? randomBytes(rng, 300) : mutate(text, rng));
      tally[expectOurErrorOnly(() => {
        const r = parseRunJson(input, `run.json #${i}`);
        // what the parser lets through must be usable by its readers
        r.history.forEach((h) => h.validation.loss.toFixed(1));
        void r.dataset.name.length;
        // and only values training knows (an unknown kl or binarize once changed training silently)
        expect(['analytic', 'monte-carlo']).toContain(r.training.kl);
        expect(['none', 'threshold', 'static', 'dynamic']).toContain(r.training.binarize);
        expect(r.training.batchSize).toBeLessThanOrEqual(65536);
        if (r.model.kind === 'mlp') expect(r.model.hidden.length).toBeLessThanOrEqual(16);
      }, `run.json input ${i}`)]++;
    }
    expect(tally.error).toBeGreaterThan(1000);
    expect(tally.ok).toBeGreaterThan(10);
  });

  it('model.json and optimizer state: 400 mutated files load or throw UserError, without leaking tensors', async () => {
    const rng = new Rng(14);
    const good = path.join(tmp, 'good');
    const vae = Vae.create({ ...MLP_400_20, hidden: [8], latent: 2 }, 1);
    await saveModel(vae.encoder, good, 'e1');
    await saveTensors(good, 'optimizer', 'e1', [{ name: 'iter', tensor: tf.scalar(3, 'int32') }, ...vae.encoder.getWeights().map((w, i) => ({ name: `w${i}`, tensor: w }))]);
    vae.dispose();
    const modelJson = JSON.parse(fs.readFileSync(path.join(good, 'model.json'), 'utf8')) as unknown;
    const modelText = new TextEncoder().encode(JSON.stringify(modelJson));
    const weights = fs.readFileSync(path.join(good, 'weights-e1.bin'));
    const optJson = JSON.parse(fs.readFileSync(path.join(good, 'optimizer.json'), 'utf8')) as unknown;
    const optBin = fs.readFileSync(path.join(good, 'optimizer-e1.bin'));
    const dir = path.join(tmp, 'mutant');
    fs.mkdirSync(dir);
    const before = tf.memory().numTensors;
    const tally = { ok: 0, error: 0 };
    for (let i = 0; i < 400; i++) {
      const kind = rng.int(3);
      fs.writeFileSync(path.join(dir, 'model.json'), kind === 0 ? JSON.stringify(mutateJson(modelJson, rng)) : kind === 1 ? mutate(modelText, rng) : modelText);
      fs.writeFileSync(path.join(dir, 'weights-e1.bin'), kind === 2 ? mutate(weights, rng) : weights);
      tally[await expectOurErrorOnlyAsync(async () => (await loadModel(dir)).dispose(), `model.json input ${i}`)]++;
      fs.writeFileSync(path.join(dir, 'optimizer.json'), kind === 0 ? JSON.stringify(mutateJson(optJson, rng)) : JSON.stringify(optJson));
      fs.writeFileSync(path.join(dir, 'optimizer-e1.bin'), kind === 1 ? mutate(optBin, rng) : optBin);
      tally[expectOurErrorOnly(() => tf.dispose(loadTensors(dir, 'optimizer').map((t) => t.tensor)), `optimizer input ${i}`)]++;
    }
    expect(tf.memory().numTensors).toBe(before);
    checkMemory();
    expect(tally.error).toBeGreaterThan(100);
    expect(tally.ok).toBeGreaterThan(100);
  });
});
