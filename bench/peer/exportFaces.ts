/**
 * Writes the faces dataset of a seed (exactly what `vae train --dataset faces --seed S` trains on)
 * for the PyTorch peer: OUT.json (shape and counts) and OUT.bin (little-endian float32, the
 * training images then the validation images, NHWC, values in [0, 1]).
 *
 *   node dist/bench/peer/exportFaces.js --seed 0 --out /tmp/faces-s0
 */
import * as fs from 'node:fs';
import { loadDataset } from '../../src/data/load.js';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(name);
  if (i >= 0 && process.argv[i + 1] !== undefined) return process.argv[i + 1];
  if (fallback === undefined) throw new Error(`missing ${name}`);
  return fallback;
}

const seed = Number(arg('--seed', '0'));
const out = arg('--out');
const d = await loadDataset({ name: 'faces', seed });
const header = { dataset: 'faces', seed, height: d.height, width: d.width, channels: d.channels, train: d.train.count, validation: d.validation.count, layout: 'NHWC float32 LE' };
const all = new Float32Array(d.train.images.length + d.validation.images.length);
all.set(d.train.images, 0);
all.set(d.validation.images, d.train.images.length);
fs.writeFileSync(`${out}.bin.tmp`, Buffer.from(all.buffer, all.byteOffset, all.byteLength));
fs.renameSync(`${out}.bin.tmp`, `${out}.bin`);
fs.writeFileSync(`${out}.json`, JSON.stringify(header) + '\n');
process.stdout.write(JSON.stringify(header) + '\n');
