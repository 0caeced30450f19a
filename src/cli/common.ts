/**
 * Shared CLI plumbing: the action wrapper that turns user errors into one line + exit 2,
 * option parsers, backend start-up, and image output.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { UserError, printable } from '../errors.js';
import { logIntervalMs } from './progress.js';
import { injectedWriteFault, isWriteError, writeErrorText } from '../data/files.js';
import { useBackend, parseBackend, nativeUnavailable } from '../engine/backend.js';
import { tileImages } from '../data/imageGrid.js';
import { writePngAtomic } from '../data/png.js';

/**
 * Runs a command body at the CLI's edge: a UserError prints `vae: message` on one line (control
 * bytes and newlines from file names or file contents escaped) and exits 2; so does a failed write
 * the user can fix (disk full, read-only folder, permission), with the file it was for. Anything
 * else is a bug.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      checkArgsText(args);
      logIntervalMs(); // a bad VAE_PROGRESS_SECONDS fails here, before any work
      await fn(...args);
    } catch (e) {
      const message = e instanceof UserError ? e.message : isWriteError(e) ? writeErrorText(e) : null;
      if (message !== null) {
        process.stderr.write(`vae: ${printable(message)}\n`);
        process.exit(2);
      }
      throw e;
    }
  };
}

/**
 * Node decodes command-line arguments as UTF-8 and puts U+FFFD for bytes that are not, so such a
 * file name can never be opened: say so instead of "file not found".
 */
function checkArgsText(args: unknown[]): void {
  const strings: string[] = [];
  for (const a of args) {
    if (typeof a === 'string') strings.push(a);
    else if (Array.isArray(a)) strings.push(...a.filter((x): x is string => typeof x === 'string'));
    else if (a && typeof a === 'object' && !(a instanceof Command)) {
      for (const v of Object.values(a as Record<string, unknown>)) if (typeof v === 'string') strings.push(v);
    }
  }
  const bad = strings.find((x) => x.includes('\ufffd'));
  if (bad !== undefined) {
    throw new UserError(`argument '${bad}' holds bytes that are not UTF-8 (shown as \\ufffd): vae cannot open such a name; rename the file or folder`);
  }
}

/** Files of a run that an output must never replace (directly in the run folder). */
const RUN_FILES = /^(run\.json|latent-grid\.json|prior-.*\.json|\.vae-lock)$/;
/** Sub-folders of a run whose files are all the run's own. */
const RUN_PARTS = new Set(['encoder', 'decoder', 'state']);

/** The run folder (holding run.json) that `file` would be a file of, or null: the one rule for every --out. */
export function runFileOwner(file: string): string | null {
  const abs = path.resolve(file);
  let dir = path.dirname(abs);
  let real = dir;
  try {
    real = fs.realpathSync(dir);
  } catch {
    // a folder that does not exist yet holds no run
  }
  const name = path.basename(abs);
  if (fs.existsSync(path.join(real, 'run.json')) && RUN_FILES.test(name)) return dir;
  // inside encoder/, decoder/, state/ or state/encoder … of a run
  for (let up = 0, d = real; up < 2; up++) {
    const parent = path.dirname(d);
    if (RUN_PARTS.has(path.basename(d)) && fs.existsSync(path.join(parent, 'run.json'))) return parent;
    if (parent === d) break;
    d = parent;
    dir = path.dirname(dir);
  }
  return null;
}

/**
 * The one guard of every output file (--out and the files written next to it): the extension
 * must be one of `exts` (e.g. ['.png']), it may not be a file of a run (run.json, model.json,
 * weights, optimizer state), not a folder or a special file, and its folder must be writable.
 * Checked before any work. `option` names the flag in the error.
 */
export function checkOutputFile(file: string, exts: readonly string[], option = '--out'): string {
  const ext = path.extname(file).toLowerCase();
  if (exts.length > 0 && !exts.includes(ext)) throw new UserError(`${option} ${file}: must end in ${exts.join(' or ')}`);
  const owner = runFileOwner(file);
  if (owner !== null) throw new UserError(`${option} ${file}: is a file of the run in ${owner}; writing there would damage the run (choose another name)`);
  let st: fs.Stats | null = null;
  try {
    st = fs.statSync(file);
  } catch {
    // a new file
  }
  if (st?.isDirectory()) throw new UserError(`${option} ${file}: is a folder, not a file`);
  if (st && !st.isFile()) throw new UserError(`${option} ${file}: not a regular file (a pipe, device or socket)`);
  const dir = path.dirname(path.resolve(file));
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory()) throw new UserError(`${option} ${file}: ${path.dirname(file)} is not a folder`);
    try {
      fs.accessSync(dir, fs.constants.W_OK);
      injectedWriteFault(path.join(dir, path.basename(file)));
    } catch (err) {
      throw new UserError(`${option} ${file}: cannot write in ${path.dirname(file)} (${isWriteError(err) ? writeErrorText(err).replace(/^cannot write [^:]*: /, '') : 'not writable'})`);
    }
  }
  return file;
}

export function intOption(name: string, min = 1, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer${max < Number.MAX_SAFE_INTEGER ? ` in [${min}, ${max}]` : ` >= ${min}`} (got '${v}')`);
    }
    return n;
  };
}

export function numberOption(name: string, { positive = false } = {}): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || (positive && n <= 0)) {
      throw new InvalidArgumentError(`${name} must be a ${positive ? 'positive ' : ''}number (got '${v}')`);
    }
    return n;
  };
}

export function choiceOption<T extends string>(name: string, choices: readonly T[]): (v: string) => T {
  return (v: string) => {
    if (!(choices as readonly string[]).includes(v)) throw new InvalidArgumentError(`${name} must be one of ${choices.join(', ')} (got '${v}')`);
    return v as T;
  };
}

let nativeNoteShown = false;

/**
 * Starts the requested tensor backend (default 'native': our C training step, falling back to
 * wasm with a one-line note when it is not built) and says which one is in use (stderr, so --json
 * stays clean).
 */
export async function startBackend(name: string | undefined, quiet = false): Promise<string> {
  const wanted = parseBackend(name ?? 'native');
  const backend = await useBackend(wanted);
  if (wanted === 'native' && backend !== 'native' && !nativeNoteShown) {
    nativeNoteShown = true;
    process.stderr.write(`note: native path not available, using wasm: ${nativeUnavailable()}\n`);
  }
  if (!quiet) process.stderr.write(`backend: ${backend}\n`);
  return backend;
}

/** Writes images (NHWC in [0,1]) as one grid PNG. */
export function writeGridPng(
  file: string, images: Float32Array, count: number, shape: [number, number, number],
  { cols, scale }: { cols?: number; scale?: number } = {},
): void {
  const [h, w, c] = shape;
  const s = scale ?? (h <= 32 ? 3 : 2);
  const grid = tileImages(images, count, h, w, c, { cols: cols ?? Math.ceil(Math.sqrt(count)), pad: 2, scale: s });
  writePngAtomic(file, grid.data, grid.width, grid.height, grid.channels as 1 | 3);
}

/**
 * The output file of a command: `out`, or `name` inside the run folder; checked by
 * `checkOutputFile` with the extensions `exts` (default: the extension of `name`).
 */
export function defaultOut(runDir: string, name: string, out?: string, exts: readonly string[] = [path.extname(name).toLowerCase()]): string {
  return checkOutputFile(out ?? path.join(runDir, name), exts, out === undefined ? 'output' : '--out');
}

/** Prints JSON on stdout (for --json). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
