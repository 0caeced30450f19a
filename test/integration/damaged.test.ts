/**
 * Damaged and hostile files through the compiled CLI, table-driven: broken run folders (run.json,
 * model.json, weights, optimizer state, a folder from another architecture), IDX files (magic,
 * counts, short data, gzip), image folders (not an image, truncated PNG and JPEG, absurd headers,
 * empty, a FIFO or /dev/zero named like an image, an oversize file), NaN in
 * weights, folders where files belong. Each must give exactly one line on stderr that names the
 * file and the problem, exit status 2, no stack trace, and leave every file as it was (the case's
 * whole tree is hashed before and after; no file may appear either).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { encodeIdx } from '../../src/data/idx.js';
import { encodePng } from '../../src/data/png.js';
import { Rng } from '../../src/math/rng.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'vae.js');

interface Result { status: number | null; stdout: string; stderr: string }

function vae(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-damaged-'));
const base = path.join(tmp, 'base-run');
const other = path.join(tmp, 'other-run');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** path -> sha256 of every file, 'dir' for folders, '-> target' for symlinks (not followed). */
function hashTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    const abs = path.join(dir, rel);
    const st = fs.lstatSync(abs);
    if (st.isSymbolicLink()) out.set(rel, `-> ${fs.readlinkSync(abs)}`);
    else if (st.isFIFO()) out.set(rel, 'fifo');
    else if (st.isDirectory()) {
      out.set(rel, 'dir');
      for (const f of fs.readdirSync(abs)) walk(path.join(rel, f));
    } else out.set(rel, createHash('sha256').update(fs.readFileSync(abs)).digest('hex'));
  };
  walk('.');
  return out;
}

// ---- builders of inputs --------------------------------------------------------------------

const copyRun = (dir: string, from = base): string => {
  const run = path.join(dir, 'run');
  fs.cpSync(from, run, { recursive: true });
  return run;
};
const weightsOf = (part: string): string => fs.readdirSync(part).find((f) => f.endsWith('.bin'))!;
const editJson = (file: string, edit: (j: Record<string, unknown>) => unknown): void => {
  const j = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const r = edit(j);
  fs.writeFileSync(file, JSON.stringify(r === undefined ? j : r));
};
const replaceWithFolder = (file: string): void => {
  fs.rmSync(file);
  fs.mkdirSync(file);
};

/** A small MNIST-shaped folder: 120 train and 20 test images of 28x28 with labels 0-9. */
function fakeMnist(dir: string, { gz = false } = {}): string {
  const d = path.join(dir, 'mnist');
  fs.mkdirSync(d, { recursive: true });
  const rng = new Rng(1);
  const write = (name: string, dims: number[]): void => {
    const count = dims.reduce((a, b) => a * b, 1);
    const data = new Uint8Array(count).map(() => (dims.length === 1 ? rng.int(10) : rng.int(256)));
    const bytes = encodeIdx(dims, data);
    fs.writeFileSync(path.join(d, name + (gz ? '.gz' : '')), gz ? gzipSync(bytes) : bytes);
  };
  write('train-images-idx3-ubyte', [120, 28, 28]);
  write('train-labels-idx1-ubyte', [120]);
  write('t10k-images-idx3-ubyte', [20, 28, 28]);
  write('t10k-labels-idx1-ubyte', [20]);
  return d;
}
const mnistTrain = (d: string, dir: string): string[] =>
  ['train', '--dataset', 'mnist', '--data-path', d, '--validation', '20', '--hidden', '8', '--latent', '2', '--epochs', '1', '--out', path.join(dir, 'out')];
const idxFile = (d: string, name: string): string => path.join(d, name);

/** A folder of valid PNGs (8x8 RGB). */
function pngFolder(dir: string, n = 4): string {
  const d = path.join(dir, 'pngs');
  fs.mkdirSync(d, { recursive: true });
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(d, `img${i}.png`), encodePng(new Float32Array(8 * 8 * 3).fill(i / n), 8, 8, 3));
  return d;
}
const folderTrain = (d: string, dir: string): string[] =>
  ['train', '--dataset', 'folder', '--data-path', d, '--model', 'mlp', '--hidden', '8', '--latent', '2', '--epochs', '1', '--out', path.join(dir, 'out')];

/** A PNG whose IHDR is patched (CRC left wrong: the header check must come first). */
function pngWithHeader(width: number, height: number): Buffer {
  const png = Buffer.from(encodePng(new Float32Array(4 * 4 * 3), 4, 4, 3));
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  return png;
}

// ---- the table -------------------------------------------------------------------------------

interface Case {
  name: string;
  /** Prepares the damaged input inside `dir` and returns the CLI arguments. */
  setup(dir: string): string[];
  /** The one line: must name the file and the problem. */
  error: RegExp;
}

const enc = (run: string): string => path.join(run, 'encoder');
const dec = (run: string): string => path.join(run, 'decoder');
const st = (run: string): string => path.join(run, 'state');
const sample = (run: string, dir: string): string[] => ['sample', run, '--n', '4', '--out', path.join(dir, 's.png')];
const resume = (run: string): string[] => ['train', '--resume', run, '--epochs', '2'];

