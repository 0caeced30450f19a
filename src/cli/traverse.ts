/** `vae traverse RUN INPUT`: varies latent dimensions one at a time around an input's encoding (grid PNG). */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { linspace, traverseLatent } from '../analysis/traverse.js';
import { openInferenceRun } from '../onnx/runtime.js';
import { action, defaultOut, intOption, startBackend, writeGridPng } from './common.js';
import { resolveInputs } from './inputs.js';

interface TraverseOptions { dim?: string; dims?: string; range: string; steps: number; out?: string; backend?: string }

/** "2" or "0,3,5" or "all" → dimension indices. */
function parseDims(v: string, latent: number, flag: string): number[] {
  if (v === 'all') return Array.from({ length: latent }, (_, i) => i);
  const parts = v.split(',').map((s) => s.trim());
  const dims = parts.map(Number);
  if (parts.some((s) => !/^\d+$/.test(s)) || dims.some((d) => d >= latent)) {
    throw new UserError(`${flag} must be 'all' or dimensions in 0..${latent - 1} such as 2 or 0,3 (got '${v}')`);
  }
  return dims;
}

function parseRange(v: string): [number, number] {
  const parts = v.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 2 || parts.some((x) => !Number.isFinite(x)) || v.trim() === '') {
    throw new UserError(`--range must be two numbers LO,HI such as -3,3 (got '${v}')`);
  }
  return [parts[0], parts[1]];
}

export function registerTraverse(program: Command): void {
  program
    .command('traverse')
    .argument('<run>', 'run folder')
    .argument('<input>', 'PNG file or SPLIT:INDEX (e.g. test:0): the base point is its encoder mean')
    .description('latent traversal: set one latent dimension to evenly spaced values (the others stay at the input\'s encoder mean) ' +
      'and decode; one row per dimension, one column per value (grid PNG)')
    .option('--dim <d>', 'the dimension to vary (or a comma list, e.g. 0,3)')
    .option('--dims <list>', 'all, or a comma list of dimensions: one row each (default: all)')
    .option('--range <lo,hi>', 'values the dimension takes (absolute z values; the prior is N(0, 1))', '-3,3')
    .option('--steps <n>', 'values per row, both ends included', intOption('--steps', 2, 100), 11)
    .option('--out <file.png>', 'output PNG (default RUN/traversal.png)')
    .option('--backend <name>', 'wasm | cpu', 'wasm')
    .action(action(async (dir: string, input: string, o: TraverseOptions) => {
      if (o.dim !== undefined && o.dims !== undefined) throw new UserError('give --dim or --dims, not both');
      const [lo, hi] = parseRange(o.range);
      const out = defaultOut(dir, 'traversal.png', o.out);
      await startBackend(o.backend, true);
      const { run, model } = await openInferenceRun(dir);
      try {
        const latent = model.latent;
        const dims = o.dim !== undefined ? parseDims(o.dim, latent, '--dim') : parseDims(o.dims ?? 'all', latent, '--dims');
        const { images } = await resolveInputs(run, [input]);
        const { mu } = await model.encode(images, 1);
        const values = linspace(lo, hi, o.steps);
        const z = traverseLatent(mu, dims, values);
        const n = dims.length * o.steps;
        const decoded = await model.decode(z, n);
        writeGridPng(out, decoded, n, model.imageShape, { cols: o.steps });
        process.stdout.write(`wrote ${out}: ${dims.length} row(s) (dimension ${dims.length > 8 ? `${dims[0]}..${dims[dims.length - 1]}` : dims.join(', ')}) ` +
          `× ${o.steps} values from ${lo} to ${hi}; base point: the encoder mean of ${input}\n`);
      } finally {
        await model.dispose();
      }
    }));
}
