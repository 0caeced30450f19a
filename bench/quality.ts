/**
 * `npm run bench:quality`: reproduces Table 1 of Burda et al. 2015 ("Importance Weighted
 * Autoencoders", one stochastic layer, 784-200-200-50 tanh MLP, dynamically binarised MNIST,
 * batch 20, Adam) with our CLI, and prints our numbers next to the published ones.
 *
 *   npm run bench:quality -- [--budget short|medium|paper] [--rows LIST] [--threads N] [--dir DIR] [--table]
 *
 * Budgets (the learning-rate schedule is the paper's: stage i = 0…7 runs 3^i epochs at
 * lr 0.001·10^(−i/7), 3,280 epochs in all; a budget stops the schedule early):
 *   short   the test suite's smoke run: 1,000 training images, 1 epoch, 100 test images, K=500;
 *           checks the inequalities every model must satisfy (NLL ≤ −L₅ ≤ −ELBO) and exits 1 if not
 *   medium  stages 0–4 (121 epochs) on 59,000 training images (1,000 held out for the best-epoch
 *           choice), NLL with K=5000 on all 10,000 test images
 *   paper   all 3,280 epochs (days on 2 cores): run it in the background; it is resumable
 *
 * Every row is a `node bin/vae.js train` run folder under runs/bench-quality/ (short:
 * runs/bench-quality-short/), trained stage by stage with `--resume --lr`, so a killed run (Ctrl-C,
 * SIGTERM, a machine stop) continues where it was when the same command is given again; a medium
 * run continues into the paper budget. Rows advance together, stage by stage, cheapest first.
 * Evaluations (`node bin/vae.js eval RUN --samples 5000 --weights last --json`: the weights at the end
 * of the stage, no early stopping, as in the paper)
 * run at the end of stages 3…7 (40, 121, 364, 1093, 3280 epochs) and at the end of the budget, and
 * are kept in results.json (several bench processes may share a folder, each given other --rows); the table shows every
 * evaluation of each row with its epochs and the training wall time up to it (--dir puts the run folders and results.json
 * elsewhere; --table only prints the table of what results.json holds, training nothing: the state of a long run another
 * process is training). Every row prints the exact commands that reproduce it.
 *
 * Rows (--rows picks some, comma-separated): burda-vae, burda-iwae5, burda-iwae50 (the paper's
 * published rows), burda-vamp (VampPrior, K=500 pseudo-inputs, ELBO), relu-vae, relu-iwae5,
 * relu-iwae50 (the 784-400-20 ReLU model of Kingma & Welling; no published NLL), fashion-vae,
 * fashion-iwae5, fashion-iwae50 (the Burda architecture on Fashion-MNIST).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { writeChart } from '../src/plot/render.js';
import { qualityChartSpec, type PublishedLine, type QualityPoint } from '../src/plot/qualityChart.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(ROOT, 'bin', 'vae.js');

interface Row {
  id: string;
  /** what the row trains, as printed in the table */
  label: string;
  /** the chart's panel (model and data) and series (objective or prior) */
  panel: string;
  series: string;
  /** arguments of `vae train` that define the model, data and objective */
  train: string[];
  /** published −log p(x) in nats, with its source */
  published?: { nll: number; source: string };
}

const BURDA = ['--dataset', 'mnist', '--model', 'mlp-tanh', '--hidden', '200,200', '--latent', '50'];
const RELU = ['--dataset', 'mnist', '--model', 'mlp'];
const FASHION = ['--dataset', 'fashion-mnist', '--model', 'mlp-tanh', '--hidden', '200,200', '--latent', '50'];
const B15 = 'Burda et al. 2015, Table 1';
const B_PANEL = '784-200-200-50 tanh, MNIST';
const R_PANEL = '784-400-20 ReLU, MNIST';
const F_PANEL = '784-200-200-50 tanh, Fashion-MNIST';

