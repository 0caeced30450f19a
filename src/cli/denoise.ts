/** `vae denoise RUN [INPUTS…]`: clean / noisy / denoised rows in a PNG, and PSNR of noisy vs denoised. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { UserError } from '../errors.js';
import { denoiseImages } from '../analysis/denoise.js';
import { formatCorruption, parseCorruption, type Corruption } from '../math/corrupt.js';
import { loadRunModel } from '../train/run.js';
import { action, checkOutputFile, choiceOption, defaultOut, intOption, printJson, startBackend, writeGridPng } from './common.js';
import { resolveInputs } from './inputs.js';

interface DenoiseOptions {
  noise?: Corruption;
  n: number;
  split: 'train' | 'validation' | 'test';
  seed: number;
  out?: string;
  json?: boolean;
  backend?: string;
}

const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
/** JSON has no Infinity: identical images (PSNR +∞) become null. */
const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function registerDenoise(program: Command): void {
  program
    .command('denoise')
    .argument('<run>', 'run folder')
    .argument('[inputs...]', 'PNG files or SPLIT:INDEX (default: the first --n images of --split)')
    .description('corrupt inputs with seeded noise, denoise them (decode the encoder means), write clean / noisy / denoised rows as a PNG and print the PSNR')
    .option('--noise <noise>', "gaussian:SIGMA (added, clipped to [0,1]) or mask:P (pixels zeroed with probability P); default: the run's --corrupt", (v: string) => {
      try {
        return parseCorruption(v);
      } catch (e) {
        throw new InvalidArgumentError((e as Error).message);
      }
    })
    .option('--n <n>', 'number of images when no inputs are given', intOption('--n', 1, 1000), 16)
    .option('--split <name>', 'train | validation | test', choiceOption('--split', ['train', 'validation', 'test'] as const), 'test')
    .option('--seed <n>', 'seed of the noise', intOption('--seed', 0), 0)
    .option('--out <file.png>', 'output PNG (default RUN/denoise-<noise>.png)')
    .option('--json', 'print the PSNR figures as JSON on stdout')
    .option('--backend <name>', 'wasm | cpu', 'wasm')
    .action(action(async (dir: string, refs: string[], o: DenoiseOptions) => {
      if (o.out) checkOutputFile(o.out, ['.png']);
      await startBackend(o.backend, true);
      const { run, vae } = await loadRunModel(dir);
      try {
        const noise = o.noise ?? run.training.corrupt;
        if (!noise) throw new UserError(`${dir} was not trained with --corrupt; pass --noise gaussian:SIGMA or mask:P`);
        const list = refs.length > 0 ? refs : Array.from({ length: o.n }, (_, i) => `${o.split}:${i}`);
        const { images } = await resolveInputs(run, list);
        const n = list.length;
        const r = denoiseImages(vae, images, n, noise, o.seed);
        const rows = new Float32Array(3 * images.length);
        rows.set(images, 0);
        rows.set(r.noisy, images.length);
        rows.set(r.denoised, 2 * images.length);
        const name = formatCorruption(noise).replace(':', '-');
        const out = defaultOut(dir, `denoise-${name}.png`, o.out);
        writeGridPng(out, rows, 3 * n, vae.imageShape, { cols: n });
        const result = {
          run: dir, image: out, noise: formatCorruption(noise), seed: o.seed, images: n,
          trainedWith: run.training.corrupt ? formatCorruption(run.training.corrupt) : null,
          psnrNoisy: finite(mean(r.psnrNoisy)), psnrDenoised: finite(mean(r.psnrDenoised)),
          perImage: list.map((ref, i) => ({ input: ref, psnrNoisy: finite(r.psnrNoisy[i]), psnrDenoised: finite(r.psnrDenoised[i]) })),
        };
        if (o.json) {
          printJson(result);
          return;
        }
        const f = (v: number | null): string => (v === null ? 'inf' : v.toFixed(2));
        process.stdout.write(
          `wrote ${out} (rows: clean, noisy ${result.noise}, denoised; ${n} images)\n` +
            `  PSNR noisy    ${f(result.psnrNoisy)} dB  (mean over images, against the clean image)\n` +
            `  PSNR denoised ${f(result.psnrDenoised)} dB\n`,
        );
      } finally {
        vae.dispose();
      }
    }));
}
