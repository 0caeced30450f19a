/**
 * Builds testset.bin (layout in testsetFormat.ts) for an MNIST-like run: the first TESTSET_LIMIT
 * images of its dataset's test split (of an image folder with classes: its validation split),
 * from the run's DatasetSpec. Read-only.
 */
import { loadDataset, type DatasetSpec } from '../data/load.js';
import { UserError } from '../errors.js';
import { encodeTestSet, hasTestSet, type TestSet } from './testsetFormat.js';

/** At most this many test images are sent to the page (about 1.5 MB for 28×28×1). */
export const TESTSET_LIMIT = 2000;

/** The first `limit` test images of a run's dataset, as bytes. Throws a UserError if it has none. */
export async function buildTestSet(spec: DatasetSpec, limit = TESTSET_LIMIT): Promise<TestSet> {
  if (!hasTestSet(spec)) throw new UserError(`dataset '${spec.name}' has no labelled test split`);
  // MNIST-like: the training split is not needed, take as little of it as loadDataset allows;
  // an image folder has no test split: its validation split (the images training did not see)
  const folder = spec.name === 'folder';
  const data = await loadDataset(folder ? spec : { ...spec, trainLimit: 1, validation: 0, testLimit: limit });
  const whole = folder ? data.validation : data.test;
  if (!whole || !whole.labels) throw new UserError(`dataset '${spec.name}' loaded without a labelled ${folder ? 'validation' : 'test'} split`);
  const count = Math.min(limit, whole.count);
  const size = data.height * data.width * data.channels;
  const t = { count, images: whole.images.subarray(0, count * size), labels: whole.labels.subarray(0, count) };
  const pixels = new Uint8Array(t.images.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.round(Math.min(1, Math.max(0, t.images[i])) * 255);
  return {
    count: t.count, height: data.height, width: data.width, channels: data.channels,
    classNames: data.classNames ?? Array.from({ length: 10 }, (_, i) => String(i)),
    split: folder ? 'validation' : 'test', dataset: data.name, pixels, labels: t.labels,
  };
}

const cache = new Map<string, Promise<Uint8Array>>();

/** testset.bin bytes for a dataset spec, built once per process (the same spec gives the same bytes). */
export function testSetBytes(spec: DatasetSpec): Promise<Uint8Array> {
  // a folder's images depend on its size, channels, fit and split seed too
  const key = spec.name === 'folder' ? JSON.stringify(spec) : JSON.stringify([spec.name, spec.path ?? null]);
  let p = cache.get(key);
  if (!p) {
    p = buildTestSet(spec).then(encodeTestSet);
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}