/** Rows in the order they are trained within a stage: cheapest first, the VampPrior (not in the paper's table) last. */
export const ROWS: Row[] = [
  { id: 'burda-vae', panel: B_PANEL, series: 'VAE', label: 'VAE (ELBO), 784-200-200-50 tanh', train: [...BURDA], published: { nll: 86.76, source: B15 } },
  { id: 'relu-vae', panel: R_PANEL, series: 'VAE', label: 'VAE (ELBO), 784-400-20 ReLU', train: [...RELU] },
  { id: 'fashion-vae', panel: F_PANEL, series: 'VAE', label: 'VAE (ELBO), Fashion-MNIST, 784-200-200-50 tanh', train: [...FASHION] },
  { id: 'burda-iwae5', panel: B_PANEL, series: 'IWAE k=5', label: 'IWAE k=5, 784-200-200-50 tanh', train: [...BURDA, '--objective', 'iwae', '--k', '5'], published: { nll: 85.54, source: B15 } },
  { id: 'relu-iwae5', panel: R_PANEL, series: 'IWAE k=5', label: 'IWAE k=5, 784-400-20 ReLU', train: [...RELU, '--objective', 'iwae', '--k', '5'] },
  { id: 'fashion-iwae5', panel: F_PANEL, series: 'IWAE k=5', label: 'IWAE k=5, Fashion-MNIST', train: [...FASHION, '--objective', 'iwae', '--k', '5'] },
  { id: 'burda-iwae50', panel: B_PANEL, series: 'IWAE k=50', label: 'IWAE k=50, 784-200-200-50 tanh', train: [...BURDA, '--objective', 'iwae', '--k', '50'], published: { nll: 84.78, source: B15 } },
  { id: 'relu-iwae50', panel: R_PANEL, series: 'IWAE k=50', label: 'IWAE k=50, 784-400-20 ReLU', train: [...RELU, '--objective', 'iwae', '--k', '50'] },
  { id: 'fashion-iwae50', panel: F_PANEL, series: 'IWAE k=50', label: 'IWAE k=50, Fashion-MNIST', train: [...FASHION, '--objective', 'iwae', '--k', '50'] },
  // KL warm-up over 100 epochs as Tomczak & Welling 2018 do: without it this tanh model collapses
  // (KL → 0 within the first epoch at batch 20, on either engine)
  { id: 'burda-vamp', panel: B_PANEL, series: 'VampPrior K=500', label: 'VampPrior K=500 (ELBO, 100-epoch warm-up), 784-200-200-50 tanh', train: [...BURDA, '--prior', 'vamp:500', '--warmup', '100'], published: { nll: 85.79, source: 'pythae, VampPrior K=500, statically binarised MNIST, its own architecture' } },
];

export interface Stage { epochs: number; lr: number }

/** Burda et al.'s schedule: stage i runs 3^i epochs at lr 0.001·10^(−i/7), i = 0…7. */
export function paperSchedule(): Stage[] {
  return Array.from({ length: 8 }, (_, i) => ({ epochs: 3 ** i, lr: 0.001 * 10 ** (-i / 7) }));
}

interface Budget {
  stages: Stage[];
  /** data arguments of `vae train` */
  data: string[];
  evalArgs: string[];
  samples: number;
  /** cumulative epochs after which a row is evaluated (besides the budget's end) */
  evalAt: (cumulative: number) => boolean;
  rows: string[];
  dir: string;
}

function budget(name: string): Budget {
  const paper = paperSchedule();
  const big = (c: number): boolean => c >= 40;
  switch (name) {
    case 'short':
      return {
        stages: paper.slice(0, 1), data: ['--train-limit', '1000', '--validation', '200'],
        evalArgs: ['--limit', '100'], samples: 500, evalAt: () => false, rows: ['burda-vae', 'burda-iwae5'], dir: 'runs/bench-quality-short',
      };
    case 'medium':
      return { stages: paper.slice(0, 5), data: ['--validation', '1000'], evalArgs: [], samples: 5000, evalAt: big, rows: ROWS.map((r) => r.id), dir: 'runs/bench-quality' };
    case 'paper':
      return { stages: paper, data: ['--validation', '1000'], evalArgs: [], samples: 5000, evalAt: big, rows: ROWS.map((r) => r.id), dir: 'runs/bench-quality' };
    default:
      throw new Error(`--budget must be short, medium or paper, not ${name}`);
  }
}

