/**
 * The out-of-distribution benchmark's plan and tables (bench/oodPlan.ts): the commands it runs
 * are the CLI's (every training flag a real `vae train` option; the leave-one-out models exclude
 * their digit and are scored with it as the anomaly label; background models are the perturbed
 * twins of their models), runs are reused only when they are the planned ones, and the table's
 * numbers are the reports' (AUROCs, means recomputed by hand).
 */
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { registerTrain } from '../../src/cli/train.js';
import { registerAnomaly } from '../../src/cli/anomaly.js';
import {
  BUDGET_SPECS, commandLine, markdownTable, meanNegLogPx, meanRow, oodPlan, reportMatches, runAction, tableRow,
  type RunSummary, type ReportSummary, type TableRow,
} from '../../bench/oodPlan.js';

/** The options commander knows for a command of the real CLI. */
function optionsOf(register: (p: Command) => void, name: string): Set<string> {
  const program = new Command();
  register(program);
  const cmd = program.commands.find((c) => c.name() === name)!;
  return new Set(cmd.options.map((o) => o.long!));
}

describe('bench:ood plan', () => {
  const plan = oodPlan('full', 'runs/bench-ood/full');

  it('24 runs (a model and its background per row) and 12 reports: 2 dataset pairs and 10 left-out digits', () => {
    expect(plan.trains).toHaveLength(24);
    expect(plan.scores).toHaveLength(12);
    expect(new Set(plan.trains.map((t) => t.dir)).size).toBe(24);
    expect(new Set(plan.scores.map((s) => s.report)).size).toBe(12);
    expect(plan.scores.map((s) => s.table)).toEqual(['fashion-vs-mnist', 'mnist-vs-fashion', ...Array(10).fill('leave-one-out')]);
  });

  it('only options the CLI has; every model the MLP 784-400-20, Bernoulli, dynamic binarisation', () => {
    const train = optionsOf(registerTrain, 'train');
    const anomaly = optionsOf(registerAnomaly, 'anomaly');
    for (const t of plan.trains) {
      expect(t.args[0]).toBe('train');
      for (const a of t.args.filter((a) => a.startsWith('--'))) expect(train.has(a), a).toBe(true);
      const flag = (f: string): string | undefined => { const i = t.args.indexOf(f); return i < 0 ? undefined : t.args[i + 1]; };
      expect([flag('--model'), flag('--hidden'), flag('--latent'), flag('--likelihood'), flag('--binarize')]).toEqual(['mlp', '400', '20', 'bernoulli', 'dynamic']);
      expect(flag('--out')).toBe(t.dir);
      expect(flag('--perturb')).toBe(t.background ? 'replace:0.2' : undefined);
      expect(flag('--exclude-labels')).toBe(t.exclude === undefined ? undefined : String(t.exclude));
    }
    for (const s of plan.scores) {
      expect(s.args[0]).toBe('anomaly');
      expect(s.args[1]).toBe(s.model.dir);
      for (const a of s.args.filter((a) => a.startsWith('--'))) expect(anomaly.has(a), a).toBe(true);
    }
  });

  it('each row pairs a model with its perturbed twin on the same data; a left-out digit is the anomaly label', () => {
    for (const s of plan.scores) {
      expect(s.background.background).toBe(true);
      expect(s.model.background).toBe(false);
      expect(s.background.dataset).toBe(s.model.dataset);
      expect(s.background.exclude).toBe(s.model.exclude);
      expect(s.background.epochs).toBe(s.model.epochs);
      // the twin's command is the model's plus --perturb, with its own folder
      const strip = (args: string[], dir: string): string[] => args.filter((a, i) => a !== dir && a !== '--perturb' && args[i - 1] !== '--perturb');
      expect(strip(s.background.args, s.background.dir)).toEqual(strip(s.model.args, s.model.dir));
      expect(s.args.slice(s.args.indexOf('--background'), s.args.indexOf('--background') + 2)).toEqual(['--background', s.background.dir]);
      expect(s.args.slice(s.args.indexOf('--out'), s.args.indexOf('--out') + 2)).toEqual(['--out', s.report]);
    }
    const loo = plan.scores.filter((s) => s.table === 'leave-one-out');
    expect(loo.map((s) => s.model.exclude)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const s of loo) {
      expect(s.model.dataset).toBe('mnist');
      expect(s.args.slice(s.args.indexOf('--anomaly-label'), s.args.indexOf('--anomaly-label') + 2)).toEqual(['--anomaly-label', String(s.model.exclude)]);
      expect(s.args).not.toContain('--ood');
    }
    const [t1, t2] = plan.scores;
    expect([t1.model.dataset, t1.args[t1.args.indexOf('--ood') + 1]]).toEqual(['fashion-mnist', 'mnist']);
    expect([t2.model.dataset, t2.args[t2.args.indexOf('--ood') + 1]]).toEqual(['mnist', 'fashion-mnist']);
  });

  it('budgets: full uses all the data, short a few hundred images', () => {
    for (const t of plan.trains) expect(t.args).not.toContain('--train-limit');
    for (const s of plan.scores) expect(s.args).not.toContain('--limit');
    for (const s of plan.scores) {
      const k = s.table === 'leave-one-out' ? BUDGET_SPECS.full.looSamples : BUDGET_SPECS.full.samples;
      expect(s.samples).toBe(k);
      expect(s.args.slice(s.args.indexOf('--samples'), s.args.indexOf('--samples') + 2)).toEqual(['--samples', String(k)]);
    }
    // complexity from lossless WebP in both budgets, passed to every report's command
    for (const p of [plan, oodPlan('short', 'x')]) {
      for (const s of p.scores) {
        expect(s.compressor).toBe('webp');
        expect(s.args.slice(s.args.indexOf('--compressor'), s.args.indexOf('--compressor') + 2)).toEqual(['--compressor', 'webp']);
      }
    }
    const short = oodPlan('short', 'x');
    for (const t of short.trains) expect(t.args.slice(t.args.indexOf('--train-limit'), t.args.indexOf('--train-limit') + 2)).toEqual(['--train-limit', '500']);
    for (const s of short.scores) expect(s.args.slice(s.args.indexOf('--limit'), s.args.indexOf('--limit') + 2)).toEqual(['--limit', '300']);
  });

  it('commandLine quotes only what a shell would split', () => {
    expect(commandLine(['train', '--out', 'runs/a b', '--perturb', 'replace:0.2'])).toBe("node bin/vae.js train --out 'runs/a b' --perturb replace:0.2");
    expect(commandLine(["it's"])).toBe(`node bin/vae.js 'it'\\''s'`);
  });
});

