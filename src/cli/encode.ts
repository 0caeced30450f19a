/** `vae encode RUN INPUT...`: mu and sigma of q(z|x) per image, as CSV or JSON. */
import type { Command } from 'commander';
import { openInferenceRun } from '../onnx/runtime.js';
import { writeFileAtomic } from '../train/files.js';
import { action, checkOutputFile, choiceOption, startBackend } from './common.js';
import { resolveInputs } from './inputs.js';

interface EncodeOptions { format: 'csv' | 'json'; out?: string; backend?: string }

export function registerEncode(program: Command): void {
  program
    .command('encode')
    .argument('<run>', 'run folder')
    .argument('<inputs...>', 'PNG files or SPLIT:INDEX of the run\'s dataset (e.g. validation:0)')
    .description('encode images: mu and sigma = exp(logvar/2) of q(z|x) per image')
    .option('--format <f>', 'csv | json', choiceOption('--format', ['csv', 'json'] as const), 'csv')
    .option('--out <file>', 'write to a file instead of stdout')
    .option('--backend <name>', 'native | wasm | cpu (native: our C engine where built and the model fits, else wasm)', 'native')
    .action(action(async (dir: string, refs: string[], o: EncodeOptions) => {
      if (o.out) checkOutputFile(o.out, [`.${o.format}`]);
      await startBackend(o.backend, true);
      const { run, model } = await openInferenceRun(dir);
      try {
        const { names, images } = await resolveInputs(run, refs);
        const { mu, logvar } = await model.encode(images, names.length);
        const d = model.latent;
        const rows = names.map((name, i) => ({
          input: name,
          mu: Array.from(mu.subarray(i * d, (i + 1) * d)),
          sigma: Array.from(logvar.subarray(i * d, (i + 1) * d), (lv) => Math.exp(lv / 2)),
        }));
        let text: string;
        if (o.format === 'json') text = JSON.stringify(rows, null, 2) + '\n';
        else {
          const header = ['input', ...Array.from({ length: d }, (_, j) => `mu${j}`), ...Array.from({ length: d }, (_, j) => `sigma${j}`)];
          const csvCell = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
          text = [header.join(','), ...rows.map((r) => [csvCell(r.input), ...r.mu, ...r.sigma].join(','))].join('\n') + '\n';
        }
        if (o.out) writeFileAtomic(o.out, text);
        else process.stdout.write(text);
      } finally {
        await model.dispose();
      }
    }));
}
