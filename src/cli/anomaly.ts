/**
 * `vae anomaly RUN`: ranks inputs by how unlikely the model finds them (−log p(x), IWAE-K estimate,
 * or −ELBO), writes a report (JSON or CSV) and a PNG of the most and least typical inputs, and with
 * known labels the AUROC of one class as the anomaly.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { anomalyScores, rankByScore, type AnomalyScoreKind } from '../analysis/anomaly.js';
import { auroc } from '../analysis/auroc.js';
import { loadRunModel } from '../train/run.js';
import { chooseEvaluator } from '../train/evaluate.js';
import { writeFileAtomic, writeJsonAtomic } from '../train/files.js';
import { action, checkOutputFile, choiceOption, defaultOut, intOption, printJson, startBackend, writeGridPng } from './common.js';
import { progressBar } from './progress.js';
import { loadImagesFor, type SplitName } from './splitImages.js';

interface AnomalyOptions {
  data?: string;
  dataPath?: string;
  split?: SplitName;
  limit?: number;
  samples: number;
  score: AnomalyScoreKind;
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
    .option('--score <kind>', 'ranking score: iwae (-log p(x) estimate) | elbo (-ELBO, mean over the K samples)', choiceOption('--score', ['iwae', 'elbo'] as const), 'iwae')
    .option('--anomaly-label <d>', 'class whose inputs are the anomalies (a label number, or a class name such as a sub-folder name): prints the AUROC of both scores',
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
      const { run, vae } = await loadRunModel(dir);
      try {
        const set = await loadImagesFor(run, { data: o.data ?? o.dataPath, split: o.split, limit: o.limit });
        const tabular = run.dataset.name === 'csv';
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
        const bar = o.json ? null : progressBar(`scoring ${set.count} inputs, K=${o.samples}`, set.count * o.samples);
        const evaluator = chooseEvaluator(vae);
        process.stderr.write(`engine: ${evaluator.label}\n`);
        const s = await anomalyScores(vae, set.images, set.count, {
          samples: o.samples, seed: o.seed, batchSize: o.batchSize, onProgress: (done) => bar?.update(done), estimate: (e) => evaluator.logPx(e),
        });
        bar?.stop();
        const scores = o.score === 'iwae' ? s.negLogPx : s.negElbo;
        const order = rankByScore(scores);
        const rank = new Int32Array(set.count);
        order.forEach((i, r) => (rank[i] = r + 1));
        const items = order.map((i) => ({
          index: i, rank: rank[i], ...(set.rows && { row: set.rows[i] }),
          ...(set.labels && { label: set.labels[i] }),
          ...(set.files && { file: set.files[i] }),
          negLogPx: s.negLogPx[i], negElbo: s.negElbo[i],
        }));

        const summary: Record<string, unknown> = {
          run: dir, data: set.source, inputs: set.count, samples: o.samples, score: o.score, backend, engine: evaluator.name,
          meanNegLogPx: mean(s.negLogPx), meanNegElbo: mean(s.negElbo), seconds: (Date.now() - t0) / 1000,
        };
        if (o.anomalyLabel !== undefined && set.labels) {
          const positive = Array.from(set.labels, (l) => l === o.anomalyLabel);
          summary.anomalyLabel = o.anomalyLabel;
          summary.anomalies = positive.filter(Boolean).length;
          summary.aurocIwae = auroc(s.negLogPx, positive);
          summary.aurocElbo = auroc(s.negElbo, positive);
        }

        if (ext === '.csv') {
          const cell = (v: unknown): string => (v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
          const className = (l: number | undefined): string | undefined => (l === undefined ? undefined : set.classNames?.[l] ?? String(l));
          const lines = tabular
            ? ['rank,row,label,class,neg_log_px,neg_elbo', ...items.map((r) =>
              [r.rank, r.row, r.label, className(r.label), r.negLogPx, r.negElbo].map(cell).join(','))]
            : ['rank,index,label,file,neg_log_px,neg_elbo', ...items.map((r) =>
              [r.rank, r.index, r.label, r.file, r.negLogPx, r.negElbo].map(cell).join(','))];
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
        const lines = [
          `scored ${set.count} inputs of ${set.source} with K=${o.samples} importance samples in ${(summary.seconds as number).toFixed(1)} s (backend ${backend})`,
          `  mean -log p(x) ≈ ${f(summary.meanNegLogPx as number)} nats, mean -ELBO ${f(summary.meanNegElbo as number)} nats; ranked by ${o.score === 'iwae' ? '-log p(x)' : '-ELBO'}`,
          `  most anomalous: ${items.slice(0, 5).map(describe).join('; ')}`,
          `  most typical:   ${items.slice(-5).reverse().map(describe).join('; ')}`,
        ];
        if (summary.aurocIwae !== undefined) {
          lines.push(`  AUROC of label ${o.anomalyLabel} as the anomaly (${summary.anomalies as number} of ${set.count}): ` +
            `${(summary.aurocIwae as number).toFixed(4)} by -log p(x), ${(summary.aurocElbo as number).toFixed(4)} by -ELBO`);
        }
        lines.push(tabular ? `wrote ${out} (one line per row, most anomalous first)`
          : `wrote ${out} and ${pngOut} (top row: the ${n} most anomalous, bottom row: the ${n} most typical)`);
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        vae.dispose();
      }
    }));
}

function mean(a: Float32Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s / a.length;
}

function describe(r: { index: number; row?: number; label?: number; file?: string; negLogPx: number; negElbo: number }): string {
  const name = r.file ?? `${r.row !== undefined ? `row ${r.row}` : `#${r.index}`}${r.label !== undefined ? ` (label ${r.label})` : ''}`;
  return `${name} ${r.negLogPx.toFixed(1)}`;
}