describe('bench:ood reuse of run folders', () => {
  const plan = oodPlan('full', 'r');
  const bg = plan.scores[5].background; // mnist without digit 3, perturbed
  const run = (over: Partial<RunSummary> = {}): RunSummary => ({
    dataset: { name: 'mnist', excludeLabels: [3] }, training: { perturb: { kind: 'replace', p: 0.2 } }, model: { hidden: [400], latent: 20 },
    epochsDone: bg.epochs, ...over,
  });

  it('train when missing, reuse when done, resume when short of epochs', () => {
    expect(bg.exclude).toBe(3);
    expect(runAction(bg, undefined, 'replace:0.2')).toBe('train');
    expect(runAction(bg, run(), 'replace:0.2')).toBe('reuse');
    expect(runAction(bg, run({ epochsDone: bg.epochs + 3 }), 'replace:0.2')).toBe('reuse');
    expect(runAction(bg, run({ epochsDone: bg.epochs - 1 }), 'replace:0.2')).toBe('resume');
  });

  it('a different run in the folder is an error naming what differs, never overwritten', () => {
    const err = (r: RunSummary): string => (runAction(bg, r, 'replace:0.2') as { error: string }).error;
    expect(err(run({ dataset: { name: 'fashion-mnist', excludeLabels: [3] } }))).toMatch(/dataset fashion-mnist, not mnist/);
    expect(err(run({ dataset: { name: 'mnist' } }))).toMatch(/excluded labels \[\], not \[3\]/);
    expect(err(run({ training: {} }))).toMatch(/perturbation none, not replace:0.2/);
    expect(err(run({ training: { perturb: { kind: 'replace', p: 0.1 } } }))).toMatch(/replace:0.1, not replace:0.2/);
    expect(err(run({ model: { hidden: [500, 500], latent: 20 } }))).toMatch(/model 500,500-20/);
    expect(err(run())).toBeUndefined();
  });
});

