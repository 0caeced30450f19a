/**
 * Static files of the explorer (the built page and tfjs's .wasm binaries), served compressed and
 * cacheable:
 * - brotli or gzip (`node:zlib`) for text and wasm, as the request's Accept-Encoding allows,
 *   compressed once per file version and kept in memory (a bounded cache);
 * - a strong ETag from the file's size and modification time, answered with 304 on If-None-Match;
 * - `Cache-Control: public, max-age=31536000, immutable` for hashed assets (Vite's
 *   `assets/NAME-HASH.ext`), `no-cache` (revalidate with the ETag) for everything else.
 * Symlinks may not lead outside the served root.
 */
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { ContainmentError, containedFile, type ContainedFile } from '../data/files.js';

/** Content types of the files the server sends (by extension; anything else is application/octet-stream). */
export const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.bin': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Extensions worth compressing (PNG is compressed already). */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.wasm', '.svg', '.txt', '.bin']);

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'no-cache';

/** A Vite-hashed asset (`assets/index-DcQ7V1aj.js`): its content never changes under that name. */
export function isHashedAsset(relPath: string): boolean {
  return /^assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(relPath.split(path.sep).join('/'));
}

/** The encoding to answer with: brotli, else gzip, else none (q=0 refuses one). */
export function pickEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | null {
  if (!acceptEncoding) return null;
  const offered = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    offered.set(name.trim(), q ? Number(q.slice(2)) : 1);
  }
  const ok = (name: string): boolean => (offered.get(name) ?? offered.get('*') ?? 0) > 0;
  if (ok('br')) return 'br';
  if (ok('gzip')) return 'gzip';
  return null;
}

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** Compressed bodies by file, version and encoding; at most CACHE_BYTES of them are kept. */
const cache = new Map<string, Promise<Buffer>>();
const sizes = new Map<string, number>();
let cachedBytes = 0;
const CACHE_BYTES = 64 * 1024 * 1024;

function compressed(file: string, etag: string, size: number, encoding: 'br' | 'gzip'): Promise<Buffer> {
  const key = `${file}\0${etag}\0${encoding}`;
  let p = cache.get(key);
  if (!p) {
    p = fs.promises.readFile(file).then((raw) => {
      // the file changed since its stat: answer with what was read, but do not keep it under this ETag
      if (raw.length !== size) queueMicrotask(() => forget(key));
      return raw;
    }).then((raw) => encoding === 'br'
      ? brotli(raw, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } })
      : gzip(raw, { level: 9 }));
    cache.set(key, p);
    p.then((buf) => {
      if (!cache.has(key)) return;
      sizes.set(key, buf.length);
      cachedBytes += buf.length;
      // drop the oldest entries past the budget
      for (const [k] of cache) {
        if (cachedBytes <= CACHE_BYTES || k === key) break;
        cachedBytes -= sizes.get(k) ?? 0;
        sizes.delete(k);
        cache.delete(k);
      }
    }, () => cache.delete(key));
  }
  return p;
}

function forget(key: string): void {
  cachedBytes -= sizes.get(key) ?? 0;
  sizes.delete(key);
  cache.delete(key);
}

export class StaticError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface StaticOptions {
  head: boolean;
  /** Cache-Control; default: immutable for hashed assets under root, else no-cache. */
  cache?: string;
}

/**
 * Sends `file` (inside `root`) for a GET or HEAD: 304 when the client's ETag matches, else 200
 * with a compressed body when the client accepts one. Throws StaticError (404 / 400) for a
 * missing file or one outside root.
 */
export async function sendStatic(req: http.IncomingMessage, res: http.ServerResponse, root: string, file: string, o: StaticOptions): Promise<void> {
  let found: ContainedFile | null;
  try {
    found = containedFile(root, file);
  } catch (e) {
    if (!(e instanceof ContainmentError)) throw e;
    if (e.reason === 'outside') throw new StaticError(400, 'bad path: outside the served folder');
    found = null;
  }
  if (!found) throw new StaticError(404, `not found: ${path.relative(root, file)}`);
  const { real, size, mtimeMs } = found;
  const rel = path.relative(fs.realpathSync(root), real);

  const ext = path.extname(real).toLowerCase();
  const etag = `"${size.toString(36)}-${Math.floor(mtimeMs).toString(36)}"`;
  const encoding = COMPRESSIBLE.has(ext) && size > 1024 ? pickEncoding(req.headers['accept-encoding']) : null;
  const headers: http.OutgoingHttpHeaders = {
    'Content-Type': TYPES[ext] ?? 'application/octet-stream',
    'Cache-Control': o.cache ?? (isHashedAsset(rel) ? IMMUTABLE : REVALIDATE),
    ETag: etag,
    'X-Content-Type-Options': 'nosniff',
  };
  if (COMPRESSIBLE.has(ext)) headers.Vary = 'Accept-Encoding';
  const match = req.headers['if-none-match'];
  if (match && match.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  if (encoding) {
    const body = await compressed(real, etag, size, encoding);
    res.writeHead(200, { ...headers, 'Content-Encoding': encoding, 'Content-Length': body.length });
    res.end(o.head ? undefined : body);
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Length': size });
  if (o.head || size === 0) {
    res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    // exactly the bytes announced: a file that grows meanwhile must not add bytes after the body
    // (they would corrupt the next response on a keep-alive connection)
    const stream = fs.createReadStream(real, { start: 0, end: size - 1 });
    stream.on('error', () => res.destroy());
    stream.on('close', resolve);
    stream.pipe(res);
  });
}
