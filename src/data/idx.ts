/**
 * The IDX file format of MNIST and Fashion-MNIST (unsigned bytes only).
 *
 * Layout: a 4-byte magic number `00 00 <type> <ndims>` (type 0x08 = unsigned byte; MNIST images
 * are 0x00000803, labels 0x00000801), then `ndims` big-endian uint32 dimension sizes, then the
 * product of the dimensions in bytes, row-major, and nothing after it.
 */
import { readFile } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { DataError } from './dataset.js';
import { fileErrorText } from './files.js';

export interface IdxArray {
  dims: number[];
  /** The payload: a view into the parsed bytes (no copy). */
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/**
 * Parses an unsigned-byte IDX buffer. `source` (usually the file name) is named in every error.
 * `expectedDims`, when given, is the dimension count the caller needs (3 for images, 1 for labels).
 */
export function parseIdx(bytes: Uint8Array, source: string, expectedDims?: number): IdxArray {
  if (bytes.length < 4) throw new DataError(`${source}: not an IDX file (only ${bytes.length} bytes, the header needs 4)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = hex32((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]);
    throw new DataError(`${source}: not an IDX file (magic number ${magic}, expected 0x0000080N)`);
  }
  const type = bytes[2];
  if (type !== UNSIGNED_BYTE) {
    throw new DataError(`${source}: IDX data type 0x${type.toString(16).padStart(2, '0')} is not supported (only unsigned bytes, 0x08)`);
  }
  const ndims = bytes[3];
  if (ndims === 0) throw new DataError(`${source}: IDX header declares 0 dimensions`);
  if (expectedDims !== undefined && ndims !== expectedDims) {
    throw new DataError(`${source}: IDX file has ${ndims} dimension${ndims === 1 ? '' : 's'}, expected ${expectedDims}`);
  }
  const headerLength = 4 + 4 * ndims;
  if (bytes.length < headerLength) {
    throw new DataError(`${source}: truncated IDX header (${bytes.length} bytes, ${ndims} dimensions need ${headerLength})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const actual = bytes.length - headerLength;
  if (actual < count) {
    throw new DataError(`${source}: truncated IDX data (dimensions ${dims.join('×')} need ${count} bytes after the header, found ${actual})`);
  }
  if (actual > count) {
    throw new DataError(`${source}: ${actual - count} unexpected trailing bytes after the IDX data (dimensions ${dims.join('×')})`);
  }
  return { dims, data: bytes.subarray(headerLength) };
}

/** Builds an unsigned-byte IDX buffer (the inverse of parseIdx; for tests and exports). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new RangeError(`encodeIdx: dimensions ${dims.join('×')} need ${count} bytes, got ${data.length}`);
  if (dims.length < 1 || dims.length > 255) throw new RangeError(`encodeIdx: 1 to 255 dimensions, got ${dims.length}`);
  const out = new Uint8Array(4 + 4 * dims.length + count);
  const view = new DataView(out.buffer);
  out[2] = UNSIGNED_BYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

const gunzipAsync = promisify(gunzip);

/**
 * Reads an IDX file, gunzipping it first when the name ends in `.gz`. A missing file, bad gzip
 * data or a malformed IDX file throws DataError naming the path.
 */
export async function readIdxFile(path: string, expectedDims?: number): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new DataError(`${path}: ${fileErrorText(err)}`);
  }
  if (path.endsWith('.gz')) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (err) {
      throw new DataError(`${path}: not valid gzip data (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  return parseIdx(bytes, path, expectedDims);
}

function hex32(x: number): string {
  return '0x' + (x >>> 0).toString(16).padStart(8, '0');
}
