/**
 * examples/browser: the tiny Vite page that imports `vae-ts` (the built entry point, dist/src/index.js)
 * is built here, given a small run trained here as `run/`, served as static files and opened in
 * headless Chromium. The page loads the run with `loadRunFromUrl` and decodes z = 0 onto its canvas;
 * its decodings must match `decodeZ` of the same run loaded in Node with `loadRunModel`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { DEFAULT_TRAIN_OPTIONS, MLP_400_20, decodeZ, fitModelToData, generateFaces, useBackend } from '../../src/index.js';
import { loadRunModel, trainRun } from '../../src/node.js';
import { CHROMIUM, ROOT, haveChromium, launch, pixels, watch } from './browser.js';

const skip = !haveChromium && !process.env.CI; // in CI a missing Chromium fails the test
if (skip) console.warn(`test/e2e/example.browser.test.ts: skipped: ${CHROMIUM} is missing (install it: bash scripts/system-deps.sh, as root)`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-e2e-example-'));
const site = path.join(tmp, 'site');
let server: http.Server;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  if (skip) return;
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'index.js'))) throw new Error('dist/src/index.js is missing: run `npm run build` first (npm test does)');
  await build({ configFile: path.join(ROOT, 'examples', 'browser', 'vite.config.ts'), logLevel: 'warn', build: { outDir: site, emptyOutDir: true } });
  await useBackend('wasm');
  const faces = generateFaces({ count: 300 });
  await trainRun({
    dir: path.join(site, 'run'), model: fitModelToData(MLP_400_20, faces, { hidden: [48], latent: 2, likelihood: { kind: 'gaussian', sigma2: 1 } }),
    dataset: { name: 'faces', seed: 0 }, data: faces, options: { ...DEFAULT_TRAIN_OPTIONS, epochs: 2, batchSize: 32 },
  });
  server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.join(site, rel.endsWith('/') ? `${rel}index.html` : rel);
    if (!file.startsWith(site) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const type = file.endsWith('.html') ? 'text/html' : file.endsWith('.js') ? 'text/javascript' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type }).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  context = await launch(tmp);
  page = await context.newPage();
  watch(page, problems);
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.waitForSelector('body[data-state]', { timeout: 120_000 });
}, 300_000);

afterAll(async () => {
  await context?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(skip)('examples/browser (Vite page importing vae-ts)', () => {
  it('loads the run and draws the decoding of z = 0, the same as decodeZ in Node', async () => {
    expect(await page.getAttribute('body', 'data-state')).toBe('ready');
    expect(problems).toEqual([]);
    expect(await page.textContent('#status')).toMatch(/^faces, mlp model, latent 2, best epoch [12]$/);
    const inPage = await page.evaluate(() => (window as unknown as { example: { first: number[] } }).example.first);
    const { vae } = await loadRunModel(path.join(site, 'run'));
    const inNode = Array.from(decodeZ(vae, new Float32Array(2), 1));
    expect(inPage).toHaveLength(32 * 32 * 3);
    expect(Math.max(...inPage.map((v, i) => Math.abs(v - inNode[i])))).toBeLessThan(1e-4);
    // the canvas shows those values (RGB, opaque)
    const px = await pixels(page, '#image');
    const expected = inNode.flatMap((_, i) => (i % 3 === 0 ? [...inNode.slice(i, i + 3).map((v) => Math.round(255 * Math.min(1, Math.max(0, v)))), 255] : []));
    expect(Math.max(...px.map((v, i) => Math.abs(v - expected[i])))).toBeLessThanOrEqual(1);
    // another z, decoded by the page on request
    const z = [1.5, -2];
    const other = await page.evaluate((zs) => (window as unknown as { example: { decode(z: number[]): number[] } }).example.decode(zs), z);
    const otherNode = Array.from(decodeZ(vae, new Float32Array(z), 1));
    expect(Math.max(...other.map((v, i) => Math.abs(v - otherNode[i])))).toBeLessThan(1e-4);
    expect(Math.max(...other.map((v, i) => Math.abs(v - inNode[i])))).toBeGreaterThan(1e-2); // a different image
    vae.dispose();
  });
});
