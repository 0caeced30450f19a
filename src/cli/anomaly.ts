/**
 * `vae anomaly RUN`: ranks inputs by how unlikely the model finds them (−log p(x), IWAE-K estimate,
 * or −ELBO), writes a report (JSON or CSV) and a PNG of the most and least typical inputs, and with
 * known labels the AUROC of one class as the anomaly.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { anomalyScores, rankByScore } from '../analysis/anomaly.js';
import { auroc } from '../analysis/auroc.js';
import { OOD_SCORES, complexityScore, likelihoodRatioScore, type OodScoreKind } from '../analysis/ood.js';
import { COMPRESSORS, compressedBits, type Compressor } from '../data/compressedLength.js';
import { loadRunModel } from '../train/run.js';
import { chooseEvaluator } from '../train/evaluate.js';
import { writeFileAtomic, writeJsonAtomic } from '../train/files.js';
import { action, checkOutputFile, choiceOption, defaultOut, intOption, printJson, startBackend, writeGridPng } from './common.js';
import { progressBar } from './progress.js';
import { loadImagesFor, type SplitImages, type SplitName } from './splitImages.js';

interface AnomalyOptions {
  data?: string;
  dataPath?: string;
  split?: SplitName;
  limit?: number;
  samples: number;
  score: OodScoreKind;
  compressor: Compressor;
  background?: string;
  ood?: string;
  /** A label number, or a class name (image folders with class sub-folders, CSV label columns). */
  anomalyLabel?: number | string;
  seed: number;
  batchSize: number;
  top: number;
  out?: string;
  png?: string;
  json?: boolean;
  backend?: string;
}

