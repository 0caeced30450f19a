/**
 * The explorer server under load and at shutdown, as separate processes (the compiled package):
 * - 200 concurrent keep-alive clients on loopback, 10 requests each (the page, /api/runs, a
 *   model.json, a 256 KB weights file), twice: no errors, every body complete, the server's
 *   tfjs tensor count unchanged and its RSS not growing from the first round to the second;
 *   prints requests, errors, p50/p95 latency and peak RSS;
 * - `vae serve` stops on SIGTERM and on SIGINT with an idle keep-alive connection open: exit 0,
 *   the connection closed, the port free again.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { SEED000_CONV } from '../../src/models/config.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/trainer.js';
import { RUN_FORMAT, type RunJson } from '../../src/train/run.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'vae.js');
const built = fs.existsSync(path.join(ROOT, 'dist', 'src', 'server', 'server.js'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-load-'));
const runDir = path.join(tmp, 'runs', 'alpha');
const webRoot = path.join(tmp, 'web');
const WEIGHTS = 256 * 1024;

function fakeRun(dir: string): void {
  for (const p of ['encoder', 'decoder']) fs.mkdirSync(path.join(dir, p), { recursive: true });
  const rec = { epoch: 1, train: { loss: 3, reconstruction: 2, kl: 1 }, validation: { loss: 3, reconstruction: 2, kl: 1 }, seconds: 1, imagesPerSecond: 1 };
  const run: RunJson = {
    format: RUN_FORMAT, version: 1, model: SEED000_CONV, dataset: { name: 'faces', seed: 0 }, training: { ...DEFAULT_TRAIN_OPTIONS, epochs: 1 },
    backend: 'wasm', versions: { tfjs: '4.22.0', node: process.version }, paramCounts: { encoder: 1, decoder: 1 },
    history: [rec], bestEpoch: 1, epochsDone: 1, rngState: null, status: 'done', createdAt: '', updatedAt: '',
  };
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify(run));
  for (const p of ['encoder', 'decoder']) {
    fs.writeFileSync(path.join(dir, p, 'model.json'), JSON.stringify({ part: p, pad: 'x'.repeat(4000) }));
    fs.writeFileSync(path.join(dir, p, 'weights-e1.bin'), Buffer.alloc(WEIGHTS, 7));
  }
}

beforeAll(() => {
  fakeRun(runDir);
  fs.mkdirSync(webRoot);
  fs.writeFileSync(path.join(webRoot, 'index.html'), `<!doctype html><title>explorer</title>${'<p>x</p>'.repeat(200)}`);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Stats { rss: number; peakRss: number; numTensors: number }

function ask(child: ChildProcess, message: string): Promise<Stats> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as Stats));
    child.send(message);
  });
}

/** One GET on a keep-alive agent; resolves with status, body length and ms. */
function get(agent: http.Agent, port: number, p: string): Promise<{ status: number; bytes: number; expected: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, expected: Number(res.headers['content-length']), ms: performance.now() - t0 }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

const PATHS = ['/', '/api/runs', '/runs/alpha/encoder/model.json', '/runs/alpha/decoder/weights-e1.bin', '/runs/alpha/run.json'];

/** `clients` concurrent clients, `each` requests apiece; returns latencies and the failures. */
async function round(port: number, clients: number, each: number): Promise<{ ms: number[]; errors: string[] }> {
  const ms: number[] = [];
  const errors: string[] = [];
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let k = 0; k < each; k++) {
      const p = PATHS[(c + k) % PATHS.length];
      try {
        const r = await get(agent, port, p);
        ms.push(r.ms);
        if (r.status !== 200 || r.bytes !== r.expected) errors.push(`${p}: status ${r.status}, ${r.bytes}/${r.expected} bytes`);
      } catch (e) {
        errors.push(`${p}: ${(e as Error).message}`);
      }
    }
    agent.destroy();
  }));
  return { ms, errors };
}

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const mb = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MB`;

describe.skipIf(!built && !process.env.CI)('explorer server under load (compiled package; `npm run build` first)', () => {
  it('200 concurrent clients x 10 requests, twice: no errors, complete bodies, stable memory and tensor count', { timeout: 180_000 }, async () => {
    const child = fork(path.join(import.meta.dirname, 'fixtures', 'serve-child.mjs'), [webRoot, runDir], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    try {
      const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
      const start = await ask(child, 'stats');
      const first = await round(port, 200, 10);
      const mid = await ask(child, 'stats');
      const second = await round(port, 200, 10);
      const end = await ask(child, 'stats');
      const all = [...first.ms, ...second.ms];
      const errors = [...first.errors, ...second.errors];
      console.log(
        `load test: ${all.length} requests by 200 concurrent clients, ${errors.length} errors, ` +
          `latency p50 ${quantile(all, 0.5).toFixed(1)} ms, p95 ${quantile(all, 0.95).toFixed(1)} ms, max ${Math.max(...all).toFixed(0)} ms; ` +
          `server RSS ${mb(start.rss)} at start, ${mb(mid.rss)} after round 1, ${mb(end.rss)} after round 2, peak ${mb(end.peakRss)}; ` +
          `tfjs tensors ${start.numTensors} -> ${end.numTensors}`,
      );
      expect(errors.slice(0, 5)).toEqual([]);
      expect(all).toHaveLength(4000);
      expect(end.numTensors).toBe(start.numTensors);
      // a leak would grow with every round; allow allocator noise only
      expect(end.rss - mid.rss).toBeLessThan(64 * 2 ** 20);
      expect(end.peakRss).toBeLessThan(512 * 2 ** 20);
    } finally {
      child.send('close');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});

/** Resolves when `port` on 127.0.0.1 can be bound again (the server released it). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe.skipIf((!built || !fs.existsSync(path.join(ROOT, 'web', 'dist', 'index.html'))) && !process.env.CI)('vae serve stops cleanly on signals (compiled CLI)', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s with an idle keep-alive connection: exit 0, connection closed, port free', { timeout: 60_000 }, async (signal) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', runDir], { cwd: ROOT });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<URL>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /explorer: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(new URL(m[1]));
      });
      void exited.then((code) => reject(new Error(`vae serve exited (${code}): ${err}`)));
    });
    const port = Number(url.port);
    // a keep-alive connection that stays open after its request
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const r = await get(agent, port, '/api/runs');
    expect(r.status).toBe(200);
    const socketClosed = new Promise<void>((resolve) => {
      const sockets = Object.values(agent.freeSockets).flat();
      expect(sockets).toHaveLength(1);
      sockets[0]!.once('close', () => resolve());
    });
    expect(await portIsFree(port)).toBe(false);
    child.kill(signal);
    expect(await exited).toBe(0);
    await socketClosed;
    expect(await portIsFree(port)).toBe(true);
    expect(err).toContain(`${signal}: stopping the explorer`);
    agent.destroy();
  });
});