interface Evaluation {
  epochs: number;
  bestEpoch: number;
  negElbo: number;
  negL5: number;
  nll: number;
  samples: number;
  examples: number;
  activeUnits: number;
  latent: number;
  /** training wall time up to these epochs, seconds (sum of the run's per-epoch times) */
  trainSeconds: number;
  evalSeconds: number;
  at: string;
}
type Results = Record<string, Evaluation[]>;

function readJson<T>(file: string, fallback: T): T {
  try { return JSON.parse(fs.readFileSync(file, 'utf8')) as T; } catch { return fallback; }
}

function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

interface RunJsonLite { epochsDone: number; bestEpoch: number | null; history: { epoch: number; seconds: number }[] }
function runState(dir: string): RunJsonLite | null {
  return fs.existsSync(path.join(dir, 'run.json')) ? readJson<RunJsonLite | null>(path.join(dir, 'run.json'), null) : null;
}

let child: ReturnType<typeof spawn> | null = null;
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    stopping = true;
    // the trainer saves its state at the end of the current step and exits 130/143
    if (child) child.kill(sig); else process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

function cliCommand(args: string[]): string {
  return ['node', 'bin/vae.js', ...args].map((a) => (/^[\w./:,=-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

function run(args: string[], capture: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    process.stdout.write(`$ ${cliCommand(args)}\n`);
    child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      child = null;
      if (stopping) process.exit(code ?? 130);
      if (code === 0) resolve(out);
      else reject(new Error(`${cliCommand(args)} exited with ${code ?? signal}`));
    });
  });
}

interface EvalJson { negElbo: number; negLogPx: number; negElboK: number; activeUnits: number; latent: number; examples: number; seconds: number }

async function evaluate(b: Budget, rowDir: string, samples: number): Promise<EvalJson> {
  const out = await run(['eval', rowDir, '--samples', String(samples), '--weights', 'last', '--json', ...b.evalArgs], true);
  const start = out.indexOf('{');
  return JSON.parse(out.slice(start)) as EvalJson;
}

function trainSecondsUpTo(state: RunJsonLite, epochs: number): number {
  return state.history.filter((h) => h.epoch <= epochs).reduce((s, h) => s + h.seconds, 0);
}

function stageCommands(row: Row, b: Budget, rowDir: string): string[] {
  const cmds: string[] = [];
  let cumulative = 0;
  b.stages.forEach((s, i) => {
    cumulative += s.epochs;
    const common = ['--epochs', String(cumulative), '--lr', s.lr.toPrecision(6)];
    cmds.push(cliCommand(i === 0
      ? ['train', ...row.train, ...b.data, '--batch-size', '20', '--out', rowDir, ...common]
      : ['train', '--resume', rowDir, ...common]));
  });
  return cmds;
}

/** Epochs of the whole budget: the sum of its stages. */
function totalEpochs(b: Budget): number {
  return b.stages.reduce((n, st) => n + st.epochs, 0);
}

function fmt(v: number | undefined, d = 2): string {
  return v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d);
}

function hms(seconds: number): string {
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = Math.round(seconds % 60);
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : m > 0 ? `${m} min ${String(s).padStart(2, '0')} s` : `${seconds.toFixed(1)} s`;
}

