/** `vae sample RUN`: z ~ N(0, I), decoded into a grid PNG, with the z values. */
import type { Command } from 'commander';
import { openInferenceRun } from '../onnx/runtime.js';
import { writeFileAtomic } from '../train/files.js';
import { action, checkOutputFile, defaultOut, intOption, printJson, startBackend, writeGridPng } from './common.js';

interface SampleOptions { n: number; seed: number; cols?: number; out?: string; json?: boolean; backend?: string }

export function registerSample(program: Command): void {
  program
    .command('sample')
    .argument('<run>', 'run folder')
    .description('draw z ~ p(z) (N(0, I), or the run\'s mixture prior), decode, and write a grid PNG (and the z values as JSON next to it)')
    .option('--n <n>', 'number of samples', intOption('--n', 1, 10000), 24)
    .option('--seed <n>', 'seed of the z draws', intOption('--seed', 0), 0)
    .option('--cols <n>', 'grid columns (default: 6 for 24, else about sqrt(n))', intOption('--cols'))
    .option('--out <file.png>', 'output PNG (default RUN/samples-s<seed>.png)')
    .option('--json', 'print the z values as JSON on stdout')
    .option('--backend <name>', 'wasm | cpu', 'wasm')
    .action(action(async (dir: string, o: SampleOptions) => {
      const out = defaultOut(dir, `samples-s${o.seed}.png`, o.out);
      const zOut = checkOutputFile(out.replace(/\.png$/i, '') + '.z.json', ['.json'], 'the z values next to --out');
      await startBackend(o.backend, true);
      const { model } = await openInferenceRun(dir);
      try {
        const { z, images } = await model.sample(o.n, o.seed);
        writeGridPng(out, images, o.n, model.imageShape, { cols: o.cols ?? (o.n === 24 ? 6 : undefined) });
        const d = model.latent;
        const zs = Array.from({ length: o.n }, (_, i) => Array.from(z.subarray(i * d, (i + 1) * d)));
        writeFileAtomic(zOut, JSON.stringify({ seed: o.seed, z: zs }) + '\n');
        if (o.json) printJson({ image: out, seed: o.seed, z: zs });
        else process.stdout.write(`wrote ${out} (${o.n} samples) and ${out.replace(/\.png$/i, '')}.z.json\n`);
      } finally {
        await model.dispose();
      }
    }));
}
