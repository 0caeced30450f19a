/**
 * `vae eval RUN`: −ELBO, reconstruction, KL, the number of active latent units, and with
 * --samples K the IWAE-K estimate of −log p(x).
 */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { loadDataset } from '../data/load.js';
import { activeUnits } from '../analysis/activeUnits.js';
import { Rng } from '../math/rng.js';
import { evalSeed, prepareEvalImages } from '../train/trainer.js';
import { chooseEvaluator } from '../train/evaluate.js';
import { loadRunModel } from '../train/run.js';
import { action, choiceOption, intOption, printJson, startBackend } from './common.js';
import { progressBar } from './progress.js';

interface EvalOptions {
  split?: 'test' | 'validation' | 'train';
  samples: number;
  limit?: number;
  batchSize: number;
  seed: number;
  json?: boolean;
  backend?: string;
  weights: 'best' | 'last';
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .argument('<run>', 'run folder')
    .description('evaluate a trained run on its test split: -ELBO, reconstruction, KL, active latent units ' +
      '(variance over the inputs of the encoder mean > 0.01, Burda et al. 2015), and with --samples K the importance-sampled ' +
      'estimate of -log p(x) (IWAE-K; e.g. K=5000 as in Burda et al.), batched with bounded memory and a progress bar')
    .option('--split <name>', 'test | validation | train (default: test if the dataset has one)', choiceOption('--split', ['test', 'validation', 'train'] as const))
    .option('--samples <K>', 'importance samples per example for IWAE-K / log p(x) (0: ELBO only)', intOption('--samples', 0), 0)
    .option('--limit <n>', 'evaluate only the first N examples of the split (K=5000 costs 5000 decoder passes per example)', intOption('--limit'))
    .option('--batch-size <n>', 'examples encoded at once', intOption('--batch-size'), 100)
    .option('--seed <n>', 'seed of the importance samples', intOption('--seed', 0), 0)
    .option('--weights <which>', 'best (the best-validation epoch\'s model) | last (the last saved state, where training stopped: for papers that train a fixed number of epochs without early stopping)', choiceOption('--weights', ['best', 'last'] as const), 'best')
    .option('--json', 'print the results as JSON on stdout')
    .option('--backend <name>', 'native | wasm | cpu (native: our C engine where built and the model fits, else wasm, said so)', 'native')
    .action(action(async (dir: string, o: EvalOptions) => {
      const backend = await startBackend(o.backend, true);
      const { run, vae } = await loadRunModel(dir, o.weights);
      try {
        const t0 = Date.now();
        // with --limit on the test split, only those test images are loaded (the spec's testLimit)
        const data = await loadDataset((o.split ?? 'test') === 'test' && o.limit !== undefined ? { ...run.dataset, testLimit: o.limit } : run.dataset);
        const splitName = o.split ?? (data.test ? 'test' : 'validation');
        const set = splitName === 'test' ? data.test : splitName === 'train' ? data.train : data.validation;
        if (!set) throw new UserError(`dataset ${data.name} has no ${splitName} split (use --split validation)`);
        const count = Math.min(o.limit ?? set.count, set.count);
        const size = data.height * data.width * data.channels;
        const images = prepareEvalImages(set, run.training.binarize, run.training.seed).subarray(0, count * size);
        const evaluator = chooseEvaluator(vae);
        process.stderr.write(`engine: ${evaluator.label}\n`);
        const terms = evaluator.elbo(images, count, evalSeed(run.training.seed));
        const au = activeUnits(evaluator.encode(images, count).mu, count, vae.config.latent);
        const result: Record<string, unknown> = {
          run: dir, split: splitName, examples: count, backend, engine: evaluator.name,
          negElbo: terms.loss, reconstruction: terms.reconstruction, kl: terms.kl,
          latent: vae.config.latent, activeUnits: au.active.length, activeDims: au.active,
          unitVariances: Array.from(au.variances), activeThreshold: au.threshold,
          epochs: run.epochsDone, bestEpoch: run.bestEpoch, weights: o.weights,
        };
        if (o.samples > 0) {
          const bar = o.json ? null : progressBar(`log p(x), K=${o.samples}`, count * o.samples);
          const est = await evaluator.logPx({
            x: images, samples: o.samples, rng: new Rng(o.seed), batchSize: o.batchSize, onProgress: (done) => bar?.update(done),
          });
          bar?.stop();
          const mean = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length;
          result.samples = o.samples;
          result.negLogPx = -mean(est.logPx);
          result.negElboK = -mean(est.elbo);
        }
        result.seconds = (Date.now() - t0) / 1000;
        if (o.json) {
          printJson(result);
          return;
        }
        const f = (v: unknown): string => (typeof v === 'number' ? v.toFixed(2) : String(v));
        const lines = [
          `run ${dir} (${run.epochsDone} epochs, best ${run.bestEpoch}; ${o.weights === 'last' ? 'last state' : 'best model'}), ${splitName} split, ${count} examples, engine ${evaluator.name}, ${result.seconds} s`,
          `  -ELBO            ${f(result.negElbo)} nats  (single sample, ${vae.logPz ? 'Monte-Carlo KL: mixture prior' : 'analytic KL'})`,
          `  reconstruction   ${f(result.reconstruction)} nats  (-E log p(x|z))`,
          `  KL               ${f(result.kl)} nats`,
          `  active units     ${au.active.length} of ${vae.config.latent}  (Var_x E_q[z_u|x] > ${au.threshold}: dims ${au.active.join(',') || 'none'})`,
        ];
        if (o.samples > 0) {
          lines.push(`  -ELBO (K=${o.samples})   ${f(result.negElboK)} nats  (mean over the K samples)`);
          lines.push(`  -log p(x) ≈       ${f(result.negLogPx)} nats  (IWAE, K=${o.samples}; tighter than the ELBO)`);
        }
        if (vae.config.likelihood.kind === 'gaussian') lines.push('  (Gaussian likelihood: values include the constant ½·d·log 2π)');
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        vae.dispose();
      }
    }));
}
