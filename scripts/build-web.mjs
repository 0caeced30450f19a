#!/usr/bin/env node
/* global process, console */
/**
 * Builds the explorer (web/dist) unless it is already built from the same inputs: `npm run build`
 * (which `npm ci` runs through `prepare`, and `npm test` runs again) calls this, so the second
 * call costs a hash of the sources instead of a minute of Vite. The inputs are every file of web/
 * and src/ (the page imports library modules), the Vite and TypeScript configs, the lockfile and
 * the MNIST-subset script; their SHA-256 is stored in web/dist/.inputs-sha256 after a build. Any
 * change to one of them, a missing output or `--force` rebuilds (the same steps as
 * `npm run build:web`).
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stampFile = path.join(root, 'web', 'dist', '.inputs-sha256');
const outputs = ['web/dist/index.html', 'web/dist/data/mnist-subset.bin'];
const SKIP = new Set(['web/dist', 'web/public/data', 'node_modules']);

function listFiles(rel) {
  const abs = path.join(root, rel);
  if (!fs.existsSync(abs)) return [];
  if (!fs.statSync(abs).isDirectory()) return [rel];
  return fs.readdirSync(abs).sort().flatMap((name) => {
    const child = `${rel}/${name}`;
    return SKIP.has(child) ? [] : listFiles(child);
  });
}

function inputsHash() {
  const files = ['web', 'src', 'vite.config.ts', 'tsconfig.json', 'package-lock.json', 'scripts/build-mnist-subset.mjs', 'scripts/build-web.mjs'].flatMap(listFiles);
  const h = createHash('sha256');
  for (const f of files) {
    h.update(`${f}\0`);
    h.update(fs.readFileSync(path.join(root, f)));
    h.update('\0');
  }
  return h.digest('hex');
}

const hash = inputsHash();
const force = process.argv.includes('--force');
const built = outputs.every((f) => fs.existsSync(path.join(root, f)));
if (!force && built && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8').trim() === hash) {
  console.log('web/dist is up to date (its sources are unchanged since it was built)');
  process.exit(0);
}
const r = spawnSync('npm', ['run', 'build:web'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
fs.writeFileSync(stampFile, `${hash}\n`);
