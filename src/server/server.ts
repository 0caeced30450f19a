/**
 * The explorer's HTTP server (Node `http`, no framework). Read-only. It serves:
 *   GET /                         the built explorer (web/dist)
 *   GET /api/runs                 the runs: name, dataset, model config, history, best epoch, URLs
 *   GET /runs/NAME/run.json       and latent-grid.json, encoder/model.json, decoder/model.json and
 *                                 their weight files (*.bin); nothing else of a run folder
 *   GET /wasm/*.wasm              tfjs's WebAssembly binaries, for the browser's wasm backend
 *   GET /runs/NAME/testset.bin    MNIST-like runs: up to 2000 labelled test images (testsetFormat.ts)
 *   GET /runs/NAME/prior-eN.json  mixture-prior runs: the prior file run.json names (best epoch N)
 *   GET /runs/NAME/encoder.onnx   imported ONNX runs: their two graphs (and decoder.onnx)
 * Every other path is a 404; paths that try to leave a folder are a 400. It binds 127.0.0.1 unless
 * told otherwise.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isIP, type AddressInfo } from 'node:net';
import * as os from 'node:os';
import { UserError } from '../errors.js';
import { readRun } from '../train/run.js';
import { ContainmentError, containedFile, type ContainedFile } from '../data/files.js';
import { nameRuns, priorFileOf, summariseAll, withoutPaths, type ServedRun } from './runs.js';
import { testSetBytes } from './testset.js';
import { hasTestSet } from './testsetFormat.js';
import { sendStatic, StaticError, TYPES } from './static.js';
import { ONNX_FILE, readOnnxRun } from '../onnx/serve.js';

export interface ExplorerOptions {
  /** Run folders to serve. */
  runs: string[];
  /** Port (default 8080; 0 picks a free one). */
  port?: number;
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Folder of the built explorer (default: web/dist of this package). */
  webRoot?: string;
}

export interface ExplorerHandle {
  /** The page's address, e.g. http://127.0.0.1:8080/ */
  url: string;
  port: number;
  server: http.Server;
  /** Stops listening, ends idle connections at once and the others after `graceMs` (default 2 s). */
  close(graceMs?: number): Promise<void>;
}

export const DEFAULT_PORT = 8080;

/** The folder holding this package's package.json (works from src/ under vitest and from dist/). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'vae-ts') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the vae-ts package root');
    dir = up;
  }
}

export function defaultWebRoot(): string {
  return path.join(packageRoot(), 'web', 'dist');
}

/** Folder of @tensorflow/tfjs-backend-wasm's .wasm files. */
export function wasmDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * Splits a URL path into decoded segments; throws a 400 for anything that could leave the folder
 * it is resolved against (`..`, `.`, empty segments, slashes or NUL inside a segment).
 */
export function pathSegments(pathname: string): string[] {
  if (!pathname.startsWith('/')) throw new HttpError(400, 'bad path: must start with /');
  const raw = pathname.slice(1).split('/');
  if (raw.length > 1 && raw[raw.length - 1] === '') raw.pop(); // one trailing slash is fine
  if (raw.length === 1 && raw[0] === '') return [];
  return raw.map((s) => {
    let d: string;
    try {
      d = decodeURIComponent(s);
    } catch {
      throw new HttpError(400, 'bad path: invalid percent-encoding');
    }
    if (d === '' || d === '.' || d === '..' || /[/\\\0]/.test(d)) throw new HttpError(400, `bad path segment '${s}'`);
    return d;
  });
}

