/**
 * `npm run bench:ood [-- --budget short|full] [--dir DIR]`: the out-of-distribution AUROC tables
 * (bench/oodPlan.ts): Fashion-MNIST vs MNIST, MNIST vs Fashion-MNIST and leave one digit out, for
 * −ELBO, −log p(x), complexity and the likelihood ratio. Every model is trained and every report
 * written by running the CLI itself (`node bin/vae.js train …`, `node bin/vae.js anomaly …`, the
 * commands printed under each table), so a row is reproduced by pasting its commands.
 *
 * Resumable: runs and reports live under DIR (default runs/bench-ood/BUDGET, gitignored); a rerun
 * reuses every finished run (an interrupted one continues with `train --resume`) and every report
 * newer than its two runs and made with the planned K and `--compressor`, and only scores or
 * trains what is missing (so a changed compressor rescores without retraining). Wall times of the commands
 * are kept in DIR/timings.json; the tables are also written to DIR/tables.md.
 *
 * Budgets: short (a smoke test: 500 training images, 1 epoch, 300 test images per set, K=10; a few
 * minutes, most of it process start-up) and full (all data; 15 epochs for the two models of tables
 * 1 and 2, 3 for the 20 leave-one-out models; K=100 importance samples on all 10,000 test images of
 * each set for tables 1 and 2, K=25 for the 10 leave-one-out reports; about 30 minutes on 2 quiet
 * cores, over an hour on a shared machine). Run it niced
 * on a shared machine: `nice npm run bench:ood`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { writeFileAtomic, writeJsonAtomic } from '../src/train/files.js';
import {
  BUDGETS, TABLE_TITLES, commandLine, markdownTable, oodPlan, reportMatches, runAction, tableRow,
  type Budget, type ReportSummary, type RunSummary, type ScoreJob, type TableId, type TableRow, type TrainJob,
} from './oodPlan.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const USAGE = 'usage: npm run bench:ood [-- --budget short|full] [--dir DIR]\n';

function parseArgs(argv: string[]): { budget: Budget; dir?: string } {
  let budget: Budget = 'full';
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    if (flag === '--budget') {
      const v = value();
      if (!(BUDGETS as readonly string[]).includes(v)) fail(`--budget ${v}: must be one of ${BUDGETS.join(', ')}`);
      budget = v as Budget;
    } else if (flag === '--dir') dir = value();
    else if (flag === '--help' || flag === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else fail(`unknown option ${argv[i]}`);
  }
  return { budget, dir };
}

function fail(message: string): never {
  process.stderr.write(`bench:ood: ${message}\n${USAGE}`);
  process.exit(2);
}

/** Runs `node bin/vae.js ARGS` in the package root; resolves with stdout and the wall time. */
function runCli(args: string[]): Promise<{ stdout: string; seconds: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'vae.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve({ stdout, seconds: (performance.now() - t0) / 1000 });
      else reject(new Error(`${commandLine(args)} failed (${signal ?? `exit status ${code}`}):\n${stderr.trim()}`));
    });
  });
}

const { budget, dir } = parseArgs(process.argv.slice(2));
const benchDir = dir ?? path.join('runs', 'bench-ood', budget);
const plan = oodPlan(budget, benchDir);
const abs = (p: string): string => path.resolve(ROOT, p);
fs.mkdirSync(abs(path.join(benchDir, 'reports')), { recursive: true });
const timingsFile = abs(path.join(benchDir, 'timings.json'));
/** Wall seconds per command line (summed over resumed parts). */
const timings: Record<string, number> = fs.existsSync(timingsFile) ? JSON.parse(fs.readFileSync(timingsFile, 'utf8')) : {};
const t0 = performance.now();
const steps = plan.trains.length + plan.scores.length;
let done = 0;
const log = (s: string): boolean => process.stderr.write(s + '\n');
log(`bench:ood, budget ${budget}: ${plan.trains.length} runs and ${plan.scores.length} reports under ${benchDir} ` +
  `(CPU ${os.cpus()[0]?.model ?? '?'} ×${os.cpus().length}, load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')})`);

function readRun(job: TrainJob): RunSummary | undefined {
  const file = abs(path.join(job.dir, 'run.json'));
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as RunSummary) : undefined;
}

const trained = new Set<string>();
async function ensureTrained(job: TrainJob): Promise<void> {
  if (trained.has(job.dir)) return;
  const action = runAction(job, readRun(job), plan.spec.perturb);
  if (typeof action === 'object') fail(action.error);
  const key = commandLine(job.args);
  done++;
  if (action === 'reuse') {
    log(`[${done}/${steps}] reuse ${job.dir} (${job.epochs} epochs)`);
  } else {
    const args = action === 'resume' ? ['train', '--resume', job.dir, '--epochs', String(job.epochs), '--quiet'] : job.args;
    log(`[${done}/${steps}] ${commandLine(args)}`);
    const r = await runCli(args);
    timings[key] = (action === 'resume' ? timings[key] ?? 0 : 0) + r.seconds;
    writeJsonAtomic(timingsFile, timings);
    log(`    ${r.seconds.toFixed(0)} s`);
  }
  trained.add(job.dir);
}

