/**
 * A static copy of the explorer for any static host (`vae export-site`): the same URLs the server
 * answers, as files, all relative to the folder:
 *   index.html, assets/…          the built page (web/dist)
 *   wasm/*.wasm                   tfjs's WebAssembly binaries (the page's wasm backend)
 *   api/runs                      the JSON of GET /api/runs (a file without extension)
 *   runs/NAME/run.json            and, if present, latent-grid.json
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

/** Weight files named by a tfjs layers model.json (its weightsManifest paths, relative to it). */
function weightFiles(modelJson: string): string[] {
  let m: { weightsManifest?: { paths?: string[] }[] };
  try {
    m = JSON.parse(fs.readFileSync(modelJson, 'utf8')) as typeof m;
  } catch (e) {
    throw new UserError(`${modelJson}: cannot read the model (${(e as Error).message.split('\n')[0]})`);
  }
  const paths = (m.weightsManifest ?? []).flatMap((g) => g.paths ?? []);
  for (const p of paths) {
    if (p.includes('/') || p.includes('\\') || p.startsWith('.')) throw new UserError(`${modelJson}: unexpected weight path '${p}'`);
    if (!fs.existsSync(path.join(path.dirname(modelJson), p))) throw new UserError(`${modelJson}: weight file ${p} is missing`);
  }
  return paths;
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
    if (fs.readdirSync(out).length > 0 && !o.force) throw new UserError(`--out ${o.out} exists and is not empty (add --force to replace it)`);
  }
  return { summaries, dirs: new Map(served.map((r) => [r.name, r.dir])), webRoot, out };
}

function copyTree(from: string, to: string, files: string[], prefix: string, skip: (rel: string) => boolean = () => false): void {
  fs.mkdirSync(to, { recursive: true });
  for (const d of fs.readdirSync(from, { withFileTypes: true })) {
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
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.tmp-${process.pid}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  const files: string[] = [];
  const write = (rel: string, bytes: Uint8Array | string): void => {
    const file = path.join(tmp, ...rel.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
    files.push(rel);
  };
  const copy = (rel: string, src: string): void => {
    const file = path.join(tmp, ...rel.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
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
      copy(`${base}/run.json`, path.join(dir, 'run.json'));
      if (s.urls.latentGrid) copy(`${base}/latent-grid.json`, path.join(dir, 'latent-grid.json'));
      if (s.onnx) for (const f of ONNX_FILES) copy(`${base}/${f}`, path.join(dir, f));
      else for (const part of ['encoder', 'decoder']) {
        const modelJson = path.join(dir, part, 'model.json');
        const weights = weightFiles(modelJson);
        copy(`${base}/${part}/model.json`, modelJson);
        for (const w of weights) copy(`${base}/${part}/${w}`, path.join(dir, part, w));
      }
      if (s.urls.testset) write(`${base}/testset.bin`, await testSetBytes(s.dataset));
      if (s.urls.prior) {
        const prior = s.urls.prior.slice(s.urls.prior.lastIndexOf('/') + 1);
        copy(`${base}/${prior}`, path.join(dir, prior));
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
    throw e;
  }
  let bytes = 0;
  for (const f of files) bytes += fs.statSync(path.join(out, ...f.split('/'))).size;
  return { out, runs: summaries.map((s) => s.name), files: files.sort(), bytes };
}
