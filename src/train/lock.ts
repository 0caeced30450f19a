/**
 * One writer per run folder. `vae train` (fresh or --resume) holds RUN/.vae-lock while it works:
 * the file is created with O_EXCL (so of two processes that race, exactly one creates it) and
 * holds the owner's pid and process start time. A second writer is refused ("run folder in use by
 * pid N"). A lock whose pid is dead, or alive but started at another time (the pid was reused), is
 * stale and taken over, so `kill -9` never leaves a folder locked. The lock is removed on exit.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors.js';
import { injectedWriteFault, isWriteError, pidAlive, readRegularFile, writeErrorText } from '../data/files.js';

export const LOCK_FILE = '.vae-lock';

interface LockInfo { pid: number; start: string | null; command: string; since: string }

/** The start time of a process (clock ticks since boot, field 22 of /proc/PID/stat), or null where /proc is missing. */
export function processStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function readLock(file: string): LockInfo | null {
  try {
    const j = JSON.parse(readRegularFile(file, 4096).toString('utf8')) as Partial<LockInfo>; // a planted FIFO never blocks
    return Number.isSafeInteger(j.pid) && (j.pid as number) > 0 ? { pid: j.pid!, start: j.start ?? null, command: String(j.command ?? ''), since: String(j.since ?? '') } : null;
  } catch {
    return null; // half-written (its owner was killed between create and write) or damaged: stale
  }
}

/** Whether the lock's owner still runs (same pid and, where /proc tells, same start time). */
function ownerAlive(info: LockInfo): boolean {
  if (!pidAlive(info.pid)) return false;
  const start = processStart(info.pid);
  return info.start === null || start === null || start === info.start;
}

export interface RunLock {
  /** Removes the lock (also done at process exit). */
  release(): void;
}

const held = new Map<string, string>();
let exitHook = false;

/**
 * Takes the lock of run folder `dir` (created if missing) for `command`; throws a UserError when
 * another live process holds it, or when the folder cannot be written.
 */
export function lockRunFolder(dir: string, command: string): RunLock {
  const file = path.join(dir, LOCK_FILE);
  const key = path.resolve(file);
  if (held.has(key)) throw new UserError(`run folder ${dir} in use by pid ${process.pid} (this process is already training it)`);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    if (isWriteError(err)) throw new UserError(`run folder ${dir}: ${writeErrorText(err)}`);
    throw err;
  }
  const mine: LockInfo = { pid: process.pid, start: processStart(process.pid), command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      injectedWriteFault(file);
      const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
      try {
        fs.writeSync(fd, JSON.stringify(mine) + '\n');
      } finally {
        fs.closeSync(fd);
      }
      held.set(key, file);
      if (!exitHook) {
        exitHook = true;
        process.on('exit', () => {
          for (const k of [...held.keys()]) releaseLock(k);
        });
      }
      return { release: () => releaseLock(key) };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        if (isWriteError(err)) throw new UserError(`run folder ${dir} is not writable: ${writeErrorText(err)}`);
        throw err;
      }
    }
    const other = readLock(file);
    if (!other && lockAgeMs(file) < 10_000) {
      // created this instant by another process that has not written its pid yet
      throw new UserError(`run folder ${dir} in use by another process (its lock ${LOCK_FILE} was just created)`);
    }
    if (other && ownerAlive(other)) {
      throw new UserError(`run folder ${dir} in use by pid ${other.pid} (${other.command || 'vae'} since ${other.since}); wait for it to finish or stop it`);
    }
    // stale: its owner is gone. Remove it only if it is still the same file we judged.
    try {
      const now = readLock(file);
      if (JSON.stringify(now) === JSON.stringify(other)) fs.rmSync(file, { force: true });
    } catch {
      // another process took it over first: try again
    }
  }
  throw new UserError(`run folder ${dir}: cannot take its lock ${LOCK_FILE} (other processes keep taking it)`);
}

function lockAgeMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return Infinity;
  }
}

function releaseLock(key: string): void {
  const file = held.get(key);
  if (!file) return;
  held.delete(key);
  try {
    const info = readLock(file);
    if (info?.pid === process.pid) fs.rmSync(file, { force: true });
  } catch {
    // already gone
  }
}
