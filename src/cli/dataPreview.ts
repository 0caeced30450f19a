/** `vae data preview`: a grid PNG of a dataset's images. */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { loadDataset, parseDatasetName, type DatasetSpec } from '../data/load.js';
import { action, checkOutputFile, choiceOption, intOption, writeGridPng } from './common.js';

interface PreviewOptions { dataset: string; dataPath?: string; split: 'train' | 'validation' | 'test'; n: number; seed: number; out: string }

export function registerData(program: Command): void {
  const data = program.command('data').description('dataset tools');
  data
    .command('preview')
    .description('write a grid PNG of the first N images of a dataset split')
    .option('--dataset <name>', 'faces | mnist | fashion-mnist | folder', 'faces')
    .option('--data-path <dir>', 'folder of PNG images for --dataset folder')
    .option('--split <name>', 'train | validation | test', choiceOption('--split', ['train', 'validation', 'test'] as const), 'train')
    .option('--n <n>', 'number of images', intOption('--n', 1, 10000), 64)
    .option('--seed <n>', 'dataset seed (faces generation, folder split)', intOption('--seed', 0), 0)
    .option('--out <file.png>', 'output PNG', 'data-preview.png')
    .action(action(async (o: PreviewOptions) => {
      checkOutputFile(o.out, ['.png']);
      const spec: DatasetSpec = { name: parseDatasetName(o.dataset), seed: o.seed, ...(o.dataPath ? { path: o.dataPath } : {}) };
      const d = await loadDataset(spec);
      const set = o.split === 'train' ? d.train : o.split === 'validation' ? d.validation : d.test;
      if (!set) throw new UserError(`dataset ${d.name} has no ${o.split} split`);
      const n = Math.min(o.n, set.count);
      writeGridPng(o.out, set.images.subarray(0, n * d.height * d.width * d.channels), n, [d.height, d.width, d.channels]);
      process.stdout.write(`wrote ${o.out} (${n} ${o.split} images of ${d.name}, ${d.channels}x${d.height}x${d.width})\n`);
    }));
}
