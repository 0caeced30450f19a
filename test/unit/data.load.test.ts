import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/dataset.js';
import { loadDataset, parseDatasetName } from '../../src/data/load.js';
import { encodePng } from '../../src/data/png.js';

describe('parseDatasetName', () => {
  it('accepts the known names and lists them on error', () => {
    for (const n of ['faces', 'mnist', 'fashion-mnist', 'folder']) expect(parseDatasetName(n)).toBe(n);
    expect(() => parseDatasetName('cifar')).toThrow(DataError);
    expect(() => parseDatasetName('cifar')).toThrow("unknown dataset 'cifar': expected one of faces, mnist, fashion-mnist, folder");
  });
});

describe('loadDataset', () => {
  it('generates faces from the spec seed, optionally limited', async () => {
    const a = await loadDataset({ name: 'faces', seed: 4, trainLimit: 100 });
    expect(a.name).toBe('faces');
    expect(a.train.count).toBe(100);
    expect(a.train.images.length).toBe(100 * 32 * 32 * 3);
    expect(a.train.params!.length).toBe(200);
    expect(a.train.count + a.validation.count).toBeLessThan(2000);
    const b = await loadDataset({ name: 'faces', seed: 4 });
    expect(b.train.count + b.validation.count).toBe(2000);
    expect(Array.from(b.train.params!.subarray(0, 200))).toEqual(Array.from(a.train.params!));
  });

  it('loads MNIST with limits', async () => {
    const d = await loadDataset({ name: 'mnist', trainLimit: 500, testLimit: 50 });
    expect([d.train.count, d.validation.count, d.test!.count]).toEqual([500, 100, 50]);
  });

  it('loads a folder with the spec size and channels, and needs a path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-load-'));
    try {
      for (let i = 0; i < 3; i++) writeFileSync(join(dir, `${i}.png`), encodePng(new Float32Array(10 * 10 * 3).fill(i / 3), 10, 10, 3));
      const d = await loadDataset({ name: 'folder', path: dir, height: 5, width: 5, channels: 1 });
      expect([d.height, d.width, d.channels]).toEqual([5, 5, 1]);
      expect(d.train.count + d.validation.count).toBe(3);
      await expect(loadDataset({ name: 'folder' })).rejects.toThrow("dataset 'folder' needs a path");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects unknown names and bad limits', async () => {
    await expect(loadDataset({ name: 'svhn' as 'faces' })).rejects.toThrow(DataError);
    await expect(loadDataset({ name: 'faces', trainLimit: -1 })).rejects.toThrow(DataError);
  });
});
