/** `vae data preview`: a grid PNG of a dataset's images. */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { parseDatasetName, type DatasetSpec } from '../data/load.js';
import { FITS, type Fit } from '../data/image.js';
import { action, checkOutputFile, choiceOption, intOption, writeGridPng } from './common.js';
import { loadWithProgress } from './dataProgress.js';

interface PreviewOptions { dataset: string; dataPath?: string; size?: number; channels?: number; fit?: Fit; split: 'train' | 'validation' | 'test'; n: number; seed: number; out: string }

export function registerData(program: Command): void {
  const data = program.command('data').description('dataset tools');
  data
    .command('preview')
    .description('write a grid PNG of the first N images of a dataset split')
    .option('--dataset <name>', 'faces | mnist | fashion-mnist | folder', 'faces')
    .option('--data-path <dir>', 'folder of images (or of class sub-folders) for --dataset folder')
    .option('--size <n>', 'folder: images resized to N x N (default 32)', intOption('--size', 1, 1024))
    .option('--channels <n>', 'folder: 3 (RGB, default) or 1 (gray)', intOption('--channels', 1, 3))
    .option('--fit <mode>', 'folder: cover (default) | contain | fill', choiceOption('--fit', FITS))
    .option('--split <name>', 'train | validation | test', choiceOption('--split', ['train', 'validation', 'test'] as const), 'train')
    .option('--n <n>', 'number of images', intOption('--n', 1, 10000), 64)
    .option('--seed <n>', 'dataset seed (faces generation, folder split)', intOption('--seed', 0), 0)
    .option('--out <file.png>', 'output PNG', 'data-preview.png')
    .action(action(async (o: PreviewOptions) => {
      checkOutputFile(o.out, ['.png']);
      const spec: DatasetSpec = { name: parseDatasetName(o.dataset), seed: o.seed, ...(o.dataPath ? { path: o.dataPath } : {}) };
      if (spec.name === 'csv') throw new UserError('a CSV file has no images to preview');
      if (spec.name === 'folder') {
        if (o.channels !== undefined && o.channels !== 1 && o.channels !== 3) throw new UserError(`--channels must be 1 (gray) or 3 (RGB), got ${o.channels}`);
        Object.assign(spec, { height: o.size ?? 32, width: o.size ?? 32, channels: o.channels ?? 3, fit: o.fit ?? 'cover' });
      } else if (o.size !== undefined || o.channels !== undefined || o.fit !== undefined) {
        throw new UserError('--size, --channels and --fit apply to --dataset folder');
      }
      const d = await loadWithProgress(spec);
      if (d.summary) process.stderr.write(`read ${d.summary}\n`);
      const set = o.split === 'train' ? d.train : o.split === 'validation' ? d.validation : d.test;
      if (!set) throw new UserError(`dataset ${d.name} has no ${o.split} split`);
      const n = Math.min(o.n, set.count);
      writeGridPng(o.out, set.images.subarray(0, n * d.height * d.width * d.channels), n, [d.height, d.width, d.channels]);
      process.stdout.write(`wrote ${o.out} (${n} ${o.split} images of ${d.name}, ${d.channels}x${d.height}x${d.width})\n`);
    }));
}
