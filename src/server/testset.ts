/**
 * Builds testset.bin (layout in testsetFormat.ts) for an MNIST-like run: the first TESTSET_LIMIT
 * images of its dataset's test split, from the run's DatasetSpec. Read-only.
 */
import { loadDataset, type DatasetSpec } from '../data/load.js';
import { UserError } from '../errors.js';
import { encodeTestSet, hasTestSet, type TestSet } from './testsetFormat.js';

/** At most this many test images are sent to the page (about 1.5 MB for 28×28×1). */
export const TESTSET_LIMIT = 2000;

/** The first `limit` test images of a run's dataset, as bytes. Throws a UserError if it has none. */
export async function buildTestSet(spec: DatasetSpec, limit = TESTSET_LIMIT): Promise<TestSet> {
  if (!hasTestSet(spec)) throw new UserError(`dataset '${spec.name}' has no labelled test split`);
  // the training split is not needed: take as little of it as loadDataset allows
  const data = await loadDataset({ ...spec, trainLimit: 1, validation: 0, testLimit: limit });
  const t = data.test;
  if (!t || !t.labels) throw new UserError(`dataset '${spec.name}' loaded without a labelled test split`);
  const pixels = new Uint8Array(t.images.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.round(Math.min(1, Math.max(0, t.images[i])) * 255);
  return {
    count: t.count, height: data.height, width: data.width, channels: data.channels,
    classNames: data.classNames ?? Array.from({ length: 10 }, (_, i) => String(i)),
    split: 'test', dataset: data.name, pixels, labels: t.labels,
  };
}

const cache = new Map<string, Promise<Uint8Array>>();

/** testset.bin bytes for a dataset spec, built once per process (the same spec gives the same bytes). */
export function testSetBytes(spec: DatasetSpec): Promise<Uint8Array> {
  const key = JSON.stringify([spec.name, spec.path ?? null]);
  let p = cache.get(key);
  if (!p) {
    p = buildTestSet(spec).then(encodeTestSet);
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}