function printTable(rows: Row[], results: Results, b: Budget, budgetName: string): void {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  console.log(`\nbench:quality (${budgetName}) on ${cpu}, ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`−ELBO (mean over K=${b.samples} samples), −L₅ (IWAE-5 bound) and NLL (−log p(x), IWAE-K estimate), in nats, on the statically binarised test images; the weights at that epoch (no early stopping)\n`);
  console.log('| row | epochs | −ELBO | −L₅ | NLL (K) | published NLL | ours − published | active units | train time |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const pub = row.published;
    const evals = [...(results[row.id] ?? [])].sort((a, b) => a.epochs - b.epochs);
    if (evals.length === 0) console.log(`| ${row.label} | — | — | — | — | ${pub ? fmt(pub.nll) : '—'} | — | — | — |`);
    for (const e of evals) console.log(`| ${row.label} | ${e.epochs} | ${fmt(e.negElbo)} | ${fmt(e.negL5)} | ${fmt(e.nll)} (${e.samples}) | ${pub ? fmt(pub.nll) : '—'} | ${pub ? (e.nll - pub.nll >= 0 ? '+' : '') + fmt(e.nll - pub.nll) : '—'} | ${e.activeUnits}/${e.latent} | ${hms(e.trainSeconds)} |`);
  }
  const total = totalEpochs(b);
  const trained = rows.flatMap((row) => {
    const st = runState(path.resolve(ROOT, b.dir, row.id));
    return st ? [`${row.id} ${st.epochsDone}/${total}`] : [];
  });
  if (trained.length) console.log(`\nepochs trained so far: ${trained.join(', ')}`);
  console.log('\nsources: ' + [...new Set(rows.filter((r) => r.published).map((r) => r.published!.source))].join('; '));
  console.log('commands (each row: stage by stage; then `node bin/vae.js eval RUN --weights last --samples ' + b.samples + ' --json` and `--samples 5`):');
  for (const row of rows) {
    console.log(`  ${row.id}:`);
    for (const c of stageCommands(row, b, path.join(b.dir, row.id))) console.log(`    ${c}`);
  }
}

/** DIR/quality.png and .svg: every evaluation's NLL against its epochs, next to the published values. */
async function writeQualityChart(rows: Row[], results: Results, b: Budget, dir: string): Promise<void> {
  const points: QualityPoint[] = rows.flatMap((row) => (results[row.id] ?? []).map((e) => ({ panel: row.panel, series: row.series, epochs: e.epochs, nll: e.nll })));
  if (points.length === 0) return;
  const published: PublishedLine[] = rows.filter((r) => r.published && r.id.startsWith('burda-') && r.series !== 'VampPrior K=500')
    .map((r) => ({ panel: r.panel, series: r.series, nll: r.published!.nll }));
  const total = totalEpochs(b);
  const spec = qualityChartSpec(points, published, {
    maxEpochs: total,
    panels: [...new Set(rows.map((r) => r.panel))].filter((p) => points.some((q) => q.panel === p)),
    series: [...new Set(ROWS.map((r) => r.series))],
    subtitle: [`K = ${b.samples} importance samples on ${(results[rows[0].id]?.at(-1)?.examples ?? 0).toLocaleString('en')} test images, the weights where each stage ended; dashed: Burda et al. 2015, Table 1 (after 3,280 epochs)`],
  });
  const files = [path.join(dir, 'quality.svg'), path.join(dir, 'quality.png')];
  await writeChart(spec, ...files);
  console.log(`chart: ${files.join(', ')}`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.findIndex((a) => a === name || a.startsWith(name + '='));
    if (i < 0) return undefined;
    return args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
  };
  const budgetName = opt('--budget') ?? 'medium';
  const b = budget(budgetName);
  const rowIds = opt('--rows')?.split(',') ?? b.rows;
  const rows = rowIds.map((id) => {
    const r = ROWS.find((x) => x.id === id);
    if (!r) throw new Error(`unknown row ${id}; rows: ${ROWS.map((x) => x.id).join(', ')}`);
    return r;
  });
  const threads = opt('--threads');
  if (threads !== undefined) process.env.VAE_NATIVE_THREADS = threads;
  const dirOpt = opt('--dir');
  if (dirOpt !== undefined) b.dir = path.resolve(dirOpt);
  const dir = path.resolve(ROOT, b.dir);
  fs.mkdirSync(dir, { recursive: true });
  const resultsFile = path.join(dir, 'results.json');
  const results = readJson<Results>(resultsFile, {});
  if (args.includes('--table')) {
    printTable(rows, results, b, budgetName);
    await writeQualityChart(rows, results, b, dir);
    return;
  }
  const t0 = Date.now();

  let cumulative = 0;
  for (const [i, stage] of b.stages.entries()) {
    cumulative += stage.epochs;
    const last = i === b.stages.length - 1;
    for (const row of rows) {
      const rowDir = path.join(b.dir, row.id);
      const state = runState(path.resolve(ROOT, rowDir));
      const common = ['--epochs', String(cumulative), '--lr', stage.lr.toPrecision(6), '--quiet'];
      if (!state || state.epochsDone < cumulative) {
        console.log(`\n[${row.id}] stage ${i}: epochs ${cumulative - stage.epochs + 1}…${cumulative} at lr ${stage.lr.toPrecision(3)} (${hms((Date.now() - t0) / 1000)} since start)`);
        if (!state) await run(['train', ...row.train, ...b.data, '--batch-size', '20', '--out', rowDir, ...common], false);
        else await run(['train', '--resume', rowDir, ...common], false);
      }
      const done = results[row.id]?.some((e) => e.epochs === cumulative);
      if ((last || b.evalAt(cumulative)) && !done) {
        const after = runState(path.resolve(ROOT, rowDir))!;
        const t = Date.now();
        const big = await evaluate(b, rowDir, b.samples);
        const five = await evaluate(b, rowDir, 5);
        (results[row.id] ??= []).push({
          epochs: cumulative, bestEpoch: after.bestEpoch ?? cumulative, negElbo: big.negElboK, negL5: five.negLogPx, nll: big.negLogPx,
          samples: b.samples, examples: big.examples, activeUnits: big.activeUnits, latent: big.latent,
          trainSeconds: trainSecondsUpTo(after, cumulative), evalSeconds: (Date.now() - t) / 1000, at: new Date().toISOString(),
        });
        // another bench process may be training other rows into the same folder: merge, row by row
        writeJsonAtomic(resultsFile, { ...readJson<Results>(resultsFile, {}), [row.id]: results[row.id] });
        console.log(`[${row.id}] epoch ${cumulative}: −ELBO ${fmt(big.negElboK)}, −L5 ${fmt(five.negLogPx)}, NLL ${fmt(big.negLogPx)} (K=${b.samples}, ${big.examples} images), active units ${big.activeUnits}/${big.latent}`);
      }
    }
  }
  printTable(rows, readJson<Results>(resultsFile, results), b, budgetName);
  await writeQualityChart(rows, readJson<Results>(resultsFile, results), b, dir);

  // the inequalities every model satisfies, whatever its training: NLL ≤ −L₅ ≤ −ELBO (up to the
  // estimators' noise: −L₅ and the NLL are Monte-Carlo estimates; allow 0.5 nats)
  const bad: string[] = [];
  for (const row of rows) {
    const e = results[row.id]?.at(-1);
    if (!e) { bad.push(`${row.id}: not evaluated`); continue; }
    if (!(e.negL5 <= e.negElbo + 0.5)) bad.push(`${row.id}: −L5 ${fmt(e.negL5)} > −ELBO ${fmt(e.negElbo)}`);
    if (!(e.nll <= e.negL5 + 0.5)) bad.push(`${row.id}: NLL ${fmt(e.nll)} > −L5 ${fmt(e.negL5)}`);
  }
  if (bad.length) {
    console.error(`bench:quality: bound ordering violated: ${bad.join('; ')}`);
    process.exit(1);
  }
}

main().catch((e: unknown) => {
  console.error(`bench:quality: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
