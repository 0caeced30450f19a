/**
 * The runs the explorer serves: found on disk, given URL-safe names, summarised for `/api/runs`.
 * Read-only: nothing here writes to a run folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors.js';
import { latentGridFile, readRun, runFile, type RunJson } from '../train/run.js';
import { priorFileName } from '../train/priorFile.js';
import { hasTestSet } from './testsetFormat.js';

export interface ServedRun {
  /** URL name: the folder's base name, made unique and URL-safe. */
  name: string;
  /** Absolute path of the run folder. */
  dir: string;
}

/** What `GET /api/runs` says about one run (read fresh on every request: runs may be training). */
export interface RunSummary {
  name: string;
  dataset: RunJson['dataset'];
  model: RunJson['model'];
  training: RunJson['training'];
  history: RunJson['history'];
  bestEpoch: number | null;
  epochsDone: number;
  status: RunJson['status'];
  /** encoder/ and decoder/ hold a model (at least one epoch finished). */
  hasModel: boolean;
  /** latent-grid.json exists (2-D faces runs). */
  hasLatentGrid: boolean;
  /** URLs relative to the site root. */
  urls: {
    run: string; encoder: string; decoder: string; latentGrid: string | null; testset: string | null;
    /** A mixture-prior run: its prior-<tag>.json (the best epoch's), when present; absent or null means N(0, I). */
    prior?: string | null;
  };
}

/** The prior file a run's run.json names (mixture prior, best epoch), or null; whether it exists is not checked. */
export function priorFileOf(run: Pick<RunJson, 'model' | 'bestEpoch'>): string | null {
  return (run.model.prior?.kind === 'gmm' || run.model.prior?.kind === 'vamp') && run.bestEpoch !== null ? priorFileName(`e${run.bestEpoch}`) : null;
}

/** The run folders directly inside `parent` (those holding run.json), sorted by name. */
export function findRuns(parent: string): string[] {
  if (!fs.existsSync(parent)) return [];
  return fs.readdirSync(parent, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(runFile(path.join(parent, d.name))))
    .map((d) => path.join(parent, d.name))
    .sort();
}

/** Checks every folder is a run (one-line UserError otherwise) and names them uniquely. */
export function nameRuns(dirs: string[]): ServedRun[] {
  const used = new Set<string>();
  return dirs.map((d) => {
    const dir = path.resolve(d);
    readRun(dir); // throws a UserError naming the problem
    const base = path.basename(dir).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'run';
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${base}-${k}`;
    used.add(name);
    return { name, dir };
  });
}

const hasModelFiles = (dir: string): boolean =>
  fs.existsSync(path.join(dir, 'encoder', 'model.json')) && fs.existsSync(path.join(dir, 'decoder', 'model.json'));

/** The summary of one run; a run folder that became unreadable throws a UserError. */
export function summarise(r: ServedRun): RunSummary {
  const run = readRun(r.dir);
  const base = `runs/${encodeURIComponent(r.name)}`;
  const hasLatentGrid = fs.existsSync(latentGridFile(r.dir));
  const prior = priorFileOf(run);
  return {
    name: r.name,
    dataset: run.dataset,
    model: run.model,
    training: run.training,
    history: run.history,
    bestEpoch: run.bestEpoch,
    epochsDone: run.epochsDone,
    status: run.status,
    hasModel: run.bestEpoch !== null && hasModelFiles(r.dir),
    hasLatentGrid,
    urls: {
      run: `${base}/run.json`,
      encoder: `${base}/encoder/model.json`,
      decoder: `${base}/decoder/model.json`,
      latentGrid: hasLatentGrid ? `${base}/latent-grid.json` : null,
      // MNIST-like runs: up to 2000 labelled test images (layout in testsetFormat.ts)
      testset: hasTestSet(run.dataset) ? `${base}/testset.bin` : null,
      // mixture-prior runs: the prior's parameters (src/train/priorFile.ts)
      prior: prior && fs.existsSync(path.join(r.dir, prior)) ? `${base}/${prior}` : null,
    },
  };
}

/** Throws unless at least one run is given. */
export function requireRuns(runs: ServedRun[], where: string): void {
  if (runs.length === 0) throw new UserError(`no runs to serve in ${where} (train one with \`vae start\` or \`vae train\`)`);
}
