/**
 * The explorer's static files over HTTP (src/server/static.ts through the real server): brotli and
 * gzip bodies that decompress to the file, ETag revalidation (304), long-lived caching only for
 * Vite's hashed assets, no-cache for index.html, the wasm binaries compressed too.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { serveExplorer, wasmDir, type ExplorerHandle } from '../../src/server/server.js';
import { isHashedAsset, pickEncoding } from '../../src/server/static.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-static-'));
let server: ExplorerHandle;
const JS = `export const words = ${JSON.stringify(Array.from({ length: 4000 }, (_, i) => `word${i % 97}`))};\n`;
const HTML = `<!doctype html><title>t</title>${'<p>explorer</p>'.repeat(200)}`;

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

function get(pathname: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: pathname, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  }).catch((e: Error) => {
    throw new Error(`${method} ${pathname} ${JSON.stringify(headers)}: ${e.message}`);
  });
}

describe('static files: compression and caching', () => {
  beforeAll(async () => {
    const web = path.join(tmp, 'web');
    fs.mkdirSync(path.join(web, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(web, 'index.html'), HTML);
    fs.writeFileSync(path.join(web, 'assets', 'index-DcQ7V1aj.js'), JS);
    fs.writeFileSync(path.join(web, 'assets', 'tiny-Ab12Cd34.css'), 'body{}');
    server = await serveExplorer({ runs: [], port: 0, webRoot: web });
  });
  afterAll(async () => {
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('answers brotli, gzip or identity as Accept-Encoding asks, each decoding to the file', async () => {
    const br = await get('/assets/index-DcQ7V1aj.js', { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(br.body.length).toBeLessThan(JS.length / 5);
    expect(zlib.brotliDecompressSync(br.body).toString()).toBe(JS);

    const gz = await get('/assets/index-DcQ7V1aj.js', { 'Accept-Encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gz.body).toString()).toBe(JS);

    const refused = await get('/assets/index-DcQ7V1aj.js', { 'Accept-Encoding': 'br;q=0, gzip;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body.toString()).toBe(JS);
    const plain = await get('/assets/index-DcQ7V1aj.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(Number(plain.headers['content-length'])).toBe(Buffer.byteLength(JS));

    // HEAD: the same headers, no body
    const head = await get('/assets/index-DcQ7V1aj.js', { 'Accept-Encoding': 'br' }, 'HEAD');
    expect(head.headers['content-length']).toBe(br.headers['content-length']);
    expect(head.body.length).toBe(0);
  });

  it('hashed assets are immutable for a year; index.html and unhashed files revalidate', async () => {
    expect((await get('/assets/index-DcQ7V1aj.js')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await get('/assets/tiny-Ab12Cd34.css')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    for (const p of ['/', '/index.html']) {
      const r = await get(p, { 'Accept-Encoding': 'gzip' });
      expect(r.headers['cache-control'], p).toBe('no-cache');
      expect(zlib.gunzipSync(r.body).toString(), p).toBe(HTML);
    }
    // API answers are never cached
    expect((await get('/api/runs')).headers['cache-control']).toBe('no-store');
  });

  it('an ETag that matches gives 304 without a body; a changed file gets a new ETag', async () => {
    const first = await get('/index.html');
    const etag = first.headers.etag!;
    expect(etag).toMatch(/^"[0-9a-z]+-[0-9a-z]+"$/);
    const again = await get('/index.html', { 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect((await get('/index.html', { 'If-None-Match': '"other"' })).status).toBe(200);
    const file = path.join(tmp, 'web', 'index.html');
    fs.writeFileSync(file, HTML + '<p>new</p>');
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const changed = await get('/index.html', { 'If-None-Match': etag, 'Accept-Encoding': 'br' });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(zlib.brotliDecompressSync(changed.body).toString()).toBe(HTML + '<p>new</p>'); // not the cached old body
  });

  it('a file rewritten right after its response never adds bytes to the next response on the same connection', async () => {
    // a stream without an end position would read the rewritten file's extra bytes after the body
    const file = path.join(tmp, 'web', 'grow.txt');
    fs.writeFileSync(file, 'x'.repeat(700));
    for (let i = 0; i < 60; i++) {
      const r = await get('/grow.txt');
      expect(r.body.length).toBe(Number(r.headers['content-length']));
      fs.writeFileSync(file, 'x'.repeat(700 + 10 * (i % 3)));
      fs.utimesSync(file, new Date(), new Date(Date.now() + 1000 * (i + 1)));
    }
  });

  it("tfjs's wasm binaries are compressed and revalidated", async () => {
    const file = path.join(wasmDir(), 'tfjs-backend-wasm-simd.wasm');
    const r = await get('/wasm/tfjs-backend-wasm-simd.wasm', { 'Accept-Encoding': 'br, gzip' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/wasm');
    expect(r.headers['content-encoding']).toBe('br');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.body.length).toBeLessThan(fs.statSync(file).size * 0.6);
    expect(zlib.brotliDecompressSync(r.body).equals(fs.readFileSync(file))).toBe(true);
  });

  it('helpers: which names are hashed assets; which encoding a request gets', () => {
    expect(isHashedAsset('assets/index-DcQ7V1aj.js')).toBe(true);
    expect(isHashedAsset('assets/trainWorker-CUO1kHdM.js')).toBe(true);
    expect(isHashedAsset('index.html')).toBe(false);
    expect(isHashedAsset('data/mnist-subset.bin')).toBe(false);
    expect(isHashedAsset('assets/logo.png')).toBe(false);
    expect(pickEncoding(undefined)).toBe(null);
    expect(pickEncoding('gzip, deflate, br, zstd')).toBe('br');
    expect(pickEncoding('gzip;q=1.0, br;q=0')).toBe('gzip');
    expect(pickEncoding('*')).toBe('br');
    expect(pickEncoding('*;q=0, identity')).toBe(null);
    expect(pickEncoding('deflate')).toBe(null);
  });
});
