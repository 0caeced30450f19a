import { describe, it, expect } from 'vitest';
import { encodeTestSet, parseTestSet, type TestSet } from '../../src/server/testsetFormat.js';
import { buildTestSet } from '../../src/server/testset.js';
import { loadMnist } from '../../src/data/mnist.js';

describe('testset.bin', () => {
  it('round-trips through encodeTestSet and parseTestSet, with the documented layout', () => {
    const t: TestSet = {
      count: 3, height: 2, width: 2, channels: 1, classNames: ['a', 'b'], split: 'test', dataset: 'toy',
      pixels: Uint8Array.from([0, 1, 2, 3, 10, 11, 12, 13, 250, 251, 252, 255]), labels: Uint8Array.from([1, 0, 1]),
    };
    const bytes = encodeTestSet(t);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('VTS1');
    const h = new DataView(bytes.buffer).getUint32(4, true);
    expect(JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + h)))).toEqual({ count: 3, height: 2, width: 2, channels: 1, classNames: ['a', 'b'], split: 'test', dataset: 'toy' });
    expect(Array.from(bytes.subarray(8 + h, 8 + h + 12))).toEqual(Array.from(t.pixels));
    expect(Array.from(bytes.subarray(8 + h + 12))).toEqual([1, 0, 1]);
    const back = parseTestSet(bytes.slice().buffer);
    expect(back).toEqual(t);
  });

  it('rejects a file of the wrong kind or length', () => {
    expect(() => parseTestSet(new TextEncoder().encode('PNG....'))).toThrow(/magic/);
    const t: TestSet = { count: 1, height: 1, width: 1, channels: 1, classNames: ['x'], split: 'test', dataset: 'toy', pixels: Uint8Array.of(7), labels: Uint8Array.of(0) };
    const bytes = encodeTestSet(t);
    expect(() => parseTestSet(bytes.subarray(0, bytes.length - 1))).toThrow(/bytes, expected/);
  });

  it('holds the first test images of MNIST and their labels, as the dataset reader reads them', async () => {
    const t = await buildTestSet({ name: 'mnist', seed: 0, trainLimit: 100 }, 50);
    const ref = await loadMnist({ trainLimit: 1, validation: 0, testLimit: 50 });
    expect(t.count).toBe(50);
    expect([t.height, t.width, t.channels]).toEqual([28, 28, 1]);
    expect(t.classNames).toHaveLength(10);
    expect(Array.from(t.labels)).toEqual(Array.from(ref.test!.labels!));
    let maxErr = 0;
    for (let i = 0; i < t.pixels.length; i++) maxErr = Math.max(maxErr, Math.abs(t.pixels[i] / 255 - ref.test!.images[i]));
    expect(maxErr).toBeLessThan(1e-6); // MNIST pixels are bytes: nothing is lost
  });
});