const CASES: Case[] = [
  // model.json
  { name: 'model.json truncated', error: /encoder\/model\.json: not valid JSON/, setup: (d) => {
    const r = copyRun(d); const f = path.join(enc(r), 'model.json'); fs.truncateSync(f, 200); return sample(r, d);
  } },
  { name: 'model.json empty', error: /decoder\/model\.json: not valid JSON/, setup: (d) => {
    const r = copyRun(d); fs.writeFileSync(path.join(dec(r), 'model.json'), ''); return sample(r, d);
  } },
  { name: 'model.json without modelTopology', error: /encoder\/model\.json: not a tfjs layers model/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(enc(r), 'model.json'), (j) => void delete j.modelTopology); return sample(r, d);
  } },
  { name: 'model.json with two weight groups', error: /encoder\/model\.json: not a tfjs layers model/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(enc(r), 'model.json'), (j) => void (j.weightsManifest = [1, 2])); return sample(r, d);
  } },
  { name: 'model.json weight shape edited', error: /decoder\/weights-e1\.bin: has \d+ bytes, model\.json expects \d+/, setup: (d) => {
    const r = copyRun(d);
    editJson(path.join(dec(r), 'model.json'), (j) => {
      const w = (j.weightsManifest as { weights: { shape: number[] }[] }[])[0].weights[0];
      w.shape = [w.shape[0] + 1, ...w.shape.slice(1)];
    });
    return sample(r, d);
  } },
  { name: 'model.json negative shape', error: /encoder\/model\.json: weight .* unsupported dtype or shape/, setup: (d) => {
    const r = copyRun(d);
    editJson(path.join(enc(r), 'model.json'), (j) => void ((j.weightsManifest as { weights: { shape: number[] }[] }[])[0].weights[0].shape = [-4, -196]));
    return sample(r, d);
  } },
  { name: 'model.json unknown dtype', error: /decoder\/model\.json: weight .* unsupported dtype/, setup: (d) => {
    const r = copyRun(d);
    editJson(path.join(dec(r), 'model.json'), (j) => void ((j.weightsManifest as { weights: { dtype: string }[] }[])[0].weights[1].dtype = 'complex64'));
    return sample(r, d);
  } },
  { name: 'model.json unknown layer class', error: /encoder\/model\.json: layer .* unsupported layer class .Dense9./, setup: (d) => {
    const r = copyRun(d); const f = path.join(enc(r), 'model.json');
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replaceAll('"Dense"', '"Dense9"')); return sample(r, d);
  } },
  { name: 'model.json is a folder', error: /decoder\/model\.json: is a folder, not a file/, setup: (d) => {
    const r = copyRun(d); replaceWithFolder(path.join(dec(r), 'model.json')); return sample(r, d);
  } },
  // weights
  { name: 'weights truncated', error: /encoder\/weights-e1\.bin: has 100 bytes, model\.json expects/, setup: (d) => {
    const r = copyRun(d); fs.truncateSync(path.join(enc(r), weightsOf(enc(r))), 100); return sample(r, d);
  } },
  { name: 'weights too long', error: /decoder\/weights-e1\.bin: has \d+ bytes, model\.json expects/, setup: (d) => {
    const r = copyRun(d); fs.appendFileSync(path.join(dec(r), weightsOf(dec(r))), Buffer.alloc(12)); return sample(r, d);
  } },
  { name: 'weights missing', error: /encoder\/weights-e1\.bin: weights file missing/, setup: (d) => {
    const r = copyRun(d); fs.rmSync(path.join(enc(r), weightsOf(enc(r)))); return sample(r, d);
  } },
  { name: 'weights file is a folder', error: /decoder\/weights-e1\.bin: is a folder, not a file/, setup: (d) => {
    const r = copyRun(d); replaceWithFolder(path.join(dec(r), weightsOf(dec(r)))); return sample(r, d);
  } },
  { name: 'NaN in the weights', error: /encoder\/weights-e1\.bin: weight .* holds NaN or infinite values/, setup: (d) => {
    const r = copyRun(d); const f = path.join(enc(r), weightsOf(enc(r)));
    const b = fs.readFileSync(f); b.writeFloatLE(NaN, 40); fs.writeFileSync(f, b); return sample(r, d);
  } },
  { name: 'Inf in the weights', error: /decoder\/weights-e1\.bin: weight .* holds NaN or infinite values/, setup: (d) => {
    const r = copyRun(d); const f = path.join(dec(r), weightsOf(dec(r)));
    const b = fs.readFileSync(f); b.writeFloatLE(Infinity, b.length - 4); fs.writeFileSync(f, b); return sample(r, d);
  } },
  { name: 'decoder from a different architecture', error: /decoder\/model\.json: the saved weights do not match the architecture in .*run\.json/, setup: (d) => {
    const r = copyRun(d); fs.rmSync(dec(r), { recursive: true }); fs.cpSync(dec(other), dec(r), { recursive: true }); return sample(r, d);
  } },
  { name: 'run.json of a different architecture', error: /encoder\/model\.json: the saved weights do not match the architecture/, setup: (d) => {
    const r = copyRun(d); fs.copyFileSync(path.join(other, 'run.json'), path.join(r, 'run.json')); return ['eval', r, '--limit', '10'];
  } },
  // run.json
  { name: 'run.json not JSON', error: /run\.json: not valid JSON/, setup: (d) => {
    const r = copyRun(d); fs.writeFileSync(path.join(r, 'run.json'), '{"format": "vae-ts-run", '); return ['eval', r];
  } },
  { name: 'run.json empty', error: /run\.json: not valid JSON/, setup: (d) => {
    const r = copyRun(d); fs.writeFileSync(path.join(r, 'run.json'), ''); return sample(r, d);
  } },
  { name: 'run.json wrong format', error: /run\.json: not a vae-ts run file/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(r, 'run.json'), (j) => void (j.format = 'keras')); return sample(r, d);
  } },
  { name: 'run.json is a list', error: /run\.json: not a vae-ts run file/, setup: (d) => {
    const r = copyRun(d); fs.writeFileSync(path.join(r, 'run.json'), '[1, 2]'); return ['plot', r, '--out', path.join(d, 'c.svg')];
  } },
  { name: 'run.json newer version', error: /run\.json: run format version 2 is not supported/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(r, 'run.json'), (j) => void (j.version = 2)); return sample(r, d);
  } },
  { name: 'run.json without model', error: /run\.json: model:/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(r, 'run.json'), (j) => void delete j.model); return sample(r, d);
  } },
  { name: 'run.json without dataset', error: /run\.json: dataset must name one of/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(r, 'run.json'), (j) => void delete j.dataset); return ['eval', r];
  } },
  { name: 'run.json history not a list', error: /run\.json: history must be a list/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(r, 'run.json'), (j) => void (j.history = { epoch: 1 })); return ['plot', r, '--out', path.join(d, 'c.svg')];
  } },
  { name: 'run.json history entry without losses', error: /run\.json: history\[0\] is not an epoch record/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(r, 'run.json'), (j) => void (j.history = [{ epoch: 1, train: null }])); return ['plot', r, '--out', path.join(d, 'c.svg')];
  } },
  { name: 'run.json bestEpoch beyond the epochs done', error: /run\.json: bestEpoch must be null or an epoch in 1\.\.1/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(r, 'run.json'), (j) => void (j.bestEpoch = 99)); return sample(r, d);
  } },
  { name: 'run.json training options missing', error: /run\.json: training must hold/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(r, 'run.json'), (j) => void (j.training = {})); return resume(r);
  } },
  { name: 'run.json model with absurd sizes', error: /run\.json: model: about .* parameters, more than/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(r, 'run.json'), (j) => void ((j.model as { hidden: number[] }).hidden = [60000, 60000])); return sample(r, d);
  } },
  { name: 'run.json model with a layer of a million units', error: /run\.json: model: invalid model config: hidden: at most 16 layers of at most 65536 units/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(r, 'run.json'), (j) => void ((j.model as { hidden: number[] }).hidden = [1e6, 1e6])); return sample(r, d);
  } },
  { name: 'run.json broken RNG state', error: /run\.json: rngState is not an RNG state/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(r, 'run.json'), (j) => void (j.rngState = { s: [1, 2], spare: null })); return resume(r);
  } },
  { name: 'run.json broken partial epoch', error: /run\.json: partial is not the state of an interrupted epoch/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(r, 'run.json'), (j) => void (j.partial = { epoch: 2, step: 3 })); return resume(r);
  } },
  { name: 'run.json is a folder', error: /run\.json: is a folder, not a file/, setup: (d) => {
    const r = copyRun(d); replaceWithFolder(path.join(r, 'run.json')); return sample(r, d);
  } },
  { name: 'run.json missing', error: /run\.json: missing .* is not a run folder/, setup: (d) => {
    const r = copyRun(d); fs.rmSync(path.join(r, 'run.json')); return ['eval', r];
  } },
  { name: 'run folder is a file', error: /not-a-folder: not a folder/, setup: (d) => {
    fs.writeFileSync(path.join(d, 'not-a-folder'), 'x'); return sample(path.join(d, 'not-a-folder'), d);
  } },
  // optimizer state (resume)
  { name: 'optimizer.json broken', error: /state\/optimizer\.json: not valid JSON/, setup: (d) => {
    const r = copyRun(d); fs.writeFileSync(path.join(st(r), 'optimizer.json'), '{"file": '); return resume(r);
  } },
  { name: 'optimizer state truncated', error: /state\/optimizer-e1\.bin: tensor .* does not fit the file/, setup: (d) => {
    const r = copyRun(d); fs.truncateSync(path.join(st(r), 'optimizer-e1.bin'), 1000); return resume(r);
  } },
  { name: 'optimizer state missing', error: /state\/optimizer-e1\.bin: tensor data missing/, setup: (d) => {
    const r = copyRun(d); fs.rmSync(path.join(st(r), 'optimizer-e1.bin')); return resume(r);
  } },
  { name: 'state weights missing', error: /state\/encoder\/weights-e1\.bin: weights file missing/, setup: (d) => {
    const r = copyRun(d); fs.rmSync(path.join(st(r), 'encoder', 'weights-e1.bin')); return resume(r);
  } },
  // IDX
  { name: 'IDX wrong magic', error: /train-images-idx3-ubyte: not an IDX file \(magic number 0x89504e47/, setup: (d) => {
    const m = fakeMnist(d); const f = idxFile(m, 'train-images-idx3-ubyte'); const b = fs.readFileSync(f);
    b.set([0x89, 0x50, 0x4e, 0x47]); fs.writeFileSync(f, b); return mnistTrain(m, d);
  } },
  { name: 'IDX wrong data type', error: /t10k-images-idx3-ubyte: IDX data type 0x0d is not supported/, setup: (d) => {
    const m = fakeMnist(d); const f = idxFile(m, 't10k-images-idx3-ubyte'); const b = fs.readFileSync(f); b[2] = 0x0d; fs.writeFileSync(f, b); return mnistTrain(m, d);
  } },
  { name: 'IDX labels count differs', error: /train-labels-idx1-ubyte: 119 labels for 120 images/, setup: (d) => {
    const m = fakeMnist(d); fs.writeFileSync(idxFile(m, 'train-labels-idx1-ubyte'), encodeIdx([119], new Uint8Array(119))); return mnistTrain(m, d);
  } },
  { name: 'IDX short data', error: /train-images-idx3-ubyte: truncated IDX data/, setup: (d) => {
    const m = fakeMnist(d); const f = idxFile(m, 'train-images-idx3-ubyte'); fs.truncateSync(f, fs.statSync(f).size - 5); return mnistTrain(m, d);
  } },
  { name: 'IDX header counts 4 billion images', error: /t10k-images-idx3-ubyte: the IDX header declares 4294967295×28×28 = \d+ values, more than the \d+ this reader accepts/, setup: (d) => {
    const m = fakeMnist(d); const f = idxFile(m, 't10k-images-idx3-ubyte'); const b = fs.readFileSync(f); b.writeUInt32BE(0xffffffff, 4); fs.writeFileSync(f, b); return mnistTrain(m, d);
  } },
  { name: 'IDX trailing bytes', error: /t10k-labels-idx1-ubyte: 3 unexpected trailing bytes/, setup: (d) => {
    const m = fakeMnist(d); fs.appendFileSync(idxFile(m, 't10k-labels-idx1-ubyte'), Buffer.from([1, 2, 3])); return mnistTrain(m, d);
  } },
  { name: 'IDX truncated header', error: /train-images-idx3-ubyte: truncated IDX header/, setup: (d) => {
    const m = fakeMnist(d); fs.truncateSync(idxFile(m, 'train-images-idx3-ubyte'), 9); return mnistTrain(m, d);
  } },
  { name: 'IDX images of 32x32', error: /train-images-idx3-ubyte: images are 32×32, expected 28×28/, setup: (d) => {
    const m = fakeMnist(d); fs.writeFileSync(idxFile(m, 'train-images-idx3-ubyte'), encodeIdx([120, 32, 32], new Uint8Array(120 * 1024))); return mnistTrain(m, d);
  } },
  { name: 'IDX label out of range', error: /train-labels-idx1-ubyte: label 12 at index 5 is outside 0–9/, setup: (d) => {
    const m = fakeMnist(d); const f = idxFile(m, 'train-labels-idx1-ubyte'); const b = fs.readFileSync(f); b[8 + 5] = 12; fs.writeFileSync(f, b); return mnistTrain(m, d);
  } },
  { name: 'IDX file is a folder', error: /t10k-labels-idx1-ubyte: is a folder, not a file/, setup: (d) => {
    const m = fakeMnist(d); replaceWithFolder(idxFile(m, 't10k-labels-idx1-ubyte')); return mnistTrain(m, d);
  } },
  { name: 'IDX file missing', error: /train-labels-idx1-ubyte: file not found/, setup: (d) => {
    const m = fakeMnist(d); fs.rmSync(idxFile(m, 'train-labels-idx1-ubyte')); return mnistTrain(m, d);
  } },
  { name: 'gzipped IDX truncated', error: /train-images-idx3-ubyte\.gz: not valid gzip data/, setup: (d) => {
    const m = fakeMnist(d, { gz: true }); const f = idxFile(m, 'train-images-idx3-ubyte.gz'); fs.truncateSync(f, fs.statSync(f).size >> 1); return mnistTrain(m, d);
  } },
  { name: 'gzipped IDX with wrong magic', error: /t10k-images-idx3-ubyte\.gz: not an IDX file/, setup: (d) => {
    const m = fakeMnist(d, { gz: true }); fs.writeFileSync(idxFile(m, 't10k-images-idx3-ubyte.gz'), gzipSync(Buffer.from('hello, not IDX'))); return mnistTrain(m, d);
  } },
  { name: 'gzipped IDX with short data', error: /train-labels-idx1-ubyte\.gz: truncated IDX data/, setup: (d) => {
    const m = fakeMnist(d, { gz: true }); fs.writeFileSync(idxFile(m, 'train-labels-idx1-ubyte.gz'), gzipSync(encodeIdx([120], new Uint8Array(120)).subarray(0, 50))); return mnistTrain(m, d);
  } },
  { name: 'IDX folder is a file', error: /MNIST not found in .*a-file/, setup: (d) => {
    fs.writeFileSync(path.join(d, 'a-file'), 'x'); return mnistTrain(path.join(d, 'a-file'), d);
  } },
  // PNG folders
  { name: 'empty folder', error: /pngs: no image files found/, setup: (d) => {
    fs.mkdirSync(path.join(d, 'pngs')); return folderTrain(path.join(d, 'pngs'), d);
  } },
  { name: 'only a folder named like a PNG', error: /pngs: no image files found/, setup: (d) => {
    fs.mkdirSync(path.join(d, 'pngs', 'x.png'), { recursive: true }); return folderTrain(path.join(d, 'pngs'), d);
  } },
  { name: 'a text file named .png', error: /pngs\/img9\.png: not an image sharp can read \(.*unsupported image format\)/, setup: (d) => {
    const p = pngFolder(d); fs.writeFileSync(path.join(p, 'img9.png'), 'hello'); return folderTrain(p, d);
  } },
  { name: 'an empty .png', error: /pngs\/img9\.png: empty file/, setup: (d) => {
    const p = pngFolder(d); fs.writeFileSync(path.join(p, 'img9.png'), ''); return folderTrain(p, d);
  } },
  { name: 'a truncated PNG', error: /pngs\/img2\.png: cannot decode the image/, setup: (d) => {
    const p = pngFolder(d); const f = path.join(p, 'img2.png'); fs.truncateSync(f, fs.statSync(f).size - 20); return folderTrain(p, d);
  } },
  { name: 'a PNG cut inside its header', error: /pngs\/img1\.png: not an image sharp can read \(.*corrupt header\)/, setup: (d) => {
    const p = pngFolder(d); fs.truncateSync(path.join(p, 'img1.png'), 20); return folderTrain(p, d);
  } },
  { name: 'a PNG header claiming 60000x60000 pixels', error: /pngs\/img0\.png: 60000×60000 pixels is too large \(at most 100 megapixels\)/, setup: (d) => {
    const p = pngFolder(d); fs.writeFileSync(path.join(p, 'img0.png'), pngWithHeader(60000, 60000)); return folderTrain(p, d);
  } },
  { name: 'a PNG header claiming more pixels than the file holds', error: /pngs\/img3\.png: cannot decode the image/, setup: (d) => {
    const p = pngFolder(d); fs.writeFileSync(path.join(p, 'img3.png'), pngWithHeader(5000, 5000)); return folderTrain(p, d);
  } },
  { name: 'a PNG with a corrupted chunk', error: /pngs\/img2\.png: cannot decode the image/, setup: (d) => {
    const p = pngFolder(d); const f = path.join(p, 'img2.png'); const b = fs.readFileSync(f); b[b.length - 20] ^= 0xff; fs.writeFileSync(f, b); return folderTrain(p, d);
  } },
  { name: 'a broken symlink named .png', error: /pngs\/img7\.png: file not found/, setup: (d) => {
    const p = pngFolder(d); fs.symlinkSync(path.join(d, 'nowhere.png'), path.join(p, 'img7.png')); return folderTrain(p, d);
  } },
  { name: 'data folder missing', error: /nope: folder not found/, setup: (d) => folderTrain(path.join(d, 'nope'), d) },
  { name: 'data folder is a file', error: /pngs: not a folder/, setup: (d) => {
    fs.writeFileSync(path.join(d, 'pngs'), 'x'); return folderTrain(path.join(d, 'pngs'), d);
  } },
  { name: 'a FIFO named x.png', error: /pngs\/x\.png: not a regular file/, setup: (d) => {
    const p = pngFolder(d); execFileSync('mkfifo', [path.join(p, 'x.png')]); return folderTrain(p, d);
  } },
  { name: 'a symlink to /dev/zero named y.png', error: /pngs\/y\.png: not a regular file/, setup: (d) => {
    const p = pngFolder(d); fs.symlinkSync('/dev/zero', path.join(p, 'y.png')); return folderTrain(p, d);
  } },
  { name: 'a truncated JPEG', error: /pngs\/photo\.jpg: cannot decode the image/, setup: (d) => {
    const p = pngFolder(d); fs.writeFileSync(path.join(p, 'photo.jpg'), TRUNCATED_JPEG); return folderTrain(p, d);
  } },
  { name: 'a text file named z.png among JPEG and WebP files', error: /pngs\/z\.png: not an image sharp can read/, setup: (d) => {
    const p = pngFolder(d); fs.writeFileSync(path.join(p, 'a.webp'), WEBP); fs.writeFileSync(path.join(p, 'b.jpg'), JPEG);
    fs.writeFileSync(path.join(p, 'z.png'), 'just some text\n'); return folderTrain(p, d);
  } },
  { name: 'an image file over the size limit', error: /pngs\/big\.tif: 67108865 bytes, more than the 67108864/, setup: (d) => {
    const p = pngFolder(d); const f = path.join(p, 'big.tif'); fs.writeFileSync(f, ''); fs.truncateSync(f, 64 * 1024 * 1024 + 1); return folderTrain(p, d);
  } },
  { name: 'a class sub-folder with a damaged image', error: /cats\/c1\.webp: (not an image sharp can read|cannot decode the image)/, setup: (d) => {
    const p = path.join(d, 'classes'); fs.mkdirSync(path.join(p, 'cats'), { recursive: true }); fs.mkdirSync(path.join(p, 'dogs'));
    fs.writeFileSync(path.join(p, 'cats', 'c0.webp'), WEBP); fs.writeFileSync(path.join(p, 'dogs', 'd0.jpg'), JPEG);
    fs.writeFileSync(path.join(p, 'cats', 'c1.webp'), WEBP.subarray(0, WEBP.length >> 1)); return folderTrain(p, d);
  } },
  { name: 'encode input PNG truncated', error: /in\.png: (not an image sharp can read|cannot decode the image)/, setup: (d) => {
    fs.writeFileSync(path.join(d, 'in.png'), encodePng(new Float32Array(28 * 28), 28, 28, 1).subarray(0, 40)); return ['encode', copyRun(d), path.join(d, 'in.png')];
  } },
  // NaN / Inf in inputs
  { name: 'z file with an infinite value', error: /z\.json: z #1 must have 2 finite numbers/, setup: (d) => {
    fs.writeFileSync(path.join(d, 'z.json'), '[[1e999, 0]]'); return ['decode', copyRun(d), '--z-file', path.join(d, 'z.json'), '--out', path.join(d, 'd.png')];
  } },
  { name: 'z value NaN', error: /z #1 must have 2 finite numbers/, setup: (d) => ['decode', copyRun(d), '--z', 'NaN,0', '--out', path.join(d, 'd.png')] },

  // ---- issue 11 (reliability, round two): each class by its cases --------------------------
  // 1. export-site copies only regular files inside the run (the server's containment rule)
  { name: 'export: latent-grid.json links outside the run', error: /run\/latent-grid\.json: a link leading outside the run folder; export-site copies only/, setup: (d) => {
    const r = copyRun(d); fs.writeFileSync(path.join(d, 'private.txt'), 'secret'); fs.symlinkSync(path.join(d, 'private.txt'), path.join(r, 'latent-grid.json')); return exportSite(r, d);
  } },
  { name: 'export: a weights file links outside the run', error: /run\/encoder\/weights-e1\.bin: a link leading outside the run folder/, setup: (d) => {
    const r = copyRun(d); const f = path.join(enc(r), 'weights-e1.bin'); fs.renameSync(f, path.join(d, 'w.bin')); fs.symlinkSync(path.join(d, 'w.bin'), f); return exportSite(r, d);
  } },
  { name: 'export: run.json links outside the run', error: /run\/run\.json: a link leading outside the run folder/, setup: (d) => {
    const r = copyRun(d); fs.renameSync(path.join(r, 'run.json'), path.join(d, 'outside.json')); fs.symlinkSync(path.join(d, 'outside.json'), path.join(r, 'run.json')); return exportSite(r, d);
  } },
  // 7. one model.json validator for export-site and loading
  { name: 'export: model.json is null', error: /run\/decoder\/model\.json: not a tfjs layers model/, setup: (d) => {
    const r = copyRun(d); fs.writeFileSync(path.join(dec(r), 'model.json'), 'null'); return exportSite(r, d);
  } },
  { name: 'export: model.json paths [1]', error: /run\/encoder\/model\.json: weightsManifest must name one weights file/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(enc(r), 'model.json'), (j) => void ((j.weightsManifest as { paths: unknown }[])[0].paths = [1])); return exportSite(r, d);
  } },
  { name: 'export: manifest is an object', error: /run\/encoder\/model\.json: not a tfjs layers model/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(enc(r), 'model.json'), (j) => void (j.weightsManifest = { paths: ['weights-e1.bin'] })); return exportSite(r, d);
  } },
  { name: 'sample: manifest is an object (same validator)', error: /run\/encoder\/model\.json: not a tfjs layers model/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(enc(r), 'model.json'), (j) => void (j.weightsManifest = { paths: ['weights-e1.bin'] })); return sample(r, d);
  } },
  // 10. --force replaces only an earlier export or an empty folder
  { name: 'export --force over a folder that is not an export', error: /--out .*mine is not empty and not an earlier export/, setup: (d) => {
    const r = copyRun(d); fs.mkdirSync(path.join(d, 'mine')); fs.writeFileSync(path.join(d, 'mine', 'notes.txt'), 'mine'); return ['export-site', r, '--out', path.join(d, 'mine'), '--force'];
  } },
  // 2. no validation images
  { name: 'a folder of 4 images: no validation images', error: /folder:.*pngs: no validation images \(4 training images, 0 for validation\)/, setup: (d) => folderTrain(pngFolder(d), d) },
  { name: 'MNIST with --validation 0', error: /mnist: no validation images .*raise --validation/, setup: (d) => [...mnistTrain(fakeMnist(d), d).filter((_, i, a) => a[i - 1] !== '--validation' && a[i] !== '--validation'), '--validation', '0'] },
  // 8. --out may not destroy the run; the extension must match the format
  { name: 'sample --out RUN/run.json', error: /--out .*run\/run\.json: must end in \.png/, setup: (d) => { const r = copyRun(d); return ['sample', r, '--out', path.join(r, 'run.json')]; } },
  { name: 'sample --out inside encoder/', error: /--out .*run\/encoder\/x\.png: is a file of the run in .*run; writing there would damage the run/, setup: (d) => { const r = copyRun(d); return ['sample', r, '--out', path.join(enc(r), 'x.png')]; } },
  { name: 'anomaly --out RUN/run.json', error: /--out .*run\/run\.json: is a file of the run/, setup: (d) => { const r = copyRun(d); return ['anomaly', r, '--out', path.join(r, 'run.json')]; } },
  { name: 'encode --out a weights file', error: /--out .*weights-e1\.bin: must end in \.csv/, setup: (d) => { const r = copyRun(d); return ['encode', r, 'test:0', '--out', path.join(enc(r), 'weights-e1.bin')]; } },
  { name: 'encode --out RUN/state/optimizer.json', error: /--out .*state\/optimizer\.json: is a file of the run/, setup: (d) => { const r = copyRun(d); return ['encode', r, 'test:0', '--format', 'json', '--out', path.join(st(r), 'optimizer.json')]; } },
  { name: 'plot --out model.json', error: /--out .*model\.json: must end in \.svg or \.png/, setup: (d) => { const r = copyRun(d); return ['plot', r, '--out', path.join(dec(r), 'model.json')]; } },
  { name: 'decode --out a folder', error: /--out .*adir\.png: is a folder, not a file/, setup: (d) => { const r = copyRun(d); fs.mkdirSync(path.join(d, 'adir.png')); return ['decode', r, '--z', '0,0', '--out', path.join(d, 'adir.png')]; } },
  // 6. options and run.json fields
  { name: '--hidden with 3000 entries', error: /hidden: at most 16 layers/, setup: (d) => [...mnistTrain(fakeMnist(d), d).filter((_, i, a) => a[i - 1] !== '--hidden' && a[i] !== '--hidden'), '--hidden', Array(3000).fill(8).join(',')] },
  { name: 'run.json hidden of 3000 entries', error: /run\/run\.json: model: invalid model config: hidden: at most 16 layers/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(r, 'run.json'), (j) => void ((j.model as { hidden: number[] }).hidden = Array(3000).fill(8))); return sample(r, d);
  } },
  { name: 'run.json batchSize 2^53-1', error: /run\/run\.json: training\.batchSize must be an integer in \[1, 65536\]/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(r, 'run.json'), (j) => void ((j.training as { batchSize: number }).batchSize = Number.MAX_SAFE_INTEGER)); return resume(r);
  } },
  { name: 'run.json unknown kl', error: /run\/run\.json: training\.kl must be one of analytic, monte-carlo \(got "exact"\)/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(r, 'run.json'), (j) => void ((j.training as { kl: string }).kl = 'exact')); return resume(r);
  } },
  { name: 'run.json unknown binarize', error: /run\/run\.json: training\.binarize must be one of/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(r, 'run.json'), (j) => void ((j.training as { binarize: string }).binarize = 'maybe')); return sample(r, d);
  } },
  { name: 'run.json negative corrupt.sigma', error: /run\/run\.json: training\.corrupt must be/, setup: (d) => {
    const r = copyRun(d); editJson(path.join(r, 'run.json'), (j) => void ((j.training as { corrupt: unknown }).corrupt = { kind: 'gaussian', sigma: -0.5 })); return resume(r);
  } },
  { name: 'run.json nested 100000 levels', error: /run\/run\.json: JSON nested 100001 levels deep/, setup: (d) => {
    const r = copyRun(d); fs.writeFileSync(path.join(r, 'run.json'), `{"a":${'['.repeat(100000)}${']'.repeat(100000)}}`); return sample(r, d);
  } },
  { name: '--resume with a different --batch-size', error: /--resume continues .*run with its saved settings; --batch-size cannot change a run/, setup: (d) => [...resume(copyRun(d)), '--batch-size', '32'] },
  { name: '--resume with a different model and seed', error: /--resume continues .* --model, --latent, --seed cannot change a run/, setup: (d) => [...resume(copyRun(d)), '--model', 'conv', '--latent', '8', '--seed', '4'] },
  // 5. unbounded reads: FIFOs, /dev/zero, gzip bombs, huge z files, deep nesting
  { name: 'IDX file is a FIFO', error: /train-labels-idx1-ubyte: not a regular file \(a pipe, device or socket\)/, setup: (d) => {
    const m = fakeMnist(d); fs.rmSync(idxFile(m, 'train-labels-idx1-ubyte')); mkfifo(idxFile(m, 'train-labels-idx1-ubyte')); return mnistTrain(m, d);
  } },
  { name: 'IDX file links to /dev/zero', error: /t10k-images-idx3-ubyte: not a regular file/, setup: (d) => {
    const m = fakeMnist(d); fs.rmSync(idxFile(m, 't10k-images-idx3-ubyte')); fs.symlinkSync('/dev/zero', idxFile(m, 't10k-images-idx3-ubyte')); return mnistTrain(m, d);
  } },
  { name: 'gzip bomb: declares 120 images, inflates to 64 MB', error: /train-images-idx3-ubyte\.gz: \d+ unexpected trailing bytes after the IDX data \(dimensions 120×28×28\)/, setup: (d) => {
    const m = fakeMnist(d, { gz: true }); fs.writeFileSync(idxFile(m, 'train-images-idx3-ubyte.gz'), gzipSync(Buffer.concat([encodeIdx([120, 28, 28], new Uint8Array(120 * 784)), Buffer.alloc(64 << 20)]))); return mnistTrain(m, d);
  } },
  { name: 'gzip bomb: header declares 4 billion images', error: /train-images-idx3-ubyte\.gz: the IDX header declares 4294967295×28×28 = .* values, more than the/, setup: (d) => {
    const m = fakeMnist(d, { gz: true }); const h = Buffer.from(encodeIdx([1, 28, 28], new Uint8Array(784))); h.writeUInt32BE(0xffffffff, 4);
    fs.writeFileSync(idxFile(m, 'train-images-idx3-ubyte.gz'), gzipSync(Buffer.concat([h, Buffer.alloc(8 << 20)]))); return mnistTrain(m, d);
  } },
  { name: 'z file is a FIFO', error: /z\.json: not a regular file/, setup: (d) => { mkfifo(path.join(d, 'z.json')); return ['decode', copyRun(d), '--z-file', path.join(d, 'z.json'), '--out', path.join(d, 'd.png')]; } },
  { name: 'z file is /dev/zero', error: /\/dev\/zero: not a regular file/, setup: (d) => ['decode', copyRun(d), '--z-file', '/dev/zero', '--out', path.join(d, 'd.png')] },
  { name: 'z file with 200000 points', error: /z\.json: 200000 z vectors, more than the 10000/, setup: (d) => {
    fs.writeFileSync(path.join(d, 'z.json'), JSON.stringify(Array.from({ length: 200000 }, () => [0, 0]))); return ['decode', copyRun(d), '--z-file', path.join(d, 'z.json'), '--out', path.join(d, 'd.png')];
  } },
  { name: 'z file nested 500000 levels', error: /z\.json: JSON nested 500000 levels deep/, setup: (d) => {
    fs.writeFileSync(path.join(d, 'z.json'), '['.repeat(500000) + ']'.repeat(500000)); return ['decode', copyRun(d), '--z-file', path.join(d, 'z.json'), '--out', path.join(d, 'd.png')];
  } },
  // 10. float32 overflow, file names with newlines, bytes that are not UTF-8, escape bytes from files
  { name: 'z value beyond float32', error: /--z: z #1 holds 1e\+39, beyond the float32 range/, setup: (d) => ['decode', copyRun(d), '--z', '1e39,0', '--out', path.join(d, 'd.png')] },
  { name: 'a file name with a newline', error: /run folder .*bad\\nname does not exist$/, setup: (d) => sample(path.join(d, 'bad\nname'), d) },
  { name: 'a file name that is not UTF-8', error: /argument '.*r\\ufffd1' holds bytes that are not UTF-8/, setup: (d) => sample(path.join(d, 'r\ufffd1'), d) },
  { name: 'escape bytes in a layer class name', error: /unsupported layer class '\\x1b\[31mDense'/, setup: (d) => {
    const r = copyRun(d); const f = path.join(enc(r), 'model.json'); fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replaceAll('"Dense"', '"\\u001b[31mDense"')); return sample(r, d);
  } },
];

