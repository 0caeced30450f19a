/**
 * Writes a dataset exactly as `vae train --dataset NAME --seed S` trains and evaluates on it, for
 * the PyTorch peer (bench/peer/faces_init.py): OUT.json (shape and counts) and OUT.bin
 * (little-endian float32, NHWC, the training images, then the validation images, then the test
 * images if the dataset has them).
 *
 * - faces: the seed's generated images in [0, 1] (train, then the held-out validation rectangle).
 * - mnist: the 50,000 training images grey (the peer binarises them dynamically, per batch, as
 *   ours does), the 10,000 validation and 10,000 test images binarised once exactly as ours
 *   evaluates them (`prepareEvalImages` with the training seed), so both sides score the same bits.
 *
 *   node dist/bench/peer/exportFaces.js --seed 0 --out /tmp/faces-s0
 *   node dist/bench/peer/exportFaces.js --dataset mnist --seed 0 --out /tmp/mnist-s0
 */
import * as fs from 'node:fs';
import { loadDataset } from '../../src/data/load.js';
import { prepareEvalImages } from '../../src/train/trainer.js';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(name);
  if (i >= 0 && process.argv[i + 1] !== undefined) return process.argv[i + 1];
  if (fallback === undefined) throw new Error(`missing ${name}`);
  return fallback;
}

const seed = Number(arg('--seed', '0'));
const out = arg('--out');
const name = arg('--dataset', 'faces');
if (name !== 'faces' && name !== 'mnist') throw new Error(`--dataset must be faces or mnist (got '${name}')`);
const d = await loadDataset({ name, seed });
const binarized = name === 'mnist';
const validation = binarized ? prepareEvalImages(d.validation, 'dynamic', seed) : d.validation.images;
const test = d.test ? (binarized ? prepareEvalImages(d.test, 'dynamic', seed) : d.test.images) : new Float32Array(0);
const header = {
  dataset: name, seed, height: d.height, width: d.width, channels: d.channels,
  train: d.train.count, validation: d.validation.count, test: d.test?.count ?? 0,
  binarized: binarized ? 'validation and test once (prepareEvalImages), train left grey' : 'none',
  layout: 'NHWC float32 LE',
};
const all = new Float32Array(d.train.images.length + validation.length + test.length);
all.set(d.train.images, 0);
all.set(validation, d.train.images.length);
all.set(test, d.train.images.length + validation.length);
fs.writeFileSync(`${out}.bin.tmp`, Buffer.from(all.buffer, all.byteOffset, all.byteLength));
fs.renameSync(`${out}.bin.tmp`, `${out}.bin`);
fs.writeFileSync(`${out}.json.tmp`, JSON.stringify(header) + '\n');
fs.renameSync(`${out}.json.tmp`, `${out}.json`);
process.stdout.write(JSON.stringify(header) + '\n');
