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
import { vaeCommand } from '../command.js';
import { isOnnxRunDir, onnxServed, readOnnxRun, type OnnxModelInfo, type OnnxServed } from '../onnx/run.js';

export interface ServedRun {
  /** URL name: the folder's base name, made unique and URL-safe. */
  name: string;
  /** Absolute path of the run folder. */
  dir: string;
  /** An imported ONNX run (src/onnx/run.ts), found when the runs were named. */
  onnx?: boolean;
}

/** What `GET /api/runs` says about one run (read fresh on every request: runs may be training). */
export interface RunSummary {
  name: string;
  dataset: RunJson['dataset'];
  /** The model config; an imported ONNX run's says `kind: 'onnx'` (sizes and likelihood only). */
  model: RunJson['model'] | OnnxModelInfo;
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
    /** factors.json (`vae factors` on a faces run): R², MIG and DCI of the codes, when present. */
    factors?: string | null;
  };
  /** An imported ONNX run (src/onnx/run.ts): its graphs, loaded in the page with onnxruntime-web; encoder/decoder URLs above are unused. */
  onnx?: OnnxServed;
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
    const onnx = isOnnxRunDir(dir);
    if (onnx) readOnnxRun(dir);
    else readRun(dir); // throws a UserError naming the problem
    const base = path.basename(dir).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'run';
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${base}-${k}`;
    used.add(name);
    return onnx ? { name, dir, onnx } : { name, dir };
  });
}

const hasModelFiles = (dir: string): boolean =>
  fs.existsSync(path.join(dir, 'encoder', 'model.json')) && fs.existsSync(path.join(dir, 'decoder', 'model.json'));

/** The summary of one run; a run folder that became unreadable throws a UserError. */
export function summarise(r: ServedRun): RunSummary {
  if (r.onnx) return summariseOnnx(r);
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
      factors: fs.existsSync(path.join(r.dir, 'factors.json')) ? `${base}/factors.json` : null,
    },
  };
}

/** A run of the list that could not be read (deleted, damaged): named and marked, without any path. */
export interface BrokenRun {
  name: string;
  /** What is wrong, with paths shown relative to the run folder. */
  broken: string;
}

/** Every run's summary; a run that cannot be read is marked broken instead of failing the whole list. */
export function summariseAll(runs: ServedRun[]): (RunSummary | BrokenRun)[] {
  return runs.map((r) => {
    try {
      return summarise(r);
    } catch (e) {
      return { name: r.name, broken: e instanceof UserError ? withoutPaths(e.message, r) : 'cannot be read' };
    }
  });
}

/** A message with the run folder's absolute path (and any other absolute path) removed. */
export function withoutPaths(message: string, r: ServedRun): string {
  return message.split(r.dir + path.sep).join('').split(r.dir).join(r.name).replace(/(^|[\s('"])\/[^\s:'")]+/g, '$1…');
}

/** The summary of an imported ONNX run: no training history; its graphs in `onnx`. */
function summariseOnnx(r: ServedRun): RunSummary {
  const run = readOnnxRun(r.dir);
  const base = `runs/${encodeURIComponent(r.name)}`;
  const onnx = onnxServed(run, base);
  const hasModel = fs.existsSync(path.join(r.dir, 'encoder.onnx')) && fs.existsSync(path.join(r.dir, 'decoder.onnx'));
  return {
    name: r.name,
    // no dataset named at import: 'folder' (images of their own kind; no dataset-specific views)
    dataset: run.dataset ?? { name: 'folder' },
    model: run.model,
    // not trained here: neutral training fields (no history, no epochs); `onnx` below says what it is
    training: { epochs: 1, batchSize: 1, learningRate: 1, beta: 1, kl: 'analytic', binarize: 'none', seed: 0 } as RunJson['training'],
    history: [],
    bestEpoch: null,
    epochsDone: 0,
    status: 'done',
    hasModel,
    hasLatentGrid: false,
    urls: { run: `${base}/run.json`, encoder: onnx.encoder, decoder: onnx.decoder, latentGrid: null, testset: run.dataset && hasTestSet(run.dataset) ? `${base}/testset.bin` : null, prior: null },
    onnx,
  };
}

/** Throws unless at least one run is given. */
export function requireRuns(runs: ServedRun[], where: string): void {
  if (runs.length === 0) throw new UserError(`no runs to serve in ${where} (train one with \`${vaeCommand('start')}\` or \`${vaeCommand('train')}\`)`);
}
