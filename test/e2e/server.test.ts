/**
 * The explorer's HTTP server over real sockets: what it serves from a run folder, what it refuses
 * (path traversal, other files of a run, writes, foreign Host headers), and `vae serve` as a user
 * runs it (address printed, bad input -> one line and exit 2, SIGTERM -> clean exit).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { SEED000_CONV } from '../../src/models/config.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/trainer.js';
import { RUN_FORMAT, type RunJson } from '../../src/train/run.js';
import { pathSegments, serveExplorer, type ExplorerHandle } from '../../src/server/server.js';
import type { RunSummary } from '../../src/server/runs.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-serve-'));

/** A run folder with a valid run.json and stand-in model files (the server never parses them). */
function fakeRun(dir: string, epochs: number): void {
  fs.mkdirSync(path.join(dir, 'encoder'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'decoder'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'state'), { recursive: true });
  const rec = (e: number) => ({
    epoch: e, train: { loss: 3000 - e, reconstruction: 2990 - e, kl: 10 }, validation: { loss: 3001 - e, reconstruction: 2991 - e, kl: 10 }, seconds: 1, imagesPerSecond: 100,
  });
  const run: RunJson = {
    format: RUN_FORMAT, version: 1, model: SEED000_CONV, dataset: { name: 'faces', seed: 0 }, training: { ...DEFAULT_TRAIN_OPTIONS, epochs },
    backend: 'wasm', versions: { tfjs: '4.22.0', node: process.version }, paramCounts: { encoder: 1, decoder: 1 },
    history: Array.from({ length: epochs }, (_, i) => rec(i + 1)), bestEpoch: epochs, epochsDone: epochs, rngState: null, status: 'done',
    createdAt: '', updatedAt: '',
  };
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify(run));
  for (const part of ['encoder', 'decoder']) {
    fs.writeFileSync(path.join(dir, part, 'model.json'), JSON.stringify({ part }));
    fs.writeFileSync(path.join(dir, part, `weights-e${epochs}.bin`), Buffer.from([1, 2, 3, 4]));
  }
  fs.writeFileSync(path.join(dir, 'latent-grid.json'), JSON.stringify({ n: 1, params: [1, 0.5], epochs: [] }));
  fs.writeFileSync(path.join(dir, 'state', 'optimizer.json'), '{}');
}

/** A GET with the path sent exactly as given (fetch would resolve `..` before sending). */
function get(port: number, rawPath: string, { method = 'GET', host = `127.0.0.1:${port}` } = {}): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type'] ?? '') }));
    });
    req.on('error', reject);
    req.end();
  });
}

const runsDir = path.join(tmp, 'runs');
const webRoot = path.join(tmp, 'web');
let server: ExplorerHandle;

beforeAll(async () => {
  fakeRun(path.join(runsDir, 'alpha'), 3);
  fakeRun(path.join(runsDir, 'beta'), 2);
  fs.writeFileSync(path.join(tmp, 'secret.txt'), 'TOP-SECRET-CONTENT');
  fs.mkdirSync(webRoot);
  fs.writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>explorer</title>');
  fs.symlinkSync(path.join(tmp, 'secret.txt'), path.join(webRoot, 'link.txt'));
  server = await serveExplorer({ runs: [path.join(runsDir, 'alpha'), path.join(runsDir, 'beta')], port: 0, webRoot });
});

