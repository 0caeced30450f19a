/**
 * The explorer server against hostile and malformed requests, over raw sockets (so nothing is
 * normalised on the way): path traversal in many spellings, symlinks inside a run folder that
 * point outside it, bad methods, queries, over-long URLs, missing or broken headers. Every answer
 * is a 4xx with a short one-line message, and no byte of a file outside the served folders leaks.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { SEED000_CONV } from '../../src/models/config.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/trainer.js';
import { RUN_FORMAT, type RunJson } from '../../src/train/run.js';
import { serveExplorer, type ExplorerHandle } from '../../src/server/server.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-hostile-'));
const SECRET = 'TOP-SECRET-CONTENT';
let server: ExplorerHandle;

function fakeRun(dir: string): void {
  for (const p of ['encoder', 'decoder', 'state']) fs.mkdirSync(path.join(dir, p), { recursive: true });
  const run: RunJson = {
    format: RUN_FORMAT, version: 1, model: SEED000_CONV, dataset: { name: 'faces', seed: 0 }, training: { ...DEFAULT_TRAIN_OPTIONS, epochs: 1 },
    backend: 'wasm', versions: { tfjs: '4.22.0', node: process.version }, paramCounts: { encoder: 1, decoder: 1 },
    history: [], bestEpoch: null, epochsDone: 0, rngState: null, status: 'running', createdAt: '', updatedAt: '',
  };
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify(run));
  fs.writeFileSync(path.join(dir, 'decoder', 'model.json'), '{}');
}

beforeAll(async () => {
  const secret = path.join(tmp, 'secret.txt');
  fs.writeFileSync(secret, SECRET);
  const run = path.join(tmp, 'runs', 'alpha');
  fakeRun(run);
  // symlinks inside the run folder, named like files the server does serve, pointing outside
  fs.symlinkSync(secret, path.join(run, 'encoder', 'model.json'));
  fs.symlinkSync(secret, path.join(run, 'decoder', 'weights-e1.bin'));
  fs.symlinkSync(secret, path.join(run, 'latent-grid.json'));
  fs.symlinkSync(tmp, path.join(run, 'encoder', 'weights-up.bin'));
  const web = path.join(tmp, 'web');
  fs.mkdirSync(web);
  fs.writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>explorer</title>');
  fs.writeFileSync(path.join(web, '.env'), SECRET); // a dotfile in the web root
  fakeRun(path.join(tmp, 'runs', 'beta'));
  fakeRun(path.join(tmp, 'runs', 'gamma'));
  server = await serveExplorer({ runs: [run, path.join(tmp, 'runs', 'beta'), path.join(tmp, 'runs', 'gamma')], port: 0, webRoot: web });
});

afterAll(async () => {
  await server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Sends raw bytes, returns the raw response (every request asks the server to close after answering). */
function raw(request: string): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(server.port, '127.0.0.1', () => s.write(request)); // not end(): a half-closed socket may be dropped before an async answer
    let data = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (data += d));
    s.on('error', reject);
    s.on('close', () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0), head, body: rest.join('\r\n\r\n') });
    });
  });
}

const req = (target: string, { method = 'GET', headers = `Host: 127.0.0.1:${server.port}\r\n` } = {}): Promise<{ status: number; head: string; body: string }> =>
  raw(`${method} ${target} HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`);

