/**
 * Small Node file helpers shared by the data readers and writers.
 */
import {
  closeSync, constants as fsConstants, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
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
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
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