afterAll(async () => {
  await server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('explorer server', () => {
  it('binds 127.0.0.1 and serves the page', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    const r = await get(server.port, '/');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/text\/html/);
    expect(r.body).toContain('<title>explorer</title>');
  });

  it('lists the runs with dataset, model config, history and best epoch', async () => {
    const r = await get(server.port, '/api/runs');
    expect(r.status).toBe(200);
    const runs = JSON.parse(r.body) as RunSummary[];
    expect(runs.map((x) => x.name)).toEqual(['alpha', 'beta']);
    expect(runs[0].model).toEqual(SEED000_CONV);
    expect(runs[0].dataset.name).toBe('faces');
    expect(runs[0].history).toHaveLength(3);
    expect(runs[0].bestEpoch).toBe(3);
    expect(runs[1].bestEpoch).toBe(2);
    expect(runs[0].hasModel).toBe(true);
    expect(runs[0].urls.encoder).toBe('runs/alpha/encoder/model.json');
    expect(runs[0].urls.latentGrid).toBe('runs/alpha/latent-grid.json');
  });

  it('serves the model files, weights, run.json and latent-grid.json of a run', async () => {
    for (const p of ['encoder/model.json', 'decoder/model.json', 'run.json', 'latent-grid.json']) {
      const r = await get(server.port, `/runs/alpha/${p}`);
      expect(r.status, p).toBe(200);
      expect(r.type, p).toMatch(/application\/json/);
    }
    expect(JSON.parse((await get(server.port, '/runs/alpha/decoder/model.json')).body)).toEqual({ part: 'decoder' });
    const w = await get(server.port, '/runs/beta/encoder/weights-e2.bin');
    expect(w.status).toBe(200);
    expect(w.type).toBe('application/octet-stream');
  });

  it("serves tfjs's wasm binaries", async () => {
    const r = await get(server.port, '/wasm/tfjs-backend-wasm-simd.wasm', { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/wasm');
  });

  it('refuses path traversal with a 400', async () => {
    for (const p of [
      '/runs/alpha/../../secret.txt', '/runs/alpha/%2e%2e/%2e%2e/secret.txt', '/runs/alpha/encoder/..%2f..%2f..%2fsecret.txt',
      '/../secret.txt', '/%2e%2e/secret.txt', '/runs/alpha/encoder/%2e%2e%5c%2e%2e%5csecret.txt', '/wasm/..%2F..%2Fpackage.json', '/a%00b',
    ]) {
      const r = await get(server.port, p);
      expect(r.status, p).toBe(400);
      expect(r.body, p).toMatch(/^bad path/);
      expect(r.body, p).not.toContain('TOP-SECRET');
    }
  });

  it('does not follow a symlink out of the web root', async () => {
    const r = await get(server.port, '/link.txt');
    expect(r.status).toBe(400);
    expect(r.body).not.toContain('TOP-SECRET');
  });

  it('serves nothing else of a run folder, and says so', async () => {
    for (const p of ['/runs/alpha/state/optimizer.json', '/runs/alpha/encoder/other.json', '/runs/alpha/samples.png', '/runs/alpha']) {
      const r = await get(server.port, p);
      expect(r.status, p).toBe(404);
      expect(r.body.trim().split('\n'), p).toHaveLength(1);
    }
    expect((await get(server.port, '/runs/gamma/run.json')).body).toMatch(/no run named 'gamma'/);
    expect((await get(server.port, '/runs/alpha/encoder/weights-e9.bin')).status).toBe(404);
    expect((await get(server.port, '/api/nothing')).status).toBe(404);
    expect((await get(server.port, '/no-such-file.js')).status).toBe(404);
    expect((await get(server.port, '/%zz')).status).toBe(400);
  });

  it('is read-only and answers only to its own host name', async () => {
    const post = await get(server.port, '/api/runs', { method: 'POST' });
    expect(post.status).toBe(405);
    const foreign = await get(server.port, '/api/runs', { host: 'attacker.example:80' });
    expect(foreign.status).toBe(403);
    expect((await get(server.port, '/api/runs', { host: `localhost:${server.port}` })).status).toBe(200);
  });

  it('splits paths into safe segments', () => {
    expect(pathSegments('/')).toEqual([]);
    expect(pathSegments('/runs/a%20b/run.json')).toEqual(['runs', 'a b', 'run.json']);
    expect(pathSegments('/runs/')).toEqual(['runs']);
    expect(() => pathSegments('/a//b')).toThrow(/bad path/);
    expect(() => pathSegments('/a/./b')).toThrow(/bad path/);
  });

  it('refuses a folder that is not a run, and a port in use, with one-line errors', async () => {
    await expect(serveExplorer({ runs: [tmp], port: 0, webRoot })).rejects.toThrow(/not a run folder/);
    await expect(serveExplorer({ runs: [path.join(runsDir, 'alpha')], port: server.port, webRoot })).rejects.toThrow(/already in use/);
    await expect(serveExplorer({ runs: [path.join(runsDir, 'alpha')], port: 0, webRoot: tmp })).rejects.toThrow(/not built/);
  });
});

const BIN = path.join(ROOT, 'bin', 'vae.js');
const built = fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'serve.js')) && fs.existsSync(path.join(ROOT, 'web', 'dist', 'index.html'));

describe.skipIf(!built && !process.env.CI)('vae serve (compiled CLI; `npm run build` first)', () => {
  it('prints the address, serves the runs in --runs-dir, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--runs-dir', runsDir], { cwd: ROOT });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /explorer: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`vae serve exited (${code}): ${err}`)));
    });
    const runs = (await (await fetch(`${url}api/runs`)).json()) as RunSummary[];
    expect(runs.map((r) => r.name)).toEqual(['alpha', 'beta']);
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(err).toMatch(/SIGTERM: stopping/);
  });

  it('--host 0.0.0.0 warns that the runs are reachable from other machines, and still refuses a foreign Host', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '0.0.0.0', '--runs-dir', runsDir], { cwd: ROOT });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /explorer: http:\/\/0\.0\.0\.0:(\d+)\//.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`vae serve exited (${code}): ${err}`)));
    });
    expect(err).toMatch(/^warning: --host 0\.0\.0\.0 makes the explorer reachable from other machines/m);
    expect((await get(port, '/api/runs', { host: 'rebind.attacker.example' })).status).toBe(403);
    expect((await get(port, '/api/runs')).status).toBe(200);
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('bad input: one line, exit 2', () => {
    const cases: [string[], RegExp][] = [
      [['serve', '--port', 'x'], /--port must be an integer/],
      [['serve', '--port', '70000'], /--port must be an integer/],
      [['serve', path.join(tmp, 'nope')], /does not exist/],
      [['serve', '--runs-dir', path.join(tmp, 'empty')], /no runs to serve/],
    ];
    for (const [args, pattern] of cases) {
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, args.join(' ')).toBe(2);
      const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('(run with --help'));
      expect(lines, args.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
    }
  });
});
if (!built) console.warn('test/e2e/server.test.ts: skipping the `vae serve` CLI tests: run `npm run build` first (dist/ and web/dist/)');