describe('explorer server: hostile requests', () => {
  it('refuses path traversal in every spelling (400 or 404, never the file)', async () => {
    const targets = [
      '/../secret.txt', '/runs/alpha/../../../secret.txt', '/runs/alpha/%2e%2e/%2e%2e/%2e%2e/secret.txt', '/runs/alpha/%2E%2E%2F%2E%2E%2Fsecret.txt',
      '/runs/alpha/encoder/..%2f..%2f..%2fsecret.txt', '/runs/alpha/encoder/..%5c..%5c..%5csecret.txt', '/runs/alpha/..\\..\\..\\secret.txt',
      '/%2e%2e/secret.txt', '/.%2e/secret.txt', '/%252e%252e/secret.txt', '//secret.txt', '/./secret.txt', '/runs/alpha/./run.json',
      `/runs/alpha/${encodeURIComponent(path.join(tmp, 'secret.txt'))}`, `/${path.join(tmp, 'secret.txt')}`, '/wasm/..%2f..%2fpackage.json',
      '/runs/alpha/encoder/model.json%00.bin', '/%c0%ae%c0%ae/secret.txt', '/%ef%bc%8e%ef%bc%8e/secret.txt',
      `http://127.0.0.1:${server.port}/../secret.txt`, '*', 'secret.txt',
    ];
    for (const t of targets) {
      const r = await req(t);
      expect([400, 404], t).toContain(r.status);
      expect(r.body, t).not.toContain(SECRET);
      expect(r.body.trim().split('\n'), t).toHaveLength(1);
    }
  });

  it('does not follow symlinks that lead out of a run folder, even under served names', async () => {
    for (const t of ['/runs/alpha/encoder/model.json', '/runs/alpha/decoder/weights-e1.bin', '/runs/alpha/latent-grid.json', '/runs/alpha/encoder/weights-up.bin']) {
      const r = await req(t);
      expect([400, 404], t).toContain(r.status);
      expect(r.body, t).not.toContain(SECRET);
    }
    expect((await req('/runs/alpha/decoder/model.json')).status).toBe(200); // a real file next to them is served
  });

  it('/api/runs lists the good runs when one is damaged and one deleted, marks those, and leaks no path', async () => {
    fs.writeFileSync(path.join(tmp, 'runs', 'beta', 'run.json'), '{"format": ');
    fs.rmSync(path.join(tmp, 'runs', 'gamma'), { recursive: true });
    const r = await req('/api/runs');
    expect(r.status).toBe(200);
    const list = JSON.parse(r.body) as { name: string; broken?: string; model?: unknown }[];
    expect(list.map((x) => x.name)).toEqual(['alpha', 'beta', 'gamma']);
    expect(list[0].broken).toBeUndefined();
    expect(list[0].model).toBeDefined();
    expect(list[1].broken).toMatch(/^run\.json: not valid JSON/);
    expect(list[2].broken).toMatch(/run folder gamma does not exist/);
    expect(r.body).not.toContain(tmp);
    // a file of the damaged run: no absolute path in any answer either
    const f = await req('/runs/gamma/prior-e1.json');
    expect(f.body).not.toContain(tmp);
    expect(f.body.trim().split('\n')).toHaveLength(1);
  });

  it('CONNECT gets a 405 answer; dotfiles of the web root are not served', async () => {
    const c = await raw(`CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n`);
    expect(c.status).toBe(405);
    expect(c.body).toMatch(/CONNECT not allowed/);
    for (const t of ['/.env', '/%2eenv', '/assets/.hidden']) {
      const r = await req(t);
      expect(r.status, t).toBe(404);
      expect(r.body, t).not.toContain(SECRET);
    }
  });

  it('bound to 0.0.0.0 the Host check stays on: IP literals and this machine\'s name only', async () => {
    const open = await serveExplorer({ runs: [path.join(tmp, 'runs', 'alpha')], port: 0, host: '0.0.0.0', webRoot: path.join(tmp, 'web') });
    try {
      const ask = (host: string): Promise<{ status: number }> => new Promise((resolve, reject) => {
        const s = net.connect(open.port, '127.0.0.1', () => s.write(`GET /api/runs HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
        let data = '';
        s.setEncoding('latin1');
        s.on('data', (d: string) => (data += d));
        s.on('error', reject);
        s.on('close', () => resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0) }));
      });
      expect((await ask('evil.example')).status).toBe(403);
      expect((await ask(`rebind.attacker.test:${open.port}`)).status).toBe(403);
      expect((await ask(`127.0.0.1:${open.port}`)).status).toBe(200);
      expect((await ask(`192.168.1.20:${open.port}`)).status).toBe(200);
      expect((await ask(`[::1]:${open.port}`)).status).toBe(200);
      expect((await ask(os.hostname())).status).toBe(200);
    } finally {
      await open.close();
    }
  });

  it('malformed requests: bad method (405 + Allow), bad query, unknown run, long URL, missing or foreign Host, broken syntax', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE']) {
      const r = await req('/api/runs', { method });
      expect(r.status, method).toBe(405);
      expect(r.head).toMatch(/\r\nAllow: GET, HEAD/i);
    }
    const cases: [string, Promise<{ status: number; body: string }>, number, RegExp][] = [
      ['query', req('/api/runs?limit=5'), 400, /bad query/],
      ['bad percent-encoding', req('/runs/%zz/run.json'), 400, /bad path/],
      ['unknown run', req('/runs/nope/run.json'), 404, /no run named 'nope'/],
      ['unknown API', req('/api/delete-everything'), 404, /no such API/],
      ['long URL', req(`/${'a'.repeat(5000)}`), 414, /URL too long/],
      ['no Host header', raw('GET /api/runs HTTP/1.0\r\n\r\n'), 400, /missing Host/],
      ['foreign Host', req('/api/runs', { headers: 'Host: evil.example\r\n' }), 403, /not allowed/],
      ['broken request line', raw('GARBAGE\r\n\r\n'), 400, /bad request/],
      ['broken header', raw(`GET / HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n`), 400, /bad request/],
      ['bad HTTP version', raw('GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n'), 400, /./],
      ['huge header', raw(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(20000)}\r\n\r\n`), 431, /too large/],
    ];
    for (const [name, p, status, body] of cases) {
      const r = await p;
      expect(r.status, name).toBe(status);
      expect(r.body, name).toMatch(body);
      expect(r.body.trim().split('\n'), name).toHaveLength(1);
    }
    // and the server still answers normally afterwards
    expect((await req('/api/runs')).status).toBe(200);
  });
});
