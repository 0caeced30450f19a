/**
 * A static copy of the explorer for any static host (`vae export-site`): the same URLs the server
 * answers, as files, all relative to the folder:
 *   index.html, assets/…          the built page (web/dist)
 *   wasm/*.wasm                   tfjs's WebAssembly binaries (the page's wasm backend)
 *   api/runs                      the JSON of GET /api/runs (a file without extension)
 *   runs/NAME/run.json            and, if present, latent-grid.json and factors.json
 *   runs/NAME/encoder/model.json  and the weight files its manifest names; the same for decoder/
 *   runs/NAME/testset.bin         MNIST-like runs: the labelled test images (testsetFormat.ts)
 *   runs/NAME/prior-eN.json       mixture-prior runs: the prior file run.json names
 *   runs/NAME/encoder.onnx        imported ONNX runs: their two graphs (and decoder.onnx) instead of encoder/, decoder/
 * The folder is built under a temporary name next to `out` and renamed into place at the end, so
 * a failure leaves nothing behind and an existing folder is replaced only when `force` is set.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors.js';
import { ContainmentError, checkWritableFolder, injectedWriteFault, containedFile, isWriteError, pidAlive, writeErrorReason } from '../data/files.js';
import { checkModelJson, parseJsonText, readFileChecked } from '../train/checkpoint.js';
import { nameRuns, summarise, type RunSummary } from './runs.js';
import { defaultWebRoot, wasmDir } from './server.js';
import { testSetBytes } from './testset.js';
import { ONNX_FILES } from '../onnx/serve.js';

export interface ExportOptions {
  /** Run folders to include (each must hold a trained model). */
  runs: string[];
  /** Folder to write (must not exist or be empty, unless `force`). */
  out: string;
  /** Replace a non-empty `out`. */
  force?: boolean;
  /** The built page (default web/dist of this package). */
  webRoot?: string;
}

export interface ExportResult {
  out: string;
  runs: string[];
  /** Paths written, relative to `out`, with '/' separators, sorted. */
  files: string[];
  bytes: number;
}

const isInside = (child: string, parent: string): boolean => {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/**
 * A file of a run folder to copy, by the server's containment rule (`containedFile`): it must
 * resolve to a regular file inside the run folder. Null when it does not exist.
 */
function runFileToCopy(runDir: string, file: string): string | null {
  try {
    return containedFile(runDir, file)?.real ?? null;
  } catch (e) {
    if (e instanceof ContainmentError) {
      throw new UserError(`${file}: ${e.reason === 'outside' ? 'a link leading outside the run folder' : 'not a regular file'}; ` +
        'export-site copies only regular files inside the run (vae serve refuses it too)');
    }
    throw e;
  }
}

/** The weights file a run part's model.json names, checked by the same validator that loading uses. */
function modelFiles(runDir: string, part: string): { modelJson: string; weights: string; weightsName: string } {
  const file = path.join(runDir, part, 'model.json');
  const modelJson = runFileToCopy(runDir, file);
  if (!modelJson) throw new UserError(`${file}: missing`);
  const manifest = checkModelJson(parseJsonText(readFileChecked(modelJson).toString('utf8'), file), file);
  const w = path.join(runDir, part, manifest.weightsFile);
  const weights = runFileToCopy(runDir, w);
  if (!weights) throw new UserError(`${w}: weights file missing (named by ${file})`);
  const size = fs.statSync(weights).size;
  if (size !== manifest.bytes) throw new UserError(`${w}: has ${size} bytes, model.json expects ${manifest.bytes}`);
  return { modelJson, weights, weightsName: manifest.weightsFile };
}

/** Whether `dir` is an earlier export (the page and its api/runs file), the only non-empty folder --force replaces. */
function isEarlierExport(dir: string): boolean {
  const isFile = (p: string): boolean => {
    try {
      return fs.lstatSync(p).isFile();
    } catch {
      return false;
    }
  };
  return isFile(path.join(dir, 'index.html')) && isFile(path.join(dir, 'api', 'runs'));
}

/** Removes temporary folders of earlier exports to `out` whose process is gone (killed mid-export). */
function removeStaleTemporaries(out: string): void {
  const parent = path.dirname(out);
  const prefix = `.${path.basename(out)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const n of names) {
    const m = n.startsWith(prefix) ? /^(tmp|old)-(\d+)$/.exec(n.slice(prefix.length)) : null;
    if (m && Number(m[2]) !== process.pid && !pidAlive(Number(m[2]))) fs.rmSync(path.join(parent, n), { recursive: true, force: true });
  }
}

/** Checks the inputs without writing anything; throws a one-line UserError naming the problem. */
function plan(o: ExportOptions): { summaries: RunSummary[]; dirs: Map<string, string>; webRoot: string; out: string } {
  if (o.runs.length === 0) throw new UserError('no runs given: name at least one run folder');
  const served = nameRuns(o.runs);
  const summaries = served.map((r) => {
    const s = summarise(r);
    if (!s.hasModel) throw new UserError(`${r.dir} has no trained model yet (no finished epoch in encoder/ and decoder/)`);
    return s;
  });
  const webRoot = path.resolve(o.webRoot ?? defaultWebRoot());
  if (!fs.existsSync(path.join(webRoot, 'index.html'))) {
    throw new UserError(`the explorer is not built (${path.join(webRoot, 'index.html')} is missing): run \`npm run build:web\``);
  }
  const out = path.resolve(o.out);
  for (const r of served) {
    if (isInside(r.dir, out) || isInside(out, r.dir)) throw new UserError(`--out ${o.out} overlaps the run folder ${r.dir}`);
  }
  if (isInside(webRoot, out) || isInside(out, webRoot)) throw new UserError(`--out ${o.out} overlaps the built page in ${webRoot}`);
  if (fs.existsSync(out)) {
    if (!fs.statSync(out).isDirectory()) throw new UserError(`--out ${o.out} is a file, not a folder`);
    if (fs.readdirSync(out).length > 0) {
      if (!o.force) throw new UserError(`--out ${o.out} exists and is not empty (add --force to replace it)`);
      if (!isEarlierExport(out)) {
        throw new UserError(`--out ${o.out} is not empty and not an earlier export (no index.html and api/runs): --force replaces only an export or an empty folder`);
      }
    }
  }
  checkWritableFolder(path.dirname(out), `--out ${o.out}: its folder ${path.dirname(out)}`);
  return { summaries, dirs: new Map(served.map((r) => [r.name, r.dir])), webRoot, out };
}