/** Resolves segments inside root; a result outside root (e.g. through a symlink) is a 400. */
function inside(root: string, segments: string[]): string {
  const file = path.resolve(root, ...segments);
  const rel = path.relative(root, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new HttpError(400, 'bad path: outside the served folder');
  return file;
}

const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** The file of a run a `/runs/NAME/...` path names, or a 404 for anything not served. */
function runFilePath(run: ServedRun, rest: string[]): string {
  const p = rest.join('/');
  if (p === 'run.json' || p === 'latent-grid.json' || p === 'factors.json') return inside(run.dir, rest);
  if (run.onnx) {
    if (rest.length === 1 && ONNX_FILE.test(p)) return inside(run.dir, rest);
    throw new HttpError(404, `not served: ${p} (an ONNX run serves run.json, encoder.onnx and decoder.onnx)`);
  }
  // a mixture prior: only the file run.json names (not older epochs' or state/'s)
  if (rest.length === 1 && /^prior-e\d+\.json$/.test(p) && p === priorFileOf(readRun(run.dir))) return inside(run.dir, rest);
  if (rest.length === 2 && (rest[0] === 'encoder' || rest[0] === 'decoder')) {
    if (rest[1] === 'model.json' || (SAFE_NAME.test(rest[1]) && rest[1].endsWith('.bin'))) return inside(run.dir, rest);
  }
  throw new HttpError(404, `not served: ${p} (a run serves run.json, latent-grid.json, factors.json, encoder/, decoder/ and its prior file)`);
}

function send(res: http.ServerResponse, status: number, body: string, type: string, head: boolean): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(head ? undefined : body);
}

/**
 * Streams a file; a missing file is a 404. The containment rule export-site shares
 * (`containedFile`): the file must resolve to a regular file inside `root`.
 */
async function sendFile(res: http.ServerResponse, root: string, file: string, head: boolean, cache: string): Promise<void> {
  let found: ContainedFile | null;
  try {
    found = containedFile(root, file);
  } catch (e) {
    if (e instanceof ContainmentError && e.reason === 'outside') throw new HttpError(400, 'bad path: outside the served folder');
    throw new HttpError(404, `not found: ${path.relative(root, file)}`);
  }
  if (!found) throw new HttpError(404, `not found: ${path.relative(root, file)}`);
  const { real, size } = found;
  const stat = { size };
  res.writeHead(200, {
    'Content-Type': TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': stat.size,
    'Cache-Control': cache,
    'X-Content-Type-Options': 'nosniff',
  });
  if (head) {
    res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    const stream = fs.createReadStream(real);
    stream.on('error', () => res.destroy());
    stream.on('close', resolve);
    stream.pipe(res);
  });
}

