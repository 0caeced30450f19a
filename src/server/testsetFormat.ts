/**
 * The test images of an MNIST-like run for the explorer's MNIST views (`GET /runs/NAME/testset.bin`,
 * and the same file in an exported site). Read-only: built from the run's DatasetSpec.
 *
 * Layout of testset.bin (all integers little-endian):
 *   bytes 0..3        ASCII "VTS1"
 *   bytes 4..7        uint32 H: length of the JSON header in bytes
 *   bytes 8..8+H      UTF-8 JSON: { count, height, width, channels, classNames, split, dataset }
 *   next count·height·width·channels bytes   pixels, uint8 (value·255, rounded), NHWC order
 *   next count bytes  labels, uint8 (index into classNames)
 * This module has no Node imports: the page parses the file with `parseTestSet`.
 */

export const TESTSET_MAGIC = 'VTS1';

export interface TestSetHeader {
  count: number;
  height: number;
  width: number;
  channels: number;
  classNames: string[];
  /** Which split the images come from ('test'; 'validation' for image folders, which have no test split). */
  split: string;
  dataset: string;
}

export interface TestSet extends TestSetHeader {
  /** count·height·width·channels bytes, NHWC. */
  pixels: Uint8Array;
  labels: Uint8Array;
}

/**
 * Whether a run's dataset has labelled held-out images the MNIST views can show: MNIST-like test
 * splits, and the validation split of an image folder with class sub-folders.
 */
export function hasTestSet(spec: { name: string; classNames?: readonly string[] }): boolean {
  return spec.name === 'mnist' || spec.name === 'fashion-mnist' || (spec.name === 'folder' && (spec.classNames?.length ?? 0) > 0);
}

/** Encodes a test set in the testset.bin layout. */
export function encodeTestSet(t: TestSet): Uint8Array {
  const size = t.count * t.height * t.width * t.channels;
  if (t.pixels.length !== size) throw new Error(`encodeTestSet: ${t.pixels.length} pixel bytes for ${size} values`);
  if (t.labels.length !== t.count) throw new Error(`encodeTestSet: ${t.labels.length} labels for ${t.count} images`);
  const header: TestSetHeader = {
    count: t.count, height: t.height, width: t.width, channels: t.channels, classNames: t.classNames, split: t.split, dataset: t.dataset,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + size + t.count);
  out.set(new TextEncoder().encode(TESTSET_MAGIC), 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  out.set(t.pixels, 8 + json.length);
  out.set(t.labels, 8 + json.length + size);
  return out;
}

/** Reads the testset.bin layout (throws on anything else). Shared by the server tests and the page. */
export function parseTestSet(buf: ArrayBuffer | Uint8Array): TestSet {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== TESTSET_MAGIC) throw new Error('testset.bin: bad magic (expected VTS1)');
  const h = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (8 + h > bytes.length) throw new Error('testset.bin: header longer than the file');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + h))) as TestSetHeader;
  const size = header.count * header.height * header.width * header.channels;
  const start = 8 + h;
  if (bytes.length !== start + size + header.count) throw new Error(`testset.bin: ${bytes.length} bytes, expected ${start + size + header.count}`);
  return { ...header, pixels: bytes.slice(start, start + size), labels: bytes.slice(start + size) };
}
