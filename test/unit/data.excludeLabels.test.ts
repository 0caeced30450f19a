import { describe, expect, it } from 'vitest';
import { DataError, type Dataset } from '../../src/data/dataset.js';
import { excludeLabels, loadDataset } from '../../src/data/load.js';

function tiny(): Dataset {
  // 1×1×1 images whose pixel value encodes the index, labels cycling 0, 1, 2
  const set = (n: number, offset: number) => ({
    images: Float32Array.from({ length: n }, (_, i) => (offset + i) / 100),
    count: n,
    labels: Uint8Array.from({ length: n }, (_, i) => i % 3),
  });
  return { name: 'tiny', height: 1, width: 1, channels: 1, train: set(9, 0), validation: set(6, 20), test: set(6, 40), classNames: ['a', 'b', 'c'] };
}

describe('excludeLabels', () => {
  it('drops the labels from train and validation, keeps images with their labels, leaves test whole', () => {
    const d = excludeLabels(tiny(), [1]);
    expect(Array.from(d.train.labels!)).toEqual([0, 2, 0, 2, 0, 2]);
    expect(Array.from(d.train.images).map((v) => Math.round(v * 100))).toEqual([0, 2, 3, 5, 6, 8]);
    expect(d.train.count).toBe(6);
    expect(Array.from(d.validation.images).map((v) => Math.round(v * 100))).toEqual([20, 22, 23, 25]);
    expect(d.test!.count).toBe(6);
  });

  it('rejects labels that do not exist, datasets without labels, and excluding everything', () => {
    expect(() => excludeLabels(tiny(), [3])).toThrow(DataError);
    expect(() => excludeLabels(tiny(), [0, 1, 2])).toThrow(/leaves no training images/);
    const { classNames: _c, ...unlabelled } = tiny();
    expect(() => excludeLabels({ ...unlabelled, train: { ...tiny().train, labels: undefined } }, [0])).toThrow(/no labels/);
  });

  it('applies through the DatasetSpec of MNIST', async () => {
    const d = await loadDataset({ name: 'mnist', trainLimit: 500, testLimit: 300, excludeLabels: [3, 7] });
    expect(d.train.count).toBeLessThan(500);
    expect(Array.from(d.train.labels!).some((l) => l === 3 || l === 7)).toBe(false);
    expect(Array.from(d.validation.labels!).some((l) => l === 3 || l === 7)).toBe(false);
    expect(Array.from(d.test!.labels!).filter((l) => l === 3).length).toBeGreaterThan(10);
    const full = await loadDataset({ name: 'mnist', trainLimit: 500 });
    expect(d.train.count).toBe(Array.from(full.train.labels!).filter((l) => l !== 3 && l !== 7).length);
    await expect(loadDataset({ name: 'faces', trainLimit: 10, excludeLabels: [0] })).rejects.toThrow(/no labels/);
  });
});