/** testset.bin of an MNIST-like run (built from its dataset spec once per process). */
async function sendTestSet(res: http.ServerResponse, run: ServedRun, head: boolean): Promise<void> {
  const spec = run.onnx ? readOnnxRun(run.dir).dataset : readRun(run.dir).dataset;
  if (!spec || !hasTestSet(spec)) throw new HttpError(404, `run '${run.name}' has no test set (only MNIST-like runs do)`);
  const bytes = await testSetBytes(spec);
  res.writeHead(200, { 'Content-Type': TYPES['.bin'], 'Content-Length': bytes.length, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
  res.end(head ? undefined : bytes);
}

/** Longest request target accepted (our URLs are short; Node itself refuses headers over 16 KB with 431). */
const MAX_URL = 2048;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * Host names accepted when bound beyond loopback (--host 0.0.0.0): IP literals, loopback names and
 * this machine's host name. A DNS name of another site that resolves here (DNS rebinding) is refused.
 */
export function allowedRemoteHost(host: string): boolean {
  if (LOOPBACK.has(host) || isIP(host) !== 0 || (host.startsWith('[') && host.endsWith(']') && isIP(host.slice(1, -1)) === 6)) return true;
  const me = os.hostname().toLowerCase();
  return host === me || host === `${me}.local`;
}

/** The request handler (exported for tests that want it without a socket). */
export function createHandler(runs: ServedRun[], webRoot: string, loopbackOnly: boolean): http.RequestListener {
  const byName = new Map(runs.map((r) => [r.name, r]));
  const wasm = wasmDir();
  return (req, res) => {
    const head = req.method === 'HEAD';
    const handle = async (): Promise<void> => {
      if (req.method !== 'GET' && !head) {
        res.setHeader('Allow', 'GET, HEAD');
        throw new HttpError(405, `method ${req.method ?? '?'} not allowed (the explorer is read-only)`);
      }
      if ((req.url ?? '').length > MAX_URL) throw new HttpError(414, `URL too long (${(req.url ?? '').length} characters, at most ${MAX_URL})`);
      if (req.headers.host === undefined) throw new HttpError(400, 'missing Host header');
      // A page on another site must not read runs through a name that resolves to 127.0.0.1.
      const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
      if (loopbackOnly ? !LOOPBACK.has(hostHeader) : !allowedRemoteHost(hostHeader)) throw new HttpError(403, `host '${hostHeader.slice(0, 100)}' not allowed`);
      // the raw path, not `new URL(...).pathname`: that would quietly resolve `..` segments
      const pathname = (req.url ?? '/').split(/[?#]/)[0];
      const seg = pathSegments(pathname);
      const url = { pathname };
      if (seg[0] === 'api') {
        const query = (req.url ?? '').slice(pathname.length);
        if (query !== '' && query !== '?') throw new HttpError(400, `bad query: ${url.pathname} takes no parameters`);
        if (seg.length === 2 && seg[1] === 'runs') {
          const body = JSON.stringify(summariseAll(runs));
          send(res, 200, body, TYPES['.json'], head);
          return;
        }
        throw new HttpError(404, `no such API: ${url.pathname} (there is /api/runs)`);
      }
      if (seg[0] === 'runs') {
        if (seg.length < 3) throw new HttpError(404, `not found: ${url.pathname} (use /runs/NAME/run.json)`);
        const run = byName.get(seg[1]);
        if (!run) throw new HttpError(404, `no run named '${seg[1]}'`);
        if (seg.length === 3 && seg[2] === 'testset.bin') {
          await sendTestSet(res, run, head);
          return;
        }
        await sendFile(res, run.dir, runFilePath(run, seg.slice(2)), head, 'no-store');
        return;
      }
      if (seg[0] === 'wasm') {
        if (seg.length !== 2 || !SAFE_NAME.test(seg[1]) || !seg[1].endsWith('.wasm')) throw new HttpError(404, `not found: ${url.pathname}`);
        await sendStatic(req, res, wasm, inside(wasm, seg.slice(1)), { head });
        return;
      }
      // dotfiles (.env, .git, editor files) of the web root are never served
      if (seg.some((x) => x.startsWith('.'))) throw new HttpError(404, `not found: ${url.pathname}`);
      const file = seg.length === 0 ? path.join(webRoot, 'index.html') : inside(webRoot, seg);
      await sendStatic(req, res, webRoot, file, { head });
    };
    handle().catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof HttpError || e instanceof StaticError) send(res, e.status, e.message + '\n', TYPES['.txt'], head);
      else if (e instanceof UserError) {
        // a run that became unreadable: say what, never where (no absolute path in the body)
        const run = runs.find((r) => e.message.includes(r.dir));
        send(res, 500, (run ? withoutPaths(e.message, run) : 'a run file cannot be read') + '\n', TYPES['.txt'], head);
      } else send(res, 500, 'internal error\n', TYPES['.txt'], head);
    });
  };
}

/** Starts the explorer server; resolves once it listens. */
export async function serveExplorer(opts: ExplorerOptions): Promise<ExplorerHandle> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? DEFAULT_PORT;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new UserError(`port must be an integer in [0, 65535] (got ${port})`);
  const webRoot = path.resolve(opts.webRoot ?? defaultWebRoot());
  if (!fs.existsSync(path.join(webRoot, 'index.html'))) {
    throw new UserError(`the explorer is not built (${path.join(webRoot, 'index.html')} is missing): run \`npm run build:web\``);
  }
  const runs = nameRuns(opts.runs);
  const server = http.createServer(createHandler(runs, webRoot, LOOPBACK.has(host)));
  // CONNECT (a proxy tunnel) never reaches the handler: answer it, then close
  server.on('connect', (_req: http.IncomingMessage, socket: import('node:stream').Duplex) => {
    const body = 'method CONNECT not allowed (the explorer is not a proxy)\n';
    socket.end(`HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  // requests Node cannot parse (bad request line or headers): a short answer, then close
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const body = tooLarge ? 'request headers too large\n' : 'bad request\n';
    socket.end(`HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      if (e.code === 'EADDRINUSE') reject(new UserError(`port ${port} on ${host} is already in use (choose another with --port, or --port 0 for a free one)`));
      else if (e.code === 'EACCES') reject(new UserError(`no permission to listen on ${host}:${port} (choose a port above 1023)`));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') reject(new UserError(`cannot listen on address '${host}'`));
      else reject(e);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${shownHost}:${actual}/`,
    port: actual,
    server,
    close(graceMs = 2000) {
      // stop listening, end idle keep-alive connections now, and give requests in flight a moment
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
