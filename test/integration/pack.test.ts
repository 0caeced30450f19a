/**
 * vae-ts installs and imports like a package: `npm pack` the built checkout into a temporary
 * folder, install the tarball into an empty project offline (from the npm cache, as CI has it
 * after `npm ci`), then, in that project, run the Node example, type-check the TypeScript example
 * against the installed declarations with our `tsc`, list both entry points' exports, and run the
 * `vae` bin. `npm test` builds first (dist/, web/dist/); this test packs what was built.
 *
 * Offline, npm has the packages' tarballs in its cache but not the registry's metadata it needs to
 * resolve version ranges, so the empty project gets a package-lock.json made from ours: the
 * tarball plus our locked production dependencies (what a user would get from the registry today).
 * npm 11 warns about (and, once enforced, skips) dependency install scripts the project has not
 * allowed (`allowScripts`), so a consumer may have no native addon: the install here skips its build
 * (VAE_NATIVE=0, which also keeps this test fast) and everything runs on the wasm path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-pack-'));
const project = path.join(tmp, 'project');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Run { status: number | null; stdout: string; stderr: string }
function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, encoding: 'utf8', timeout: 240_000, maxBuffer: 32 << 20, env: { ...process.env, npm_config_update_notifier: 'false', ...env } },
      (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }));
  });
}
const ok = (r: Run, what: string): Run => {
  if (r.status !== 0) throw new Error(`${what} failed (status ${r.status}):\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-2000)}`);
  return r;
};

interface LockEntry { dev?: boolean; [k: string]: unknown }
/** A package-lock.json for a project whose one dependency is the tarball: our production tree. */
function consumerLock(tarball: string, pkg: Record<string, unknown>): object {
  const ours = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', version: '1.0.0', dependencies: { 'vae-ts': `file:${tarball}` } },
    'node_modules/vae-ts': {
      version: pkg.version, resolved: `file:${tarball}`,
      integrity: `sha512-${createHash('sha512').update(fs.readFileSync(path.join(project, tarball))).digest('base64')}`,
      hasInstallScript: true, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines,
      peerDependencies: pkg.peerDependencies, peerDependenciesMeta: pkg.peerDependenciesMeta,
    },
  };
  for (const [key, entry] of Object.entries(ours.packages)) if (key.startsWith('node_modules/') && !entry.dev) packages[key] = entry;
  return { name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

beforeAll(async () => {
  for (const f of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/node.d.ts', 'dist/src/cli/main.js', 'web/dist/index.html']) {
    if (!fs.existsSync(path.join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build\` first (npm test does)`);
  }
  fs.mkdirSync(project);
  const packed = ok(await run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', project], ROOT), 'npm pack');
  const tarball = (JSON.parse(packed.stdout) as { filename: string }[])[0].filename;
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  fs.writeFileSync(path.join(project, 'package-lock.json'), JSON.stringify(consumerLock(tarball, pkg), null, 2));
  ok(await run(npm, ['install', '--offline', '--no-audit', '--no-fund', `./${tarball}`], project, { VAE_NATIVE: '0' }), 'npm install --offline of the tarball');
  for (const f of ['train-arrays.mjs', 'decode-run.ts']) fs.copyFileSync(path.join(ROOT, 'examples', f), path.join(project, f));
}, 240_000);

describe('the packed tarball in an empty project', () => {
  it('holds only what a user needs', () => {
    const installed = path.join(project, 'node_modules', 'vae-ts');
    const top = fs.readdirSync(installed).sort();
    expect(top).toEqual(['LICENSE', 'README.md', 'bin', 'dist', 'native', 'package.json', 'web']);
    expect(fs.readdirSync(path.join(installed, 'dist'))).toEqual(['src']);
    expect(fs.readdirSync(path.join(installed, 'native')).sort()).toEqual(['binding.gyp', 'build.mjs', 'src']);
    const files = fs.readdirSync(path.join(installed, 'dist', 'src'), { recursive: true }) as string[];
    expect(files.filter((f) => f.endsWith('.map') || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    // optional peers (ONNX runtimes) are not installed by default
    expect(fs.existsSync(path.join(project, 'node_modules', 'onnxruntime-node'))).toBe(false);
  });

  it('imports vae-ts and vae-ts/node and lists their API', async () => {
    const list = ok(await run(process.execPath, ['--input-type=module', '-e',
      "const a = await import('vae-ts'); const b = await import('vae-ts/node'); console.log(JSON.stringify([Object.keys(a), Object.keys(b)]));"], project), 'import');
    const [root, node] = JSON.parse(list.stdout) as [string[], string[]];
    expect(root).toEqual(expect.arrayContaining(['Vae', 'train', 'datasetFromArray', 'decodeZ', 'anomalyScores', 'loadRunFromUrl', 'useBackend']));
    expect(node).toEqual(expect.arrayContaining(['loadRunModel', 'trainRun', 'loadDataset', 'loadMnist', 'loadImageFolder', 'readImageFile']));
    expect(root.filter((n) => node.includes(n))).toEqual([]); // each name lives in one entry point
  });

  it('runs the Node example: trains on arrays and ranks the two odd inputs most anomalous', async () => {
    const r = ok(await run(process.execPath, ['train-arrays.mjs'], project), 'node train-arrays.mjs');
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { epochs: number; lastValidation: number; mostAnomalous: number[] };
    expect(summary.epochs).toBe(8);
    expect(Number.isFinite(summary.lastValidation)).toBe(true);
    expect([...summary.mostAnomalous].sort()).toEqual([5, 6]);
    expect(r.stderr).not.toMatch(/tfjs-node|Hi, looks like/);
  });

  it('type-checks the TypeScript example against the installed declarations (and catches a wrong use)', async () => {
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    // one tsc run over the example and a file that misuses the API: only the latter may fail
    fs.writeFileSync(path.join(project, 'wrong.ts'), "import { decodeZ } from 'vae-ts';\ndecodeZ('not a vae', new Float32Array(2), 1);\n");
    const r = await run(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--skipLibCheck', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), '--types', 'node', 'decode-run.ts', 'wrong.ts'], project);
    const errors = r.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^wrong\.ts\(2,9\): error TS2345: .*not assignable to parameter of type 'Vae'/);
  });

  it('installs the vae bin: npx vae --version prints the package version', async () => {
    const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const r = ok(await run(npm, ['exec', '--offline', '--', 'vae', '--version'], project), 'npx vae --version');
    expect(r.stdout.trim()).toBe(version);
  });
});
