/**
 * `vae train --seeds N` (seeds 0 … N−1) or `--seeds 3,5,8`: the same training once per seed, one
 * after the other, each into its own run folder: OUT-s<seed> with --out OUT, else the default
 * runs/<dataset>-<model>-s<seed>. The explorer's model comparison shows such runs side by side.
 */
import * as fs from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { UserError } from '../errors.js';
import { runFile, type RunJson } from '../train/run.js';
import { planTraining, runTraining, type TrainCliOptions } from './train.js';

export const MAX_SEEDS = 1000;

/** Parses --seeds: one number N means the seeds 0 … N−1; a comma-separated list names the seeds. */
export function parseSeeds(v: string): number[] {
  const s = v.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > MAX_SEEDS) throw new InvalidArgumentError(`--seeds N must be a count in [1, ${MAX_SEEDS}] (got '${v}')`);
    return Array.from({ length: n }, (_, i) => i);
  }
  const parts = s.split(',').map((p) => p.trim());
  if (parts.length < 2 || parts.some((p) => !/^\d+$/.test(p) || !Number.isSafeInteger(Number(p)))) {
    throw new InvalidArgumentError(`--seeds must be a count such as 9 or a list of seeds such as 3,5,8 (got '${v}')`);
  }
  const seeds = parts.map(Number);
  if (new Set(seeds).size !== seeds.length) throw new InvalidArgumentError(`--seeds lists a seed twice (got '${v}')`);
  return seeds;
}

/** The run folder of one seed. */
export function seedDir(out: string, seed: number): string {
  return `${out}-s${seed}`;
}

/** Trains one run per seed, sequentially; prints one summary line per run at the end (stdout). */
export async function trainSeeds(o: TrainCliOptions, seeds: number[], seedGiven: boolean): Promise<RunJson[]> {
  if (seedGiven) throw new UserError('--seeds and --seed exclude each other (--seeds sets the seed of every run)');
  if (o.resume !== undefined && o.resume !== false) throw new UserError('--seeds cannot be combined with --resume (resume each run folder on its own)');
  // every folder is checked before the first run starts: no failure after hours of training
  const dirs: string[] = [];
  for (const seed of seeds) {
    const dir = o.out !== undefined ? seedDir(o.out, seed) : (await planTraining({ ...o, seed })).dir;
    if (fs.existsSync(runFile(dir))) throw new UserError(`${dir} already holds a run (seed ${seed}); choose another --out or remove it`);
    dirs.push(dir);
  }
  const runs: RunJson[] = [];
  for (let i = 0; i < seeds.length; i++) {
    if (!o.quiet) process.stderr.write(`\n[${i + 1}/${seeds.length}] seed ${seeds[i]} -> ${dirs[i]}\n`);
    const r = await runTraining({ ...o, seed: seeds[i], out: dirs[i] });
    runs.push(r);
    // an interrupted or diverged run ends the series (the later seeds are not started)
    if (r.status !== 'done') {
      process.stderr.write(`run ${dirs[i]} ended with status '${r.status}': seeds after ${seeds[i]} not trained\n`);
      break;
    }
  }
  const lines = runs.map((r, i) => {
    const best = r.history.find((h) => h.epoch === r.bestEpoch);
    return `seed ${seeds[i]}: ${dirs[i]}  ${r.epochsDone} epochs, best epoch ${r.bestEpoch ?? '-'}` +
      `${best ? `  validation -ELBO ${best.validation.loss.toFixed(2)} (train ${best.train.loss.toFixed(2)})` : ''}`;
  });
  process.stdout.write(lines.join('\n') + `\ncompare them in the explorer: vae serve ${dirs.join(' ')}\n`);
  return runs;
}
