/** `vae plot RUN`: the loss curves of a run (−ELBO, reconstruction, KL; train and validation). */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
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
      const out = defaultOut(dir, 'curves.svg', o.out);
      if (!/\.(svg|png)$/i.test(out)) throw new UserError(`--out must end in .svg or .png (got '${out}')`);
      await writeCurves(dir, out);
      process.stdout.write(`wrote ${out}\n`);
    }));
}