describe('bench:ood reuse of reports', () => {
  const job = oodPlan('full', 'r').scores[0];

  it('a report is reused only with the planned K, background and compressor; one without a compressor is a PNG one', () => {
    const ok = { samples: job.samples, background: job.background.dir, compressor: 'webp' as const };
    expect(reportMatches(job, ok)).toBe(true);
    expect(reportMatches(job, { ...ok, compressor: 'png' })).toBe(false);
    expect(reportMatches(job, { samples: ok.samples, background: ok.background })).toBe(false);
    expect(reportMatches({ ...job, compressor: 'png' }, { samples: ok.samples, background: ok.background })).toBe(true);
    expect(reportMatches(job, { ...ok, samples: job.samples + 1 })).toBe(false);
    expect(reportMatches(job, { ...ok, background: 'elsewhere' })).toBe(false);
  });
});

describe('bench:ood tables', () => {
  const plan = oodPlan('full', 'r');
  const summary = (a: number): ReportSummary => ({ inputs: 6, anomalies: 2, samples: 100, aurocElbo: a, aurocIwae: a + 0.01, aurocComplexity: a + 0.02, aurocLikelihoodRatio: a + 0.03 });

  it('means of -log p(x) over in-distribution inputs and anomalies, by the --ood flag or the left-out label', () => {
    const items = [{ negLogPx: 1, ood: false }, { negLogPx: 3, ood: false }, { negLogPx: 10, ood: true }];
    expect(meanNegLogPx(items, (it) => it.ood === true)).toEqual({ in: 2, out: 10 });
    const loo = plan.scores[4]; // digit 2 left out
    const labelled = [{ negLogPx: 5, label: 2 }, { negLogPx: 7, label: 2 }, { negLogPx: 1, label: 0 }, { negLogPx: 2, label: 9 }, { negLogPx: 3, label: 1 }];
    const row = tableRow(loo, summary(0.5), labelled, 12);
    expect(row.meanNegLogPx).toEqual({ in: 2, out: 6 });
    expect(row.row).toBe('digit 2');
    expect(row.auroc).toEqual({ elbo: 0.5, iwae: 0.51, complexity: 0.52, likelihoodRatio: 0.53 });
    expect(row.commands).toEqual([commandLine(loo.model.args), commandLine(loo.background.args), commandLine(loo.args)]);
    expect(() => meanNegLogPx([{ negLogPx: 1, ood: false }], (it) => it.ood === true)).toThrow(/0 anomalies/);
    expect(() => tableRow(loo, { ...summary(0.5), aurocLikelihoodRatio: undefined as unknown as number }, labelled, 1)).toThrow(/aurocLikelihoodRatio/);
  });

  it('the mean row averages every AUROC column and sums the wall time; the markdown holds every number and command', () => {
    const items = [{ negLogPx: 1, label: 0 }, { negLogPx: 2, label: 1 }, { negLogPx: 4, label: 2 }];
    const rows: TableRow[] = [2, 3, 4].map((d, k) => tableRow(plan.scores[d], summary(0.2 * (k + 1)), items, 60 * (k + 1)));
    const m = meanRow(rows);
    expect(m.auroc.elbo).toBeCloseTo(0.4, 12);
    expect(m.auroc.likelihoodRatio).toBeCloseTo(0.43, 12);
    expect(m.seconds).toBe(360);
    const md = markdownTable('leave one out', rows, 100, true);
    const lines = md.split('\n');
    const e = BUDGET_SPECS.full.looEpochs;
    expect(lines.filter((l) => l.startsWith('| digit'))).toEqual([
      `| digit 0 | ${e} | 6 (2) | 0.200 | 0.210 | 0.220 | 0.230 | 3.0 / 1.0 | 1.0 min |`,
      `| digit 1 | ${e} | 6 (2) | 0.400 | 0.410 | 0.420 | 0.430 | 2.5 / 2.0 | 2.0 min |`,
      `| digit 2 | ${e} | 6 (2) | 0.600 | 0.610 | 0.620 | 0.630 | 1.5 / 4.0 | 3.0 min |`,
    ]);
    expect(lines).toContain(`| **mean** | ${e} | 6 (2) | 0.400 | 0.410 | 0.420 | 0.430 | 2.3 / 2.3 | 6.0 min |`);
    expect(md).toContain('IWAE K=100');
    for (const r of rows) for (const c of r.commands) expect(lines).toContain(c);
    expect(lines.filter((l) => l.startsWith('node bin/vae.js'))).toHaveLength(9);
    expect(() => meanRow([])).toThrow(/no rows/);
  });
});
