import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/dataset.js';
import { encodeIdx, parseIdx, readIdxFile } from '../../src/data/idx.js';

/** A 2×3×2 image file built by hand, byte by byte. */
function handBuilt(): Uint8Array {
  return new Uint8Array([
    0, 0, 8, 3, // magic: unsigned byte, 3 dims
    0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 2, // dims 2, 3, 2
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255,
  ]);
}

function expectDataError(fn: () => unknown, ...parts: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DataError);
  const message = (caught as Error).message;
  expect(message).not.toContain('\n');
  for (const p of parts) expect(message).toContain(p);
}

describe('parseIdx', () => {
  it('parses a hand-built image file', () => {
    const r = parseIdx(handBuilt(), 'hand.idx');
    expect(r.dims).toEqual([2, 3, 2]);
    expect(Array.from(r.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255]);
    expect(parseIdx(handBuilt(), 'hand.idx', 3).dims).toEqual([2, 3, 2]);
  });

  it('round-trips labels and images through encodeIdx', () => {
    const labels = new Uint8Array([3, 1, 4, 1, 5]);
    const l = parseIdx(encodeIdx([5], labels), 'labels', 1);
    expect(l.dims).toEqual([5]);
    expect(Array.from(l.data)).toEqual([3, 1, 4, 1, 5]);
    const bytes = encodeIdx([2, 3, 2], handBuilt().subarray(16));
    expect(Array.from(bytes)).toEqual(Array.from(handBuilt()));
    // Big dims are big-endian.
    const big = encodeIdx([300], new Uint8Array(300));
    expect(Array.from(big.subarray(0, 8))).toEqual([0, 0, 8, 1, 0, 0, 1, 44]);
  });

  it('reads from a view with a byte offset', () => {
    const padded = new Uint8Array(100 + handBuilt().length);
    padded.set(handBuilt(), 100);
    expect(parseIdx(padded.subarray(100), 'view').dims).toEqual([2, 3, 2]);
  });

  it('rejects a wrong magic number', () => {
    const b = handBuilt();
    b[0] = 0x1f; // e.g. a gzip file passed without .gz
    expectDataError(() => parseIdx(b, 'bad-magic.idx'), 'bad-magic.idx', 'not an IDX file', 'magic');
    expectDataError(() => parseIdx(new Uint8Array([0, 0]), 'tiny.idx'), 'tiny.idx', 'not an IDX file');
  });

  it('rejects a data type other than unsigned byte', () => {
    const b = handBuilt();
    b[2] = 0x0d; // float
    expectDataError(() => parseIdx(b, 'float.idx'), 'float.idx', '0x0d', 'not supported');
  });

  it('rejects the wrong number of dimensions', () => {
    expectDataError(() => parseIdx(handBuilt(), 'images.idx', 1), 'images.idx', '3 dimensions', 'expected 1');
    const zero = new Uint8Array([0, 0, 8, 0]);
    expectDataError(() => parseIdx(zero, 'zero.idx'), 'zero.idx', '0 dimensions');
  });

  it('rejects truncated headers and data', () => {
    expectDataError(() => parseIdx(handBuilt().subarray(0, 10), 'short-header.idx'), 'short-header.idx', 'truncated IDX header');
    expectDataError(() => parseIdx(handBuilt().subarray(0, 27), 'short.idx'), 'short.idx', 'truncated', 'need 12', 'found 11');
  });

  it('rejects trailing bytes', () => {
    const b = new Uint8Array(handBuilt().length + 3);
    b.set(handBuilt());
    expectDataError(() => parseIdx(b, 'long.idx'), 'long.idx', '3 unexpected trailing bytes');
  });
});

describe('readIdxFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vae-idx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads plain and gzipped files', async () => {
    writeFileSync(join(dir, 'a-idx3-ubyte'), handBuilt());
    writeFileSync(join(dir, 'a-idx3-ubyte.gz'), gzipSync(handBuilt()));
    const plain = await readIdxFile(join(dir, 'a-idx3-ubyte'), 3);
    const gz = await readIdxFile(join(dir, 'a-idx3-ubyte.gz'), 3);
    expect(gz.dims).toEqual(plain.dims);
    expect(Array.from(gz.data)).toEqual(Array.from(plain.data));
  });

  it('names the file in errors: missing, bad gzip, malformed', async () => {
    const missing = join(dir, 'nope-idx1-ubyte');
    await expect(readIdxFile(missing)).rejects.toThrow(DataError);
    await expect(readIdxFile(missing)).rejects.toThrow(`${missing}: file not found`);
    const badGz = join(dir, 'bad.gz');
    writeFileSync(badGz, handBuilt());
    await expect(readIdxFile(badGz)).rejects.toThrow(`${badGz}: not valid gzip data`);
    const truncated = join(dir, 'truncated.gz');
    writeFileSync(truncated, gzipSync(handBuilt().subarray(0, 20)));
    await expect(readIdxFile(truncated)).rejects.toThrow(`${truncated}: truncated IDX data`);
  });
});
