#!/usr/bin/env node
/* global process, console */
/**
 * Builds the native engine (native/src/*.c -> native/build/Release/vae_native.node) with npm's
 * own node-gyp. Run by `npm ci` / `npm install` (the "install" script) and by `npm run
 * build:native`. When OpenBLAS, a C compiler or make is missing and this runs as root on Debian,
 * it installs them first (scripts/system-deps.sh --native; VAE_NO_APT=1 prevents it); otherwise it
 * prints one line saying what to install and why, and the program runs on tfjs-wasm. It never
 * fails the install, except in CI (CI=true), where a missing native engine is an error. Nothing
 * is downloaded from outside Debian (Node's headers must be on the machine: /usr/include/node on
 * Debian). oneDNN (libdnnl-dev) runs the convolutions it is faster at when it is installed (else
 * im2col + OpenBLAS; VAE_DNNL=0 builds without it). VAE_NATIVE=0 skips the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const addon = path.join(here, 'build', 'Release', 'vae_native.node');

const ci = process.env.CI === 'true';

function skip(why) {
  console.log(`vae native engine: not built (${why}); training and evaluation run on tfjs-wasm, several times slower`);
  // CI must fail, not quietly test the slow path
  process.exit(ci ? 1 : 0);
}

/** As root on Debian (and not told otherwise), installs what the native engine needs, once. */
function installSystemDeps() {
  if (process.env.VAE_NO_APT === '1' || typeof process.getuid !== 'function' || process.getuid() !== 0) return false;
  if (run('apt-get', ['--version']).status !== 0) return false;
  const script = path.join(here, '..', 'scripts', 'system-deps.sh');
  if (!existsSync(script)) return false;
  console.log('vae native engine: installing OpenBLAS, oneDNN and a C compiler (Debian packages; VAE_NO_APT=1 skips this)');
  return run('bash', [script, '--native'], { stdio: 'inherit' }).status === 0;
}

function run(cmd, args, options = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', ...options });
}

if (process.env.VAE_NATIVE === '0') {
  console.log('vae native engine: not built (VAE_NATIVE=0); training and evaluation run on tfjs-wasm');
  process.exit(0);
}
if (process.platform !== 'linux') skip(`only Linux with OpenBLAS is supported, this is ${process.platform}`);

const cc = process.env.CC ?? 'cc';
// OpenBLAS: header and library, checked by compiling and linking a call (output to /dev/null)
const probe = '#include <cblas.h>\nint main(void){float a=1,b=1,c=0;cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,1,1,1,1.f,&a,1,&b,1,0.f,&c,1);openblas_set_num_threads(1);return c==1.f?0:1;}\n';
const toolchain = () => {
  if (run(cc, ['--version']).status !== 0) return `no C compiler (${cc})`;
  if (run('make', ['--version']).status !== 0) return 'no make';
  if (run(cc, ['-x', 'c', '-', '-o', '/dev/null', '-lopenblas'], { input: probe }).status !== 0) return 'OpenBLAS not found';
  return '';
};
let missing = toolchain();
if (missing && installSystemDeps()) missing = toolchain();
if (missing) {
  skip(`${missing}: as root, apt-get install libopenblas-dev libdnnl-dev gcc make (or bash scripts/system-deps.sh --native), then npm run build:native`);
}

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

// oneDNN (Debian libdnnl-dev), optional: the convolutions it runs faster (native/src/conv_dnnl.c);
// without it they run on im2col + OpenBLAS. VAE_DNNL=0 builds without it.
const dnnlProbe = '#include <oneapi/dnnl/dnnl.h>\nextern void omp_set_num_threads(int);\nint main(void){omp_set_num_threads(1);return dnnl_version()->major>=2?0:1;}\n';
const dnnl = process.env.VAE_DNNL !== '0' && run(cc, ['-x', 'c', '-', '-o', '/dev/null', '-ldnnl', '-lgomp'], { input: dnnlProbe }).status === 0;
const build = run(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--loglevel=error'], { cwd: here, env: { ...process.env, VAE_DNNL: dnnl ? '1' : '0' } });
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
console.log(`vae native engine: built ${path.relative(process.cwd(), addon) || addon} (${info.blas.trim()}, ${info.threads} threads; convolutions: ${info.conv}; dense layers: ${info.dense})`);
