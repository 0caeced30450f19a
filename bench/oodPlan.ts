/**
 * The out-of-distribution benchmark (`npm run bench:ood`, bench/ood.ts) as data: which runs to
 * train and which `vae anomaly` reports to write for a budget, every step a `node bin/vae.js …`
 * command line, and the tables assembled from the reports. Pure (no IO), so it is unit-tested
 * (test/unit/bench.oodPlan.test.ts); bench/ood.ts executes the plan.
 *
 * Three tables, AUROC with the out-of-distribution (or held-out) inputs as the positives, for four
 * scores (src/analysis/ood.ts): −ELBO, −log p(x) (IWAE-K), complexity (Serrà et al. 2020) and the
 * likelihood ratio against a background model trained on perturbed inputs (Ren et al. 2019):
 *   1. Fashion-MNIST (in) vs MNIST (out)
 *   2. MNIST (in) vs Fashion-MNIST (out)
 *   3. leave one digit out: MNIST without digit d (training and validation), the test split's
 *      digit-d images are the anomalies; d = 0..9 and the mean.
 * Complexity uses the budget's `--compressor` (lossless WebP). Every model is the MLP 784-400-20 with a Bernoulli likelihood on dynamically binarised images.
 */

import type { Compressor } from '../src/data/compressedLength.js';

export const BUDGETS = ['short', 'full'] as const;
export type Budget = (typeof BUDGETS)[number];

export interface BudgetSpec {
  /** Epochs of the models of tables 1 and 2. */
  epochs: number;
  /** Epochs of the leave-one-digit-out models (20 of them). */
  looEpochs: number;
  /** `--train-limit` (first N training images), or all. */
  trainLimit?: number;
  /** `--validation` (MNIST-style: images from the end of the training set), or the default 10000. */
  validation?: number;
  /** `vae anomaly --limit`: the first N test images of each set, or all 10,000. */
  testLimit?: number;
  /** Importance samples K of the −log p(x) estimate (tables 1 and 2). */
  samples: number;
  /** K of the leave-one-digit-out reports (10 models, each scoring the whole test split). */
  looSamples: number;
  /** Background perturbation (`vae train --perturb`). */
  perturb: string;
  /** `vae anomaly --compressor`: L(x) of the complexity score. */
  compressor: Compressor;
  seed: number;
}

export const BUDGET_SPECS: Record<Budget, BudgetSpec> = {
  // a smoke test of the whole pipeline: a few hundred images, one epoch
  short: { epochs: 1, looEpochs: 1, trainLimit: 500, validation: 500, testLimit: 300, samples: 10, looSamples: 10, perturb: 'replace:0.2', compressor: 'webp', seed: 0 },
  // what fits in about 30 minutes on the quiet 2-core development machine (24 models, 36 commands;
  // over an hour when the machine is shared): most of the time goes to tables 1 and 2
  full: { epochs: 15, looEpochs: 3, samples: 100, looSamples: 25, perturb: 'replace:0.2', compressor: 'webp', seed: 0 },
};

export type Dataset = 'mnist' | 'fashion-mnist';

/** A `vae train` run of the plan. */
export interface TrainJob {
  /** Run folder. */
  dir: string;
  dataset: Dataset;
  epochs: number;
  /** Digit left out of training and validation. */
  exclude?: number;
  /** Trained on perturbed inputs (a likelihood-ratio background model). */
  background: boolean;
  /** Arguments after `node bin/vae.js`. */
  args: string[];
}

export type TableId = 'fashion-vs-mnist' | 'mnist-vs-fashion' | 'leave-one-out';

/** A `vae anomaly` report of the plan: one table row. */
export interface ScoreJob {
  table: TableId;
  /** Row label, e.g. 'Fashion-MNIST → MNIST' or 'digit 3'. */
  row: string;
  model: TrainJob;
  background: TrainJob;
  /** The report (JSON) the command writes. */
  report: string;
  /** Importance samples K of its scores. */
  samples: number;
  /** Compressor of its complexity score. */
  compressor: Compressor;
  args: string[];
}