/** Copies the built page: regular files and folders only, no dotfiles (the server does not serve them either). */
function copyTree(from: string, to: string, files: string[], prefix: string, skip: (rel: string) => boolean = () => false): void {
  fs.mkdirSync(to, { recursive: true });
  for (const d of fs.readdirSync(from, { withFileTypes: true })) {
    if (d.name.startsWith('.')) continue;
    const src = path.join(from, d.name);
    if (d.isDirectory()) copyTree(src, path.join(to, d.name), files, `${prefix}${d.name}/`, skip);
    else if (d.isFile() && !skip(`${prefix}${d.name}`)) {
      fs.copyFileSync(src, path.join(to, d.name));
      files.push(`${prefix}${d.name}`);
    }
  }
}

/** Writes the static site; see the file comment for its layout. */
export async function exportSite(o: ExportOptions): Promise<ExportResult> {
  const { summaries, dirs, webRoot, out } = plan(o);
  removeStaleTemporaries(out);
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.tmp-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  const files: string[] = [];
  const write = (rel: string, bytes: Uint8Array | string): void => {
    const file = path.join(tmp, ...rel.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    injectedWriteFault(file);
    fs.writeFileSync(file, bytes);
    files.push(rel);
  };
  const copy = (rel: string, src: string): void => {
    const file = path.join(tmp, ...rel.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    injectedWriteFault(file);
    fs.copyFileSync(src, file);
    files.push(rel);
  };
  try {
    // onnxruntime-web's ~14 MB binary only when an ONNX run is included
    const onnx = summaries.some((s) => s.onnx);
    copyTree(webRoot, tmp, files, '', (rel) => !onnx && /^assets\/ort-wasm[^/]*\.wasm$/.test(rel));
    const wasm = wasmDir();
    for (const f of fs.readdirSync(wasm)) if (f.endsWith('.wasm')) copy(`wasm/${f}`, path.join(wasm, f));
    for (const s of summaries) {
      const dir = dirs.get(s.name)!;
      const base = `runs/${s.name}`;
      // every file by the server's containment rule: a regular file inside the run folder
      const runCopy = (rel: string, file: string): void => {
        const real = runFileToCopy(dir, file);
        if (!real) throw new UserError(`${file}: missing (the run changed while it was exported?)`);
        copy(`${base}/${rel}`, real);
      };
      runCopy('run.json', path.join(dir, 'run.json'));
      if (s.urls.latentGrid) runCopy('latent-grid.json', path.join(dir, 'latent-grid.json'));
      if (s.urls.factors) runCopy('factors.json', path.join(dir, 'factors.json'));
      if (s.onnx) for (const f of ONNX_FILES) runCopy(f, path.join(dir, f));
      else for (const part of ['encoder', 'decoder']) {
        const m = modelFiles(dir, part);
        copy(`${base}/${part}/model.json`, m.modelJson);
        copy(`${base}/${part}/${m.weightsName}`, m.weights);
      }
      if (s.urls.testset) write(`${base}/testset.bin`, await testSetBytes(s.dataset));
      if (s.urls.prior) {
        const prior = s.urls.prior.slice(s.urls.prior.lastIndexOf('/') + 1);
        runCopy(prior, path.join(dir, prior));
      }
    }
    write('api/runs', JSON.stringify(summaries));
    // into place: an existing (empty, or --force) folder is moved aside first and removed after
    if (fs.existsSync(out)) {
      const old = path.join(path.dirname(out), `.${path.basename(out)}.old-${process.pid}`);
      fs.renameSync(out, old);
      fs.renameSync(tmp, out);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, out);
    }
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (isWriteError(e)) throw new UserError(`cannot write the site ${o.out}: ${writeErrorReason(e)}; nothing was exported (the partial copy was removed)`);
    throw e;
  }
  let bytes = 0;
  for (const f of files) bytes += fs.statSync(path.join(out, ...f.split('/'))).size;
  return { out, runs: summaries.map((s) => s.name), files: files.sort(), bytes };
}