export function registerAnomaly(program: Command): void {
  program
    .command('anomaly')
    .argument('<run>', 'run folder')
    .description(
      'score inputs for anomaly detection: rank them by -log p(x) (importance-sampled estimate, IWAE-K) or by -ELBO; ' +
        'higher = less typical. Writes a report (index, label, file, both scores, rank) and a PNG: top row the most ' +
        'anomalous inputs, bottom row the most typical. With labels, --anomaly-label D prints the AUROC of class D as the anomaly',
    )
    .option('--data <spec>', 'inputs: the run\'s dataset (default), mnist | fashion-mnist | faces, a folder of images (class sub-folders give labels), or for a CSV run a CSV file (its rows, standardised as in training)')
    .option('--data-path <path>', 'the same as --data with a folder or CSV file')
    .option('--split <name>', 'split of a dataset: test (default) | validation | train', choiceOption('--split', ['test', 'validation', 'train'] as const))
    .option('--limit <n>', 'score only the first N inputs', intOption('--limit'))
    .option('--samples <K>', 'importance samples per input (both scores come from the same K samples)', intOption('--samples'), 100)
    .option('--score <kind>', 'ranking score: iwae (-log p(x) estimate) | elbo (-ELBO, mean over the K samples) | complexity (Serrà et al. 2020: -log2 p(x) minus the input\'s compressed size in bits, see --compressor) | ' +
      'likelihood-ratio (Ren et al. 2019: -log p(x) minus the --background model\'s -log p(x))', choiceOption('--score', OOD_SCORES), 'iwae')
    .option('--compressor <name>', 'lossless compressor giving L(x) for --score complexity (and the complexity AUROC): webp (lossless WebP; ' +
      'the default: 42-46% shorter codes than PNG on MNIST/Fashion-MNIST and higher complexity AUROCs on both dataset pairs and the leave-one-digit-out mean of ' +
      'the README\'s out-of-distribution tables) | png (zlib, level 9; the earlier default)',
    choiceOption('--compressor', COMPRESSORS), 'webp')
    .option('--background <run>', 'background model for --score likelihood-ratio: a run of the same data trained with --perturb (e.g. replace:0.2)')
    .option('--ood <spec>', 'out-of-distribution inputs scored after --data\'s: mnist | fashion-mnist | faces (its --split) or an image folder; prints the AUROC of every score with these as the positives')
    .option('--anomaly-label <d>', 'class whose inputs are the anomalies (a label number, or a class name such as a sub-folder name): prints the AUROC of every score',
      (v: string) => (/^\d+$/.test(v) ? Number(v) : v))
    .option('--seed <n>', 'seed of the importance samples', intOption('--seed', 0), 0)
    .option('--batch-size <n>', 'inputs encoded at once', intOption('--batch-size'), 100)
    .option('--top <n>', 'inputs per row of the PNG', intOption('--top', 1, 100), 10)
    .option('--out <file>', 'report: .json or .csv (default RUN/anomaly.json)')
    .option('--png <file>', 'picture of the most and least typical inputs (default: the report path with .png)')
    .option('--json', 'also print the summary as JSON on stdout')
    .option('--backend <name>', 'native | wasm | cpu (native: our C engine where built and the model fits, else wasm, said so)', 'native')
    .action(action(async (dir: string, o: AnomalyOptions) => {
      const backend = await startBackend(o.backend, true);
      const out = defaultOut(dir, 'anomaly.json', o.out, ['.json', '.csv']);
      const ext = path.extname(out).toLowerCase();
      if (ext !== '.json' && ext !== '.csv') throw new UserError(`--out ${out}: must end in .json or .csv`);
      const pngOut = o.png ?? out.slice(0, -ext.length) + '.png';
      checkOutputFile(pngOut, ['.png'], o.png ? '--png' : 'the picture next to --out');
      if (o.data !== undefined && o.dataPath !== undefined) throw new UserError('give --data or --data-path, not both');
      if (o.score === 'likelihood-ratio' && !o.background) throw new UserError('--score likelihood-ratio needs --background RUN (a run trained with --perturb, e.g. replace:0.2)');
      if (o.ood !== undefined && o.anomalyLabel !== undefined) throw new UserError('--ood and --anomaly-label are two ways to name the anomalies: give one');
      const { run, vae } = await loadRunModel(dir);
      let background: Awaited<ReturnType<typeof loadRunModel>> | undefined;
      try {
        const tabular = run.dataset.name === 'csv';
        if (tabular && (o.score === 'complexity' || o.ood !== undefined)) throw new UserError(`--score complexity and --ood score images; ${dir} is a CSV run`);
        if (o.background) {
          background = await loadRunModel(o.background);
          const [a, b] = [run.model, background.run.model];
          if (a.height !== b.height || a.width !== b.width || a.channels !== b.channels) {
            throw new UserError(`--background ${o.background}: its model takes ${b.channels}×${b.height}×${b.width} images, the run's ${a.channels}×${a.height}×${a.width}`);
          }
          if (background.run.training.binarize !== run.training.binarize) {
            throw new UserError(`--background ${o.background}: binarises '${background.run.training.binarize}', the run '${run.training.binarize}' (the two must model the same kind of data)`);
          }
        }
        const inSet = await loadImagesFor(run, { data: o.data ?? o.dataPath, split: o.split, limit: o.limit });
        const oodSet = o.ood !== undefined ? await loadImagesFor(run, { data: o.ood, split: o.split, limit: o.limit }) : undefined;
        const set = oodSet ? concatSets(inSet, oodSet) : inSet;
        const labelShown = o.anomalyLabel === undefined ? '' : String(o.anomalyLabel);
        if (typeof o.anomalyLabel === 'string') {
          const name = o.anomalyLabel;
          const index = set.classNames?.indexOf(name) ?? -1;
          if (index < 0) throw new UserError(`--anomaly-label ${name}: not a class of ${set.source}${set.classNames ? ` (classes: ${set.classNames.join(', ')})` : ' (it has no class names: give a label number)'}`);
          o.anomalyLabel = index;
        }
        if (o.anomalyLabel !== undefined) {
          if (!set.labels) throw new UserError(`--anomaly-label needs labelled inputs; ${set.source} has no labels`);
          if (!set.labels.includes(o.anomalyLabel)) throw new UserError(`--anomaly-label ${labelShown}: no input of ${set.source} has that label`);
          if (set.labels.every((l) => l === o.anomalyLabel)) throw new UserError(`--anomaly-label ${labelShown}: every input has that label, so there is nothing to compare`);
        }
        const t0 = Date.now();
        const models = background ? 2 : 1;
        const bar = o.json ? null : progressBar(`scoring ${set.count} inputs, K=${o.samples}${background ? ', model and background' : ''}`, models * set.count * o.samples);
        const evaluator = chooseEvaluator(vae);
        process.stderr.write(`engine: ${evaluator.label}\n`);
        const s = await anomalyScores(vae, set.images, set.count, {
          samples: o.samples, seed: o.seed, batchSize: o.batchSize, onProgress: (done) => bar?.update(done), estimate: (e) => evaluator.logPx(e),
        });
        let likelihoodRatio: Float32Array | undefined;
        if (background) {
          const bgEvaluator = chooseEvaluator(background.vae);
          const bg = await anomalyScores(background.vae, set.images, set.count, {
            samples: o.samples, seed: o.seed, batchSize: o.batchSize, onProgress: (done) => bar?.update(set.count * o.samples + done),
            estimate: (e) => bgEvaluator.logPx(e),
          });
          likelihoodRatio = likelihoodRatioScore(s.negLogPx, bg.negLogPx);
        }
        bar?.stop();
        // L(x): the compressed size of each input as the model sees it (binarised if the run binarises)
        let complexity: Float32Array | undefined;
        if (o.score === 'complexity' || oodSet || o.anomalyLabel !== undefined) {
          complexity = complexityScore(s.negLogPx, await compressedBits(o.compressor, set.images, set.count, vae.imageShape));
        }
        const byKind: Record<OodScoreKind, Float32Array | undefined> = { iwae: s.negLogPx, elbo: s.negElbo, complexity, 'likelihood-ratio': likelihoodRatio };
        const scores = byKind[o.score]!;
        const order = rankByScore(scores);
        const rank = new Int32Array(set.count);
        order.forEach((i, r) => (rank[i] = r + 1));
        const items = order.map((i) => ({
          index: i, rank: rank[i], ...(set.rows && { row: set.rows[i] }),
          ...(set.labels && { label: set.labels[i] }),
          ...(set.files && { file: set.files[i] }),
          ...(oodSet && { ood: i >= inSet.count }),
          negLogPx: s.negLogPx[i], negElbo: s.negElbo[i],
          ...(complexity && { complexity: complexity[i] }),
          ...(likelihoodRatio && { likelihoodRatio: likelihoodRatio[i] }),
        }));

        const summary: Record<string, unknown> = {
          run: dir, data: set.source, inputs: set.count, samples: o.samples, score: o.score, backend, engine: evaluator.name,
          ...(background && { background: o.background }), ...(complexity && { compressor: o.compressor }),
          meanNegLogPx: mean(s.negLogPx), meanNegElbo: mean(s.negElbo), seconds: (Date.now() - t0) / 1000,
        };
        let positive: boolean[] | undefined;
        if (o.anomalyLabel !== undefined && set.labels) {
          positive = Array.from(set.labels, (l) => l === o.anomalyLabel);
          summary.anomalyLabel = o.anomalyLabel;
        } else if (oodSet) {
          positive = Array.from({ length: set.count }, (_, i) => i >= inSet.count);
          summary.inDistribution = inSet.source;
          summary.outOfDistribution = oodSet.source;
        }
        if (positive) {
          summary.anomalies = positive.filter(Boolean).length;
          summary.aurocIwae = auroc(s.negLogPx, positive);
          summary.aurocElbo = auroc(s.negElbo, positive);
          if (complexity) summary.aurocComplexity = auroc(complexity, positive);
          if (likelihoodRatio) summary.aurocLikelihoodRatio = auroc(likelihoodRatio, positive);
        }

        if (ext === '.csv') {
          const cell = (v: unknown): string => (v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
          const className = (l: number | undefined): string | undefined => (l === undefined ? undefined : set.classNames?.[l] ?? String(l));
          const extra = [...(oodSet ? ['ood'] : []), ...(complexity ? ['complexity_bits'] : []), ...(likelihoodRatio ? ['neg_log_likelihood_ratio'] : [])];
          const lines = tabular
            ? [['rank,row,label,class,neg_log_px,neg_elbo', ...extra].join(','), ...items.map((r) =>
              [r.rank, r.row, r.label, className(r.label), r.negLogPx, r.negElbo, ...(likelihoodRatio ? [r.likelihoodRatio] : [])].map(cell).join(','))]
            : [['rank,index,label,file,neg_log_px,neg_elbo', ...extra].join(','), ...items.map((r) =>
              [r.rank, r.index, r.label, r.file, r.negLogPx, r.negElbo, ...(oodSet ? [r.ood] : []), ...(complexity ? [r.complexity] : []), ...(likelihoodRatio ? [r.likelihoodRatio] : [])].map(cell).join(','))];
          writeFileAtomic(out, lines.join('\n') + '\n');
        } else {
          writeJsonAtomic(out, { ...summary, items });
        }
        // PNG: most anomalous row over most typical row (not for tabular runs: a row is not a picture)
        const n = Math.min(o.top, set.count);
        if (!tabular) {
          const size = vae.imageShape.reduce((a, b) => a * b, 1);
          const grid = new Float32Array(2 * n * size);
          for (let j = 0; j < n; j++) {
            grid.set(set.images.subarray(order[j] * size, (order[j] + 1) * size), j * size);
            const typical = order[set.count - 1 - j];
            grid.set(set.images.subarray(typical * size, (typical + 1) * size), (n + j) * size);
          }
          writeGridPng(pngOut, grid, 2 * n, vae.imageShape, { cols: n });
        }

        if (o.json) {
          printJson({ ...summary, report: out, ...(!tabular && { png: pngOut }) });
          return;
        }
        const f = (v: number): string => v.toFixed(2);
        const scoreName: Record<OodScoreKind, string> = { iwae: '-log p(x)', elbo: '-ELBO', complexity: `complexity (-log2 p(x) - ${o.compressor === 'webp' ? 'WebP' : 'PNG'} bits)`, 'likelihood-ratio': 'likelihood ratio (-log p(x) + log p_background(x))' };
        const lines = [
          `scored ${set.count} inputs of ${set.source} with K=${o.samples} importance samples in ${(summary.seconds as number).toFixed(1)} s (backend ${backend})`,
          `  mean -log p(x) ≈ ${f(summary.meanNegLogPx as number)} nats, mean -ELBO ${f(summary.meanNegElbo as number)} nats; ranked by ${scoreName[o.score]}`,
          `  most anomalous: ${items.slice(0, 5).map((r) => describe(r, scores[r.index])).join('; ')}`,
          `  most typical:   ${items.slice(-5).reverse().map((r) => describe(r, scores[r.index])).join('; ')}`,
        ];
        if (summary.aurocIwae !== undefined) {
          const what = oodSet ? `${oodSet.source} (out) vs ${inSet.source} (in)` : `label ${o.anomalyLabel} as the anomaly`;
          const more = [complexity ? `${(summary.aurocComplexity as number).toFixed(4)} by complexity (${o.compressor})` : '', likelihoodRatio ? `${(summary.aurocLikelihoodRatio as number).toFixed(4)} by likelihood ratio` : ''].filter(Boolean);
          lines.push(`  AUROC of ${what} (${summary.anomalies as number} of ${set.count}): ` +
            `${(summary.aurocIwae as number).toFixed(4)} by -log p(x), ${(summary.aurocElbo as number).toFixed(4)} by -ELBO${more.length ? ', ' + more.join(', ') : ''}`);
        }
        lines.push(tabular ? `wrote ${out} (one line per row, most anomalous first)`
          : `wrote ${out} and ${pngOut} (top row: the ${n} most anomalous, bottom row: the ${n} most typical)`);
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        vae.dispose();
        background?.vae.dispose();
      }
    }));
}

/** In-distribution inputs followed by out-of-distribution ones (labels and files only if both have them). */
function concatSets(a: SplitImages, b: SplitImages): SplitImages {
  const images = new Float32Array(a.images.length + b.images.length);
  images.set(a.images, 0);
  images.set(b.images, a.images.length);
  return {
    source: `${a.source} + ${b.source}`, count: a.count + b.count, images,
    ...(a.labels && b.labels && { labels: Uint8Array.from([...a.labels, ...b.labels]) }),
    ...(a.files && b.files && { files: [...a.files, ...b.files] }),
  };
}

function mean(a: Float32Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s / a.length;
}

/** An input and its ranking score, e.g. `#12 (label 3) 180.4` or `row 7 (label 0) 12.3`. */
function describe(r: { index: number; row?: number; label?: number; file?: string; ood?: boolean }, score: number): string {
  const name = r.file ?? `${r.row !== undefined ? `row ${r.row}` : `#${r.index}`}${r.label !== undefined ? ` (label ${r.label}${r.ood ? ', out' : ''})` : ''}`;
  return `${name} ${score.toFixed(1)}`;
}