interface Report extends ReportSummary {
  background?: string;
  items: { negLogPx: number; ood?: boolean; label?: number }[];
}

/** The job's report if it is there, newer than both runs and made with the planned K, compressor and background. */
function freshReport(job: ScoreJob): Report | undefined {
  const file = abs(job.report);
  if (!fs.existsSync(file)) return undefined;
  const age = fs.statSync(file).mtimeMs;
  for (const run of [job.model, job.background]) if (fs.statSync(abs(path.join(run.dir, 'run.json'))).mtimeMs > age) return undefined;
  const r = JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
  return reportMatches(job, r) ? r : undefined;
}

/** Wall time of a run's training: the bench's measurement, else the epochs' own times in run.json. */
function trainSeconds(job: TrainJob): number {
  const t = timings[commandLine(job.args)];
  if (t !== undefined) return t;
  const run = JSON.parse(fs.readFileSync(abs(path.join(job.dir, 'run.json')), 'utf8')) as { history: { seconds: number }[] };
  return run.history.reduce((s, h) => s + h.seconds, 0);
}

const rows = new Map<TableId, TableRow[]>();
try {
  for (const job of plan.scores) {
    await ensureTrained(job.model);
    await ensureTrained(job.background);
    let report = freshReport(job);
    const key = commandLine(job.args);
    done++;
    if (report) {
      log(`[${done}/${steps}] reuse ${job.report}`);
    } else {
      log(`[${done}/${steps}] ${key}`);
      const r = await runCli(job.args);
      timings[key] = r.seconds;
      writeJsonAtomic(timingsFile, timings);
      report = JSON.parse(fs.readFileSync(abs(job.report), 'utf8')) as Report;
      log(`    ${r.seconds.toFixed(0)} s: AUROC −ELBO ${report.aurocElbo.toFixed(3)}, −log p(x) ${report.aurocIwae.toFixed(3)}, ` +
        `complexity ${report.aurocComplexity.toFixed(3)}, likelihood ratio ${report.aurocLikelihoodRatio.toFixed(3)}`);
    }
    const seconds = trainSeconds(job.model) + trainSeconds(job.background) + (timings[key] ?? 0);
    const list = rows.get(job.table) ?? [];
    list.push(tableRow(job, report, report.items, seconds));
    rows.set(job.table, list);
  }
} catch (e) {
  log(`bench:ood: ${(e as Error).message}`);
  process.exit(1);
}

const spec = plan.spec;
const allRows = [...rows.values()].flat();
const header = [
  `## Out-of-distribution AUROC (budget ${budget})`,
  '',
  `MLP 784-400-20, Bernoulli likelihood, dynamically binarised training images (test images binarised once with the run's ` +
  `evaluation seed), Adam lr 1e-3, batch 128, seed ${spec.seed}; background models trained with \`--perturb ${spec.perturb}\`; ` +
  `−log p(x) and −ELBO from ${spec.samples === spec.looSamples ? `K=${spec.samples}` : `K=${spec.samples} (tables 1, 2) and K=${spec.looSamples} (table 3)`} importance samples; complexity = −log₂ p(x) − ${spec.compressor === 'webp' ? 'lossless WebP' : 'PNG'} bits (\`--compressor ${spec.compressor}\`). ` +
  `${spec.trainLimit !== undefined ? `First ${spec.trainLimit} training images. ` : ''}` +
  `${spec.testLimit !== undefined ? `First ${spec.testLimit} test images of each set. ` : 'All 10,000 test images of each set. '}` +
  `Wall time of all the commands ${(allRows.reduce((t, r) => t + r.seconds, 0) / 60).toFixed(1)} min ` +
  `(this invocation ${((performance.now() - t0) / 60000).toFixed(1)} min: reused runs and reports cost nothing); ` +
  `CPU ${os.cpus()[0]?.model ?? '?'} ×${os.cpus().length}, load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')} at the end.`,
  '',
].join('\n');
const tables = (['fashion-vs-mnist', 'mnist-vs-fashion', 'leave-one-out'] as const)
  .map((id) => markdownTable(TABLE_TITLES[id], rows.get(id) ?? [], id === 'leave-one-out' ? spec.looSamples : spec.samples, id === 'leave-one-out'));
const text = header + '\n' + tables.join('\n');
writeFileAtomic(abs(path.join(benchDir, 'tables.md')), text);
process.stdout.write(text);
