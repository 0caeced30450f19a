/**
 * Shared CLI plumbing: the action wrapper that turns user errors into one line + exit 2,
 * option parsers, backend start-up, and image output.
 */
import * as path from 'node:path';
import { InvalidArgumentError } from 'commander';
import { UserError } from '../errors.js';
import { useBackend, parseBackend, nativeUnavailable } from '../engine/backend.js';
import { tileImages } from '../data/imageGrid.js';
import { writePngAtomic } from '../data/png.js';

/** Runs a command body; a UserError prints `vae: message` and exits 2, anything else is a bug. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      if (e instanceof UserError) {
        process.stderr.write(`vae: ${e.message}\n`);
        process.exit(2);
      }
      throw e;
    }
  };
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

export function defaultOut(runDir: string, name: string, out?: string): string {
  return out ?? path.join(runDir, name);
}

/** Prints JSON on stdout (for --json). */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
