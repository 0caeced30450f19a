/**
 * Inputs named on the command line for encode / interpolate / reconstruct:
 *   an image file (PNG, JPEG, WebP, GIF, TIFF: decoded by sharp, fitted to the model's size and
 *   channels as the run's folder was), or SPLIT:INDEX of the run's dataset
 *   (e.g. `validation:3`, `test:0`, `train:12`).
 */
import * as fs from 'node:fs';
import { UserError } from '../errors.js';
import { loadDataset, specFit } from '../data/load.js';
import type { Dataset } from '../data/dataset.js';
import { readImageFile } from '../data/image.js';
import type { InputsRun } from '../onnx/runtime.js';
import { prepareEvalImages } from '../train/trainer.js';

export interface NamedImages {
  names: string[];
  images: Float32Array;
}

const SPLIT_REF = /^(train|validation|test):(\d+)$/;

export async function resolveInputs(run: InputsRun, refs: string[]): Promise<NamedImages> {
  const [h, w, c] = [run.model.height, run.model.width, run.model.channels];
  const size = h * w * c;
  const images = new Float32Array(refs.length * size);
  let data: Dataset | null = null;
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i];
    const m = SPLIT_REF.exec(ref);
    if (m && !fs.existsSync(ref)) {
      if (!run.dataset) throw new UserError(`${ref}: this run names no dataset (an ONNX run imported without --dataset); give PNG files`);
      data ??= await loadDataset(run.dataset);
      const set = m[1] === 'train' ? data.train : m[1] === 'test' ? data.test : data.validation;
      if (!set) throw new UserError(`${ref}: dataset ${data.name} has no ${m[1]} split`);
      const idx = Number(m[2]);
      if (idx >= set.count) throw new UserError(`${ref}: index out of range (the ${m[1]} split has ${set.count} images)`);
      const prepared = prepareEvalImages({ ...set, images: set.images.subarray(idx * size, (idx + 1) * size), count: 1 }, run.training.binarize, run.training.seed);
      images.set(prepared, i * size);
    } else {
      if (!fs.existsSync(ref)) throw new UserError(`${ref}: no such file (give an image file or SPLIT:INDEX such as validation:3)`);
      if (run.dataset?.name === 'csv') throw new UserError(`${ref}: a CSV run takes SPLIT:INDEX inputs (rows of its data), not image files`);
      const img = await readImageFile(ref, { height: h, width: w, channels: c as 1 | 3, fit: run.dataset ? specFit(run.dataset) : 'cover' });
      images.set(img.data, i * size);
    }
  }
  return { names: refs, images };
}
