/** `vae reconstruct RUN`: originals next to their reconstructions (decoded encoder means). */
import type { Command } from 'commander';
import { openInferenceRun } from '../onnx/runtime.js';
import { action, choiceOption, defaultOut, intOption, startBackend, writeGridPng } from './common.js';
import { resolveInputs } from './inputs.js';

interface ReconstructOptions { n: number; split: 'train' | 'validation' | 'test'; out?: string; backend?: string }

export function registerReconstruct(program: Command): void {
  program
    .command('reconstruct')
    .argument('<run>', 'run folder')
    .argument('[inputs...]', 'PNG files or SPLIT:INDEX (default: the first --n images of --split)')
    .description('write a PNG with originals (odd columns) next to their reconstructions (even columns)')
    .option('--n <n>', 'number of images when no inputs are given', intOption('--n', 1, 1000), 16)
    .option('--split <name>', 'train | validation | test', choiceOption('--split', ['train', 'validation', 'test'] as const), 'validation')
    .option('--out <file.png>', 'output PNG (default RUN/reconstructions.png)')
    .option('--backend <name>', 'wasm | cpu', 'wasm')
    .action(action(async (dir: string, refs: string[], o: ReconstructOptions) => {
      const out = defaultOut(dir, 'reconstructions.png', o.out);
      await startBackend(o.backend, true);
      const { run, model } = await openInferenceRun(dir);
      try {
        const list = refs.length > 0 ? refs : Array.from({ length: o.n }, (_, i) => `${o.split}:${i}`);
        const { images } = await resolveInputs(run, list);
        const n = list.length;
        const recon = await model.decode((await model.encode(images, n)).mu, n);
        const size = images.length / n;
        const pairs = new Float32Array(2 * n * size);
        for (let i = 0; i < n; i++) {
          pairs.set(images.subarray(i * size, (i + 1) * size), 2 * i * size);
          pairs.set(recon.subarray(i * size, (i + 1) * size), (2 * i + 1) * size);
        }
        writeGridPng(out, pairs, 2 * n, model.imageShape, { cols: Math.min(2 * n, 8) });
        process.stdout.write(`wrote ${out} (${n} originals, each followed by its reconstruction)\n`);
      } finally {
        await model.dispose();
      }
    }));
}
