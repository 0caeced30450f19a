/** `vae plot RUN`: the loss curves of a run (−ELBO, reconstruction, KL; train and validation). */
import type { Command } from 'commander';
import { readRun } from '../train/run.js';
import { action, defaultOut } from './common.js';
import { writeCurves } from './pictures.js';

export function registerPlot(program: Command): void {
  program
    .command('plot')
    .argument('<run>', 'run folder')
    .description('plot the loss curves of a run (SVG or PNG, by the extension of --out)')
    .option('--out <file>', 'output .svg or .png (default RUN/curves.svg)')
    .action(action(async (dir: string, o: { out?: string }) => {
      readRun(dir);
      const out = defaultOut(dir, 'curves.svg', o.out, ['.svg', '.png']);
      await writeCurves(dir, out);
      process.stdout.write(`wrote ${out}\n`);
    }));
}
