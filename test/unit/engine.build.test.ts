/**
 * native/build.mjs (npm ci's install script) when the native engine cannot be built: one line
 * saying what to install and why, exit 0 so the install goes on (commands then run on tfjs-wasm
 * and say so) — except in CI (CI=true), where it must fail. A missing compiler (CC=/bin/false)
 * stands in for a machine without the toolchain; VAE_NO_APT=1 keeps it from installing packages;
 * the existing addon is left alone (the check comes before any build).
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'native', 'build.mjs');
const ADDON = path.join(ROOT, 'native', 'build', 'Release', 'vae_native.node');

function build(env: Record<string, string>): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8', env: { ...process.env, CC: '/bin/false', VAE_NO_APT: '1', ...env } });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('native/build.mjs without a toolchain', () => {
  it('says once what to install and why, and lets the install go on', () => {
    const before = fs.existsSync(ADDON) ? fs.statSync(ADDON).mtimeMs : null;
    const r = build({ CI: '' });
    expect(r.status).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/not built \(no C compiler.*apt-get install libopenblas-dev libdnnl-dev gcc make.*npm run build:native\).*tfjs-wasm, several times slower/);
    expect(fs.existsSync(ADDON) ? fs.statSync(ADDON).mtimeMs : null).toBe(before);
  });

  it('fails in CI (CI=true)', () => {
    const r = build({ CI: 'true' });
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/not built/);
  });

  it('VAE_NATIVE=0 skips the build quietly, also in CI', () => {
    const r = build({ CI: 'true', VAE_NATIVE: '0' });
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/VAE_NATIVE=0/);
  });
});