/** A named pipe (FIFO): nothing ever writes to it, so a reader that opens it blocking hangs. */
function mkfifo(file: string): void {
  execFileSync('mkfifo', [file]);
}
const exportSite = (run: string, d: string): string[] => ['export-site', run, '--out', path.join(d, 'site')];

const nonRoot = process.getuid?.() !== 0;

let JPEG: Buffer, TRUNCATED_JPEG: Buffer, WEBP: Buffer;

beforeAll(async () => {
  const pixels = Buffer.from(Uint8Array.from({ length: 24 * 16 * 3 }, (_, i) => (i * 37) % 251));
  JPEG = await sharp(pixels, { raw: { width: 24, height: 16, channels: 3 } }).jpeg().toBuffer();
  TRUNCATED_JPEG = JPEG.subarray(0, JPEG.length - 100);
  WEBP = await sharp(pixels, { raw: { width: 24, height: 16, channels: 3 } }).webp().toBuffer();
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('build first: npm run build');
  const common = ['train', '--dataset', 'mnist', '--model', 'mlp', '--hidden', '16', '--train-limit', '200', '--epochs', '1', '--seed', '1', '--quiet'];
  const [a, b] = await Promise.all([vae([...common, '--latent', '2', '--out', base]), vae([...common, '--latent', '3', '--out', other])]);
  if (a.status !== 0 || b.status !== 0) throw new Error(`training the base runs failed: ${a.stderr} ${b.stderr}`);
});

