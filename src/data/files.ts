/**
 * Small Node file helpers shared by the data readers and writers.
 */
import {
  closeSync, constants as fsConstants, fstatSync, mkdirSync, openSync, readSync, realpathSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, relative } from 'node:path';
import { UserError } from '../errors.js';

/** Short text for a failed file access: "file not found", "is a folder", or the system message. */
export function fileErrorText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EISDIR') return 'is a folder, not a file';
  if (code === 'ENOTDIR') return 'is a file, not a folder';
  if (code === 'EACCES') return 'permission denied';
  return oneLine(err);
}

/** An error's message on one line. */
export function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
}

/**
 * Writes `bytes` to `path` atomically: creates the parent folders, writes `path.tmp-<pid>`, then
 * renames it over `path`, so a reader never sees a half-written file.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    injectedWriteFault(path);
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    // a failed write(2) carries no path: name the file it was for
    if (isWriteError(err) && !err.path) err.path = path;
    throw err;
  }
}

/**
 * Reads a whole file that must be a regular file of at most `maxBytes` bytes. Opening with
 * O_NONBLOCK means a FIFO never blocks the open; the size is checked on the open descriptor (so a
 * symlink to `/dev/zero` or a device is refused before anything is read), and reading stops at the
 * size `fstat` gave, so a file that grows while it is read cannot make the buffer grow.
 * Throws `UserError` naming `what` (default: the path) and the problem.
 */
export function readRegularFile(path: string, maxBytes: number, what = path): Buffer {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    throw new UserError(`${what}: ${fileErrorText(err)}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new UserError(`${what}: is a folder, not a file`);
    if (!st.isFile()) throw new UserError(`${what}: not a regular file (a pipe, device or socket)`);
    if (st.size > maxBytes) {
      throw new UserError(`${what}: ${st.size} bytes, more than the ${maxBytes} this reader accepts`);
    }
    const buf = Buffer.alloc(st.size);
    let at = 0;
    while (at < st.size) {
      const n = readSync(fd, buf, at, st.size - at, at);
      if (n === 0) break;
      at += n;
    }
    return at === st.size ? buf : buf.subarray(0, at);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${what}: ${fileErrorText(err)}`);
  } finally {
    closeSync(fd);
  }
}

/** The error codes of a failed write that are the user's to fix (space, permission, read-only). */
const WRITE_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EFBIG: 'file too large for the file system',
  EIO: 'input/output error',
};

/** Whether `err` is a failed file write or folder creation the user can fix (disk full, read-only, permission). */
export function isWriteError(err: unknown): err is NodeJS.ErrnoException {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code in WRITE_ERRORS;
}

/**
 * "cannot write FILE: no space left on the device (ENOSPC)" for a write error; the temporary
 * name of an atomic write (`x.tmp-PID`) is shown as the file it was for.
 */
export function writeErrorText(err: NodeJS.ErrnoException): string {
  // a failed copy names its source in `path` and the file it wrote in `dest`
  const file = ((err as { dest?: string }).dest ?? err.path ?? '').replace(/\.tmp-\d+$/, '');
  return `cannot write ${file || 'a file'}: ${writeErrorReason(err)}`;
}

/** "no space left on the device (ENOSPC)" for a write error. */
export function writeErrorReason(err: NodeJS.ErrnoException): string {
  return `${WRITE_ERRORS[err.code ?? ''] ?? oneLine(err)} (${err.code})`;
}

/**
 * Tests only (documented in README, Reliability): `VAE_FAULT_WRITE=CODE:TEXT` makes every atomic
 * write of a path containing TEXT fail with CODE (e.g. ENOSPC:weights-e2), where the machine cannot
 * mount a small tmpfs to fill.
 */
export function injectedWriteFault(path: string): void {
  const spec = process.env.VAE_FAULT_WRITE;
  if (!spec) return;
  const at = spec.indexOf(':');
  const code = spec.slice(0, at);
  if (at > 0 && path.includes(spec.slice(at + 1)) && code in WRITE_ERRORS) {
    throw Object.assign(new Error(`${code}: injected write fault, open '${path}'`), { code, path, syscall: 'open' });
  }
}

/**
 * Throws a UserError unless `dir` (created if missing) can be written: checked before long work,
 * so a read-only or full folder fails at once instead of after an epoch. `what` names it.
 */
export function checkWritableFolder(dir: string, what = dir): void {
  try {
    mkdirSync(dir, { recursive: true });
    const probe = `${dir}/.vae-write-test.tmp-${process.pid}`;
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (err) {
    if (isWriteError(err)) throw new UserError(`${what}: cannot write there (${WRITE_ERRORS[err.code!]}, ${err.code})`);
    throw new UserError(`${what}: cannot write there (${fileErrorText(err)})`);
  }
}

/**
 * Nesting depth of JSON text (brackets outside strings), counted without parsing: a file nested
 * deeper than any of ours is refused before `JSON.parse` and the validators recurse into it.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** Deepest nesting our JSON files have is about 12 (model topologies); 64 leaves room. */
export const MAX_JSON_DEPTH = 64;

/** Parses JSON text; invalid or absurdly nested JSON is a UserError naming `what`. */
export function parseJson(text: string, what: string, maxDepth = MAX_JSON_DEPTH): unknown {
  const depth = jsonDepth(text);
  if (depth > maxDepth) throw new UserError(`${what}: JSON nested ${depth} levels deep, more than the ${maxDepth} this reader accepts`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${what}: not valid JSON (${oneLine(e).slice(0, 200)})`);
  }
}

/** A file inside a folder, as `containedFile` found it. */
export interface ContainedFile {
  /** Its real path (symlinks resolved). */
  real: string;
  size: number;
  /** Last modification time (for an ETag). */
  mtimeMs: number;
}

/**
 * The containment rule shared by the server and export-site: `file` must resolve (through any
 * symlinks) to a regular file inside the real path of `root`. Returns null when it does not exist;
 * throws `ContainmentError` when it leads outside `root` or is not a regular file.
 */
export function containedFile(root: string, file: string): ContainedFile | null {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return null;
  }
  const rel = relative(realpathSync(root), real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new ContainmentError('outside', file);
  const st = statSync(real);
  if (!st.isFile()) throw new ContainmentError('not-file', file);
  return { real, size: st.size, mtimeMs: st.mtimeMs };
}

export class ContainmentError extends Error {
  constructor(readonly reason: 'outside' | 'not-file', readonly file: string) {
    super(reason === 'outside' ? `${file}: a link leading outside its folder` : `${file}: not a regular file`);
    this.name = 'ContainmentError';
  }
}

/** Whether a process with this pid exists (signal 0: EPERM means it exists but is not ours). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
