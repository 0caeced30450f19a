/** `vae interpolate RUN A B`: decodes the straight line (or the spherical path) between the encodings of two inputs. */
import type { Command } from 'commander';
import { interpolate, type InterpolationMethod } from '../analysis/interpolate.js';
import { openInferenceRun } from '../onnx/runtime.js';
import { action, choiceOption, defaultOut, intOption, startBackend, writeGridPng } from './common.js';
import { resolveInputs } from './inputs.js';

interface InterpolateOptions { steps: number; method: InterpolationMethod; out?: string; backend?: string }

export function registerInterpolate(program: Command): void {
  program
    .command('interpolate')
    .argument('<run>', 'run folder')
    .argument('<from>', 'PNG file or SPLIT:INDEX')
    .argument('<to>', 'PNG file or SPLIT:INDEX')
    .description('encode two inputs and decode points on the path between their means (strip PNG: from, steps, to); ' +
      'linear: the straight line; slerp: the direction turns at constant angular speed while the length goes linearly ' +
      'from |a| to |b| (keeps points near the shell where a standard-normal prior has its mass)')
    .option('--steps <n>', 'decoded points including both ends', intOption('--steps', 2, 100), 10)
    .option('--method <m>', 'linear | slerp', choiceOption('--method', ['linear', 'slerp'] as const), 'linear')
    .option('--out <file.png>', 'output PNG (default RUN/interpolation.png)')
    .option('--backend <name>', 'wasm | cpu', 'wasm')
    .action(action(async (dir: string, from: string, to: string, o: InterpolateOptions) => {
      const out = defaultOut(dir, 'interpolation.png', o.out);
      await startBackend(o.backend, true);
      const { run, model } = await openInferenceRun(dir);
      try {
        const { images } = await resolveInputs(run, [from, to]);
        const { mu } = await model.encode(images, 2);
        const d = model.latent;
        const z = interpolate(o.method, mu.subarray(0, d), mu.subarray(d, 2 * d), o.steps);
        const decoded = await model.decode(z, o.steps);
        const size = images.length / 2;
        // strip: original A, the decoded path, original B
        const strip = new Float32Array((o.steps + 2) * size);
        strip.set(images.subarray(0, size), 0);
        strip.set(decoded, size);
        strip.set(images.subarray(size), (o.steps + 1) * size);
        writeGridPng(out, strip, o.steps + 2, model.imageShape, { cols: o.steps + 2 });
        process.stdout.write(`wrote ${out} (input, ${o.steps} decoded points on the ${o.method === 'slerp' ? 'spherical' : 'straight'} path, input)\n`);
      } finally {
        await model.dispose();
      }
    }));
}
