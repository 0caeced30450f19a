/**
 * The IDX file format of MNIST and Fashion-MNIST (unsigned bytes only).
 *
 * Layout: a 4-byte magic number `00 00 <type> <ndims>` (type 0x08 = unsigned byte; MNIST images
 * are 0x00000803, labels 0x00000801), then `ndims` big-endian uint32 dimension sizes, then the
 * product of the dimensions in bytes, row-major, and nothing after it.
 */
import { createGunzip } from 'node:zlib';
import { DataError } from './dataset.js';
import { readRegularFile } from './files.js';

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

/** Largest IDX payload accepted, compressed or not (MNIST's training images are 47 MB). */
export const MAX_IDX_BYTES = 512 << 20;

/** Total byte count (header + data) an IDX header declares once `bytes` holds the whole header; null before, -1 for a bad magic. */
function declaredLength(bytes: Uint8Array, source: string): number | null {
  if (bytes.length < 4) return null;
  if (bytes[0] !== 0 || bytes[1] !== 0) return -1; // not IDX: parseIdx names the problem
  const headerLength = 4 + 4 * bytes[3];
  if (bytes.length < headerLength) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < bytes[3]; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > MAX_IDX_BYTES) {
    throw new DataError(`${source}: the IDX header declares ${dims.join('×')} = ${count} values, more than the ${MAX_IDX_BYTES} this reader accepts`);
  }
  return headerLength + count;
}

/**
 * Inflates gzip data with an output limit derived from the IDX header inside it: the header is
 * read from the first inflated bytes, and inflating stops as soon as the output passes the
 * length it declares (plus a little, so trailing data is still reported). A gzip bomb never
 * inflates further than its own header claims, and that claim is capped by MAX_IDX_BYTES.
 */
async function gunzipIdx(compressed: Uint8Array, source: string): Promise<Uint8Array> {
  const z = createGunzip();
  const chunks: Buffer[] = [];
  let total = 0;
  let limit = MAX_IDX_BYTES + 4 + 4 * 255;
  let headerSeen = false;
  const done = new Promise<void>((resolve, reject) => {
    z.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (!headerSeen) {
        const head = Buffer.concat(chunks);
        try {
          const declared = declaredLength(head, source);
          if (declared === -1) limit = 4096; // not IDX: a little is enough to say so
          else if (declared !== null) {
            headerSeen = true;
            limit = declared + 1024;
          }
        } catch (e) {
          z.destroy();
          reject(e);
          return;
        }
      }
      if (total > limit) {
        z.destroy();
        resolve(); // enough: parseIdx reports the trailing data (or the bad magic)
      }
    });
    z.on('end', resolve);
    z.on('error', (err) => reject(new DataError(`${source}: not valid gzip data (${err.message})`)));
  });
  z.end(compressed);
  await done;
  return Buffer.concat(chunks, Math.min(total, limit + 65536));
}

/**
 * Reads an IDX file, gunzipping it first when the name ends in `.gz`: a regular file only (a FIFO
 * or device is refused without blocking), at most MAX_IDX_BYTES, inflated no further than its
 * header declares. A missing file, bad gzip data or a malformed IDX file throws DataError naming the path.
 */
export async function readIdxFile(path: string, expectedDims?: number): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = readRegularFile(path, MAX_IDX_BYTES + 4 + 4 * 255, path);
  } catch (err) {
    throw new DataError((err as Error).message);
  }
  if (path.endsWith('.gz')) bytes = await gunzipIdx(bytes, path);
  else declaredLength(bytes, path); // the count cap
  return parseIdx(bytes, path, expectedDims);
}

function hex32(x: number): string {
  return '0x' + (x >>> 0).toString(16).padStart(8, '0');
}
