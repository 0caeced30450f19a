#!/usr/bin/env node
/* global process, console */
/**
 * Builds the native training step (native/vae_native.c -> native/build/Release/vae_native.node)
 * with npm's own node-gyp. Run by `npm ci` / `npm install` (the "install" script) and by
 * `npm run build:native`. It never fails the install: when a C compiler, make, Node's headers or
 * OpenBLAS (Debian: libopenblas-dev) is missing, it prints one line and leaves the program on the
 * wasm path. Nothing is downloaded (Node's headers must be on the machine: /usr/include/node on
 * Debian). VAE_NATIVE=0 skips the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const addon = path.join(here, 'build', 'Release', 'vae_native.node');

function skip(why) {
  console.log(`vae native path: not built (${why}); training uses the wasm path`);
  process.exit(0);
}

function run(cmd, args, options = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', ...options });
}

if (process.env.VAE_NATIVE === '0') skip('VAE_NATIVE=0');
if (process.platform !== 'linux') skip(`only Linux with OpenBLAS is supported, this is ${process.platform}`);

const cc = process.env.CC ?? 'cc';
if (run(cc, ['--version']).status !== 0) skip(`no C compiler (${cc})`);
if (run('make', ['--version']).status !== 0) skip('no make');

// OpenBLAS: header and library, checked by compiling and linking a call (output to /dev/null)
const probe = '#include <cblas.h>\nint main(void){float a=1,b=1,c=0;cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,1,1,1,1.f,&a,1,&b,1,0.f,&c,1);openblas_set_num_threads(1);return c==1.f?0:1;}\n';
const link = run(cc, ['-x', 'c', '-', '-o', '/dev/null', '-lopenblas'], { input: probe });
if (link.status !== 0) skip('OpenBLAS not found: apt-get install libopenblas-dev');

// Node's headers, from the machine (never downloaded)
const candidates = [process.env.npm_config_nodedir, path.dirname(path.dirname(process.execPath)), '/usr'].filter(Boolean);
const nodedir = candidates.find((d) => existsSync(path.join(d, 'include', 'node', 'node_api.h')));
if (!nodedir) skip(`Node's headers (include/node/node_api.h) not found under ${candidates.join(', ')}`);

// npm's node-gyp: npm names it in lifecycle scripts; else next to this node's npm
const gypCandidates = [
  process.env.npm_config_node_gyp,
  path.join(path.dirname(path.dirname(process.execPath)), 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  '/usr/share/nodejs/node-gyp/bin/node-gyp.js',
].filter(Boolean);
const gyp = gypCandidates.find((p) => existsSync(p));
if (!gyp) skip('node-gyp not found (it comes with npm)');

const build = run(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--loglevel=error'], { cwd: here });
if (build.status !== 0) {
  const lines = `${build.stderr}\n${build.stdout}`.split('\n').map((l) => l.trim()).filter((l) => /error/i.test(l));
  rmSync(path.join(here, 'build'), { recursive: true, force: true });
  skip(`node-gyp failed: ${lines[0] ?? `exit status ${build.status}`}`);
}

// it must load and answer (a missing shared library shows here, not at build time)
const check = run(process.execPath, ['-e', `const a = require(${JSON.stringify(addon)}); console.log(JSON.stringify(a.info()))`]);
if (check.status !== 0) {
  rmSync(path.join(here, 'build'), { recursive: true, force: true });
  skip(`the built addon does not load: ${(check.stderr.split('\n').find((l) => /Error/.test(l)) ?? '').trim()}`);
}
const info = JSON.parse(check.stdout);
console.log(`vae native path: built ${path.relative(process.cwd(), addon) || addon} (${info.blas.trim()}, ${info.threads} threads)`);
