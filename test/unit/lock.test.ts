/**
 * The run-folder lock: refused while its owner lives, taken over when the owner is gone or its pid
 * now belongs to another process (start time differs), refused twice in one process, released.
 */
import { describe, it, expect, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LOCK_FILE, lockRunFolder, processStart } from '../../src/train/lock.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lock-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const writeLock = (dir: string, info: object): void => {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(info));
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(path.join(dir, LOCK_FILE), old, old);
};

describe('run-folder lock', () => {
  it('creates the lock with pid and start time, refuses a second taker in the same process, releases', () => {
    const dir = path.join(tmp, 'a');
    const lock = lockRunFolder(dir, 'test');
    const info = JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as { pid: number; start: string | null };
    expect(info.pid).toBe(process.pid);
    expect(info.start).toBe(processStart(process.pid));
    expect(() => lockRunFolder(dir, 'again')).toThrow(new RegExp(`in use by pid ${process.pid}`));
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    lockRunFolder(dir, 'after release').release();
  });

  it('refuses while another live process holds it (pid 1, its real start time)', () => {
    const dir = path.join(tmp, 'b');
    writeLock(dir, { pid: 1, start: processStart(1), command: 'vae train', since: 'earlier' });
    expect(() => lockRunFolder(dir, 'test')).toThrow(/run folder .*b in use by pid 1 \(vae train since earlier\)/);
  });

  it('takes over a stale lock: dead pid, reused pid (other start time), or an unreadable file', () => {
    for (const [name, info] of [
      ['dead', { pid: 2 ** 22 + 777, start: '1', command: 'vae train', since: 'x' }],
      ['reused', { pid: 1, start: 'not-the-start-of-pid-1', command: 'vae train', since: 'x' }],
      ['garbage', 'not json'],
    ] as const) {
      const dir = path.join(tmp, name);
      writeLock(dir, info as object);
      const lock = lockRunFolder(dir, 'test');
      expect((JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as { pid: number }).pid, name).toBe(process.pid);
      lock.release();
    }
  });
});
