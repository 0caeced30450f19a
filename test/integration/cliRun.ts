/**
 * Running the built CLI from integration tests: asynchronously (a synchronous spawn blocks
 * vitest's worker RPC), with the exit status and both streams, and the check every bad-input case
 * shares (one line, exit status 2, no stack trace).
 */
import { expect } from 'vitest';
import { execFile } from 'node:child_process';
import * as path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin', 'vae.js');

export interface Result { status: number | null; stdout: string; stderr: string }

/** Runs `vae ...args` from the package root. */
export function vae(...args: string[]): Promise<Result> {
  return vaeWithEnv({}, ...args);
}

/** Runs `vae ...args` from the package root with extra environment variables. */
export function vaeWithEnv(env: Record<string, string>, ...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000, maxBuffer: 16 << 20, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}

/** A user error: exit status 2, one line on stderr matching `pattern`, no stack trace. */
export function expectUserError(r: Result, pattern: RegExp): void {
  expect(r.status).toBe(2);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('backend:') && !l.startsWith('(run with --help'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}
