import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError, type ImageSet } from '../../src/data/dataset.js';
import { encodeIdx } from '../../src/data/idx.js';
import { FASHION_MNIST_DIR, loadFashionMnist, loadMnist } from '../../src/data/mnist.js';

function mean(...sets: ImageSet[]): number {
  let sum = 0, n = 0;
  for (const s of sets) {
    for (let i = 0; i < s.images.length; i++) sum += s.images[i];
    n += s.images.length;
  }
  return sum / n;
}

function labelRange(s: ImageSet): [number, number, number] {
  let lo = 255, hi = 0;
  const seen = new Set<number>();
  for (const l of s.labels!) {
    lo = Math.min(lo, l);
    hi = Math.max(hi, l);
    seen.add(l);
  }
  return [lo, hi, seen.size];
}

describe('loadMnist', () => {
  // load time is a benchmark figure, not a test assertion (the machine is shared and noisy)
  it('loads all of MNIST: 50k train, 10k validation, 10k test, mean 0.1307', async () => {
    const d = await loadMnist();
    expect(d.name).toBe('mnist');
    expect([d.height, d.width, d.channels]).toEqual([28, 28, 1]);
    expect(d.train.count).toBe(50000);
    expect(d.validation.count).toBe(10000);
    expect(d.test!.count).toBe(10000);
    expect(d.train.images.length).toBe(50000 * 784);
    expect(d.train.labels!.length).toBe(50000);
    expect(d.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    for (const s of [d.train, d.validation, d.test!]) expect(labelRange(s)).toEqual([0, 9, 10]);
    // The well-known mean pixel of MNIST's 60,000 training images.
    expect(mean(d.train, d.validation)).toBeCloseTo(0.1307, 3);
    let lo = Infinity, hi = -Infinity;
    for (const v of d.test!.images) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBe(0);
    expect(hi).toBe(1);
    // The first training label of MNIST is a 5, the first test label a 7.
    expect(d.train.labels![0]).toBe(5);
    expect(d.test!.labels![0]).toBe(7);
  });

  it('honours limits and the validation count', async () => {
    const small = await loadMnist({ trainLimit: 1000, testLimit: 100 });
    expect(small.train.count).toBe(1000);
    expect(small.validation.count).toBe(200); // trainLimit / 5 when validation is not given
    expect(small.test!.count).toBe(100);
    expect(small.test!.images.length).toBe(100 * 784);
    const all = await loadMnist({ validation: 0, testLimit: 1 });
    expect(all.train.count).toBe(60000);
    expect(all.validation.count).toBe(0);
    const v = await loadMnist({ trainLimit: 10, validation: 5000, testLimit: 1 });
    expect(v.validation.count).toBe(5000);
    // Validation is the end of the 60k file: its last image equals the last of the full train file.
    const tail = all.train.images.subarray(59999 * 784);
    expect(Array.from(v.validation.images.subarray(4999 * 784))).toEqual(Array.from(tail));
  });

  it('rejects bad options and missing folders with DataError', async () => {
    await expect(loadMnist({ trainLimit: 0 })).rejects.toThrow(DataError);
    await expect(loadMnist({ validation: 60000 })).rejects.toThrow(/leave none/);
    await expect(loadMnist({ dir: '/nonexistent/mnist' })).rejects.toThrow('MNIST not found in /nonexistent/mnist');
  });

  describe('with a small folder of IDX files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-mnist-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const images = (n: number) => encodeIdx([n, 28, 28], new Uint8Array(n * 784).fill(51));
    const labels = (n: number, value = 3) => encodeIdx([n], new Uint8Array(n).fill(value));

    it('loads it, and names the file whose counts disagree', async () => {
      writeFileSync(join(dir, 'train-images-idx3-ubyte'), images(6));
      writeFileSync(join(dir, 'train-labels-idx1-ubyte'), labels(6));
      writeFileSync(join(dir, 't10k-images-idx3-ubyte'), images(2));
      writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), labels(2));
      const d = await loadMnist({ dir, validation: 2 });
      expect([d.train.count, d.validation.count, d.test!.count]).toEqual([4, 2, 2]);
      expect(d.train.images[0]).toBeCloseTo(0.2, 6);
      writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), labels(3));
      await expect(loadMnist({ dir, validation: 2 })).rejects.toThrow(/t10k-labels-idx1-ubyte: 3 labels for 2 images/);
      writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), labels(2, 10));
      await expect(loadMnist({ dir, validation: 2 })).rejects.toThrow(/label 10 at index 0/);
      rmSync(join(dir, 't10k-labels-idx1-ubyte'));
      await expect(loadMnist({ dir })).rejects.toThrow(/t10k-labels-idx1-ubyte: file not found/);
    });
  });
});

describe('loadFashionMnist', () => {
  it('explains how to install it when the folder is missing', async () => {
    await expect(loadFashionMnist({ dir: '/nonexistent/fashion' })).rejects.toThrow(
      'Fashion-MNIST not found in /nonexistent/fashion: install it with `apt-get install dataset-fashion-mnist`',
    );
  });

  const present = existsSync(FASHION_MNIST_DIR);
  if (!present) console.warn(`skipping Fashion-MNIST: ${FASHION_MNIST_DIR} is missing (apt-get install dataset-fashion-mnist)`);
  it.skipIf(!present && !process.env.CI)('loads the Debian package: 50k / 10k / 10k, mean 0.2860', async () => {
    const d = await loadFashionMnist();
    expect(d.name).toBe('fashion-mnist');
    expect([d.height, d.width, d.channels]).toEqual([28, 28, 1]);
    expect([d.train.count, d.validation.count, d.test!.count]).toEqual([50000, 10000, 10000]);
    expect(d.classNames![9]).toBe('Ankle boot');
    expect(d.classNames!.length).toBe(10);
    for (const s of [d.train, d.validation, d.test!]) expect(labelRange(s)).toEqual([0, 9, 10]);
    expect(mean(d.train, d.validation)).toBeCloseTo(0.286, 3);
  });
});
