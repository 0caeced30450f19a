/**
 * `vae start` (what `npm start` runs): trains the default faces model if no finished run exists
 * (resuming an unfinished one), writes its samples and loss curves and says where they are, then
 * serves the explorer on 127.0.0.1 (unless --no-serve).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { readRun, runFile } from '../train/run.js';
import { DEFAULT_PORT } from '../server/server.js';
import { findRuns } from '../server/runs.js';
import { action, intOption, startBackend } from './common.js';
import { serveUntilStopped } from './serve.js';
import { runTraining } from './train.js';
import { writeRunPictures } from './pictures.js';
import { vaeCommand } from '../command.js';

interface StartOptions { out: string; epochs: number; seed: number; backend?: string; serve: boolean; port: number }

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('train the default faces model if needed (a few minutes, with progress), then write its pictures')
    .option('--out <dir>', 'run folder', path.join('runs', 'faces'))
    .option('--epochs <n>', 'epochs for the default model', intOption('--epochs'), 30)
    .option('--seed <n>', 'seed', intOption('--seed', 0), 0)
    .option('--backend <name>', 'native | wasm | cpu (native: wasm plus our C training step, where built; else wasm with a note)', 'native')
    .option('--no-serve', 'stop after training instead of serving the explorer')
    .option('--port <n>', 'explorer port (0 picks a free one)', intOption('--port', 0, 65535), DEFAULT_PORT)
    .action(action(async (o: StartOptions) => {
      const exists = fs.existsSync(runFile(o.out));
      const run = exists ? readRun(o.out) : null;
      if (run && run.status === 'done' && run.epochsDone >= o.epochs) {
        await startBackend(o.backend);
        process.stderr.write(`found a trained model in ${o.out} (${run.epochsDone} epochs); delete the folder to train again\n`);
        await writeRunPictures(o.out);
      } else {
        await runTraining({
          dataset: 'faces', model: 'conv', sigma2: 1, seed: o.seed, epochs: o.epochs, out: o.out, backend: o.backend,
          // an unfinished run continues where it stopped (an interrupted epoch included, or from scratch if nothing was saved)
          ...(run ? { resume: true } : {}),
        });
      }
      const final = readRun(o.out);
      const last = final.history[final.history.length - 1];
      process.stdout.write(
        [
          `trained model: ${path.join(o.out, 'encoder')} and ${path.join(o.out, 'decoder')} (tfjs layers format; best epoch ${final.bestEpoch})`,
          last ? `validation -ELBO after epoch ${last.epoch}: ${last.validation.loss.toFixed(1)} nats (first epoch: ${final.history[0].validation.loss.toFixed(1)})` : '',
          `samples:      ${path.join(o.out, 'samples.png')}`,
          `loss curves:  ${path.join(o.out, 'curves.svg')} and ${path.join(o.out, 'curves.png')}`,
          `more: ${vaeCommand(`sample ${o.out} --n 64`)} ; ${vaeCommand(`reconstruct ${o.out}`)} ; ${vaeCommand(`decode ${o.out} --z "0,0;1,1"`)}`,
        ].filter(Boolean).join('\n') + '\n',
      );
      if (o.serve) {
        // the default run first, then any other runs next to it
        const others = findRuns(path.dirname(o.out)).filter((d) => path.resolve(d) !== path.resolve(o.out));
        await serveUntilStopped([o.out, ...others], { port: o.port, host: '127.0.0.1' });
      }
    }));
}