/** Runs cases two at a time (two cores); collects every failure, named. */
async function pool<T>(items: T[], job: (item: T) => Promise<void>, name: (item: T) => string): Promise<string[]> {
  const queue = [...items];
  const errors: string[] = [];
  await Promise.all([0, 1].map(async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      try {
        await job(item);
      } catch (e) {
        errors.push(`${name(item)}: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }));
  return errors;
}

/** One line naming the problem, exit 2, no stack trace, nothing changed or created. */
async function runCase(c: Case, dir: string): Promise<void> {
  const args = c.setup(dir);
  const before = hashTree(dir);
  const r = await vae(args);
  // 'backend: …', 'engine: …', the native path's 'note: …' and a folder's 'read N images …' are start-up information, not the error
  const lines = r.stderr.trim().split('\n').filter((l) => !/^(backend|engine|note): /.test(l) && !/^read \d/.test(l) && !l.startsWith('(run with --help'));
  expect(r.status, r.stderr).toBe(2);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(c.error);
  expect(lines[0]).toMatch(/^vae: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(hashTree(dir), 'files changed').toEqual(before);
}

describe('damaged and hostile files through the CLI', () => {
  it(`${CASES.length} cases: one line naming the file, exit 2, no stack trace, no file changed`, { timeout: 900_000 }, async () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    const errors = await pool(CASES, async (c) => {
      const dir = path.join(tmp, c.name.replace(/[^\w]+/g, '-'));
      fs.mkdirSync(dir);
      await runCase(c, dir);
    }, (c) => c.name);
    expect(errors).toEqual([]);
  });

  it('a diverging run (--lr 10) stops with advice that works; a later divergence keeps the last good checkpoint', async () => {
    const dir = path.join(tmp, 'diverge');
    fs.mkdirSync(dir);
    const fresh = path.join(dir, 'fresh');
    const tiny = ['--dataset', 'mnist', '--model', 'mlp', '--hidden', '32', '--latent', '2', '--train-limit', '512', '--batch-size', '32', '--epochs', '2'];
    const r = await vae(['train', ...tiny, '--lr', '10', '--out', fresh]);
    expect(r.status, r.stderr).toBe(2);
    const line = r.stderr.trim().split('\n').filter((l) => l.startsWith('vae: '));
    expect(line).toHaveLength(1);
    expect(line[0]).toMatch(/^vae: training diverged at epoch 1, step \d+: the loss is not a finite number\. No epoch had finished.* Try a smaller --lr: node bin\/vae\.js train --resume .*fresh --epochs 2 --lr 1$/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(JSON.parse(fs.readFileSync(path.join(fresh, 'run.json'), 'utf8')).status).toBe('diverged');
    // the advice, as printed, continues the run
    const again = await vae(['train', '--resume', fresh, '--epochs', '2', '--lr', '0.001']);
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(fresh, 'run.json'), 'utf8')).training.learningRate).toBe(0.001);

    // one good epoch, then a learning rate that explodes: the checkpoint of epoch 1 stays as it was and loads
    const run = copyRun(dir);
    editJson(path.join(run, 'run.json'), (j) => void ((j.training as { learningRate: number }).learningRate = 1e20));
    const models = ['encoder', 'decoder', 'state'].map((p) => hashTree(path.join(run, p)));
    const d = await vae(['train', '--resume', run, '--epochs', '3']);
    expect(d.status, d.stderr).toBe(2);
    expect(d.stderr).toMatch(/vae: training diverged at epoch 2, step \d+: .* The last good checkpoint \(epoch 1; best epoch 1\) is kept\. Try a smaller --lr/);
    expect(['encoder', 'decoder', 'state'].map((p) => hashTree(path.join(run, p)))).toEqual(models);
    const after = JSON.parse(fs.readFileSync(path.join(run, 'run.json'), 'utf8'));
    expect(after.status).toBe('diverged');
    expect(after.epochsDone).toBe(1);
    const s = await vae(sample(run, dir));
    expect(s.status, s.stderr).toBe(0);
  });

  it('the undamaged inputs of the table work (so each error above comes from its damage)', async () => {
    const dir = path.join(tmp, 'controls');
    fs.mkdirSync(dir);
    const runs = await Promise.all([
      vae(sample(copyRun(dir), dir)),
      vae(mnistTrain(fakeMnist(dir), dir)),
    ]);
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
  });

  it('images of mixed sizes and channel counts (gray, gray+alpha, RGB, RGBA) are converted, not refused', async () => {
    const dir = path.join(tmp, 'mixed');
    const p = path.join(dir, 'pngs');
    fs.mkdirSync(p, { recursive: true });
    const shapes: [number, number, 1 | 2 | 3 | 4][] = [[8, 8, 1], [40, 20, 2], [32, 32, 3], [5, 70, 4], [1, 1, 3], [33, 31, 1]];
    shapes.forEach(([w, h, c], i) => fs.writeFileSync(path.join(p, `m${i}.png`), encodePng(new Float32Array(w * h * c).fill(0.25 * (i % 4)), w, h, c)));
    const before = hashTree(p);
    const r = await vae(folderTrain(p, dir));
    expect(r.status, r.stderr).toBe(0);
    expect(hashTree(p)).toEqual(before);
  });

  it.skipIf(!nonRoot)('an unreadable file is named (non-root only)', async () => {
    const dir = path.join(tmp, 'unreadable');
    fs.mkdirSync(dir);
    const p = pngFolder(dir);
    fs.chmodSync(path.join(p, 'img1.png'), 0o000);
    const r = await vae(folderTrain(p, dir));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/img1\.png: permission denied/);
  });
});