export interface OodPlan {
  budget: Budget;
  spec: BudgetSpec;
  trains: TrainJob[];
  scores: ScoreJob[];
}

export const TABLE_TITLES: Record<TableId, string> = {
  'fashion-vs-mnist': 'Fashion-MNIST (in) vs MNIST (out)',
  'mnist-vs-fashion': 'MNIST (in) vs Fashion-MNIST (out)',
  'leave-one-out': 'leave one digit out (MNIST without digit d; the test split\'s digit d is the anomaly)',
};

const NAMES: Record<Dataset, string> = { mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST' };

/** Joins paths with '/' (the plan's folders are relative to the package root, printed as typed). */
function join(...parts: string[]): string {
  return parts.join('/').replace(/\/+/g, '/');
}

/** The whole benchmark for `budget`, its runs and reports under `root` (e.g. runs/bench-ood/full). */
export function oodPlan(budget: Budget, root: string, spec: BudgetSpec = BUDGET_SPECS[budget]): OodPlan {
  const trains: TrainJob[] = [];
  const train = (dataset: Dataset, name: string, epochs: number, background: boolean, exclude?: number): TrainJob => {
    const dir = join(root, name);
    const args = [
      'train', '--dataset', dataset, '--model', 'mlp', '--hidden', '400', '--latent', '20', '--likelihood', 'bernoulli', '--binarize', 'dynamic',
      '--epochs', String(epochs), '--seed', String(spec.seed),
      ...(spec.trainLimit !== undefined ? ['--train-limit', String(spec.trainLimit)] : []),
      ...(spec.validation !== undefined ? ['--validation', String(spec.validation)] : []),
      ...(exclude !== undefined ? ['--exclude-labels', String(exclude)] : []),
      ...(background ? ['--perturb', spec.perturb] : []),
      '--out', dir, '--quiet',
    ];
    const job: TrainJob = { dir, dataset, epochs, background, args, ...(exclude !== undefined && { exclude }) };
    trains.push(job);
    return job;
  };
  const anomaly = (model: TrainJob, background: TrainJob, report: string, what: string[], samples: number): string[] => [
    'anomaly', model.dir, ...what, '--background', background.dir, '--samples', String(samples), '--compressor', spec.compressor, '--seed', String(spec.seed),
    ...(spec.testLimit !== undefined ? ['--limit', String(spec.testLimit)] : []),
    '--out', report, '--json',
  ];
  const scores: ScoreJob[] = [];
  for (const [table, inData, outData] of [['fashion-vs-mnist', 'fashion-mnist', 'mnist'], ['mnist-vs-fashion', 'mnist', 'fashion-mnist']] as const) {
    const model = train(inData, inData, spec.epochs, false);
    const background = train(inData, `${inData}-background`, spec.epochs, true);
    const report = join(root, 'reports', `${table}.json`);
    scores.push({ table, row: `${NAMES[inData]} → ${NAMES[outData]}`, model, background, report, args: anomaly(model, background, report, ['--ood', outData], spec.samples), samples: spec.samples, compressor: spec.compressor });
  }
  for (let d = 0; d <= 9; d++) {
    const model = train('mnist', `mnist-no${d}`, spec.looEpochs, false, d);
    const background = train('mnist', `mnist-no${d}-background`, spec.looEpochs, true, d);
    const report = join(root, 'reports', `leave-out-${d}.json`);
    scores.push({ table: 'leave-one-out', row: `digit ${d}`, model, background, report, args: anomaly(model, background, report, ['--anomaly-label', String(d)], spec.looSamples), samples: spec.looSamples, compressor: spec.compressor });
  }
  return { budget, spec, trains, scores };
}

/** `node bin/vae.js ARGS`, each argument quoted for a POSIX shell where needed. */
export function commandLine(args: readonly string[]): string {
  const quote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['node', 'bin/vae.js', ...args].map(quote).join(' ');
}

/** What to do with a run folder: train it, continue it (`--resume`) or reuse it as it is. */
export type RunAction = 'train' | 'resume' | 'reuse';

/** The part of a run.json the bench compares with its plan. */
export interface RunSummary {
  dataset: { name: string; excludeLabels?: number[] };
  training: { perturb?: { kind: string; p: number } };
  model: { hidden?: number[]; latent: number };
  epochsDone: number;
}

/**
 * `train` when the folder holds no run, `reuse` when it holds the planned run with at least the
 * planned epochs, `resume` when it holds it with fewer; an error (a message) when the folder holds
 * a different run, which the bench will not overwrite.
 */
export function runAction(job: TrainJob, run: RunSummary | undefined, perturb: string): RunAction | { error: string } {
  if (!run) return 'train';
  const problems: string[] = [];
  if (run.dataset.name !== job.dataset) problems.push(`dataset ${run.dataset.name}, not ${job.dataset}`);
  const excluded = run.dataset.excludeLabels ?? [];
  const wanted = job.exclude !== undefined ? [job.exclude] : [];
  if (excluded.join(',') !== wanted.join(',')) problems.push(`excluded labels [${excluded.join(',')}], not [${wanted.join(',')}]`);
  const p = run.training.perturb;
  const got = p ? `${p.kind}:${p.p}` : 'none';
  const want = job.background ? perturb : 'none';
  if (got !== want) problems.push(`perturbation ${got}, not ${want}`);
  if ((run.model.hidden ?? []).join(',') !== '400' || run.model.latent !== 20) problems.push(`model ${(run.model.hidden ?? []).join(',')}-${run.model.latent}, not 400-20`);
  if (problems.length) return { error: `${job.dir} holds another run (${problems.join('; ')}): delete it or choose another --dir` };
  return run.epochsDone >= job.epochs ? 'reuse' : 'resume';
}

/** The `vae anomaly --json` summary fields a table row reads. */
export interface ReportSummary {
  inputs: number;
  anomalies: number;
  samples: number;
  /** Compressor of the complexity score (absent in reports older than `--compressor`: they used PNG). */
  compressor?: Compressor;
  aurocElbo: number;
  aurocIwae: number;
  aurocComplexity: number;
  aurocLikelihoodRatio: number;
}

/**
 * Whether a report found on disk is the job's: made with the planned K, background run and
 * compressor (reports from before `--compressor` record none: they used PNG), so a changed plan
 * rescores instead of reusing.
 */
export function reportMatches(job: ScoreJob, report: { samples: number; background?: string; compressor?: Compressor }): boolean {
  return report.samples === job.samples && report.background === job.background.dir && (report.compressor ?? 'png') === job.compressor;
}

/** A filled row: the four AUROCs, the mean −log p(x) of in- and out-of-distribution inputs, time. */
export interface TableRow {
  row: string;
  epochs: number;
  inputs: number;
  anomalies: number;
  auroc: { elbo: number; iwae: number; complexity: number; likelihoodRatio: number };
  /** Mean −log p(x) (nats) of the in-distribution inputs and of the anomalies. */
  meanNegLogPx: { in: number; out: number };
  /** Wall time of the row's commands (both trainings and the scoring), seconds. */
  seconds: number;
  commands: string[];
}

/** Means of the in-distribution inputs' and the anomalies' −log p(x) from a report's items. */
export function meanNegLogPx(items: readonly { negLogPx: number; ood?: boolean; label?: number }[], isAnomaly: (item: { ood?: boolean; label?: number }) => boolean): { in: number; out: number } {
  const sum = { in: 0, out: 0 };
  const n = { in: 0, out: 0 };
  for (const it of items) {
    const k = isAnomaly(it) ? 'out' : 'in';
    sum[k] += it.negLogPx;
    n[k]++;
  }
  if (n.in === 0 || n.out === 0) throw new Error(`report has ${n.in} in-distribution inputs and ${n.out} anomalies`);
  return { in: sum.in / n.in, out: sum.out / n.out };
}

/** A table row from a score job, its report's summary and items, and its wall time. */
export function tableRow(job: ScoreJob, summary: ReportSummary, items: readonly { negLogPx: number; ood?: boolean; label?: number }[], seconds: number): TableRow {
  for (const key of ['aurocElbo', 'aurocIwae', 'aurocComplexity', 'aurocLikelihoodRatio'] as const) {
    if (typeof summary[key] !== 'number') throw new Error(`${job.report}: no ${key} (not a report of \`vae anomaly --background … --ood/--anomaly-label\`)`);
  }
  const isAnomaly = job.model.exclude !== undefined ? (it: { label?: number }) => it.label === job.model.exclude : (it: { ood?: boolean }) => it.ood === true;
  return {
    row: job.row, epochs: job.model.epochs, inputs: summary.inputs, anomalies: summary.anomalies,
    auroc: { elbo: summary.aurocElbo, iwae: summary.aurocIwae, complexity: summary.aurocComplexity, likelihoodRatio: summary.aurocLikelihoodRatio },
    meanNegLogPx: meanNegLogPx(items, isAnomaly), seconds,
    commands: [commandLine(job.model.args), commandLine(job.background.args), commandLine(job.args)],
  };
}

/** The element-wise mean of rows (the leave-one-out table's last line); commands are the rows'. */
export function meanRow(rows: readonly TableRow[], label = 'mean'): TableRow {
  if (rows.length === 0) throw new Error('meanRow: no rows');
  const m = (f: (r: TableRow) => number): number => rows.reduce((s, r) => s + f(r), 0) / rows.length;
  return {
    row: label, epochs: rows[0].epochs, inputs: rows[0].inputs, anomalies: Math.round(m((r) => r.anomalies)),
    auroc: { elbo: m((r) => r.auroc.elbo), iwae: m((r) => r.auroc.iwae), complexity: m((r) => r.auroc.complexity), likelihoodRatio: m((r) => r.auroc.likelihoodRatio) },
    meanNegLogPx: { in: m((r) => r.meanNegLogPx.in), out: m((r) => r.meanNegLogPx.out) },
    seconds: rows.reduce((s, r) => s + r.seconds, 0), commands: [],
  };
}

/**
 * A markdown table (AUROC to 3 decimals, −log p(x) means to 1, time in minutes) followed by a
 * shell block with each row's commands (the model, its background model, the scoring).
 */
export function markdownTable(title: string, rows: readonly TableRow[], samples: number, withMean = false): string {
  const all = withMean ? [...rows, meanRow(rows)] : [...rows];
  const f3 = (v: number): string => v.toFixed(3);
  const lines = [
    `**${title}** (AUROC, anomalies = positives; 0.5 = chance, below 0.5 = the score finds the anomalies *more* typical)`,
    '',
    `| row | epochs | inputs (anomalies) | −ELBO | −log p(x), IWAE K=${samples} | complexity | likelihood ratio | mean −log p(x) in / anomalies (nats) | wall time |`,
    '|---|---|---|---|---|---|---|---|---|',
    ...all.map((r) => {
      const name = r.commands.length === 0 ? `**${r.row}**` : r.row; // the mean row
      return `| ${name} | ${r.epochs} | ${r.inputs} (${r.anomalies}) | ${f3(r.auroc.elbo)} | ${f3(r.auroc.iwae)} | ${f3(r.auroc.complexity)} | ${f3(r.auroc.likelihoodRatio)} | ` +
        `${r.meanNegLogPx.in.toFixed(1)} / ${r.meanNegLogPx.out.toFixed(1)} | ${(r.seconds / 60).toFixed(1)} min |`;
    }),
    '',
    '```sh',
    ...rows.flatMap((r) => [`# ${r.row}`, ...r.commands]),
    '```',
  ];
  return lines.join('\n') + '\n';
}
