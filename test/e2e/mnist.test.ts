/**
 * The explorer's MNIST views, and the static export, end to end in headless Chromium (Debian's
 * `chromium` driven by playwright-core, launched as in explorer.test.ts). Three tiny runs are
 * trained here: an MNIST MLP with a 2-D latent space, one with 3-D (PCA views), and a faces MLP
 * (to check that each kind of run shows only the views that fit it). Skips only when
 * /usr/bin/chromium is missing.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import sharp from 'sharp';
import { useBackend } from '../../src/engine/backend.js';
import { loadDataset, type DatasetSpec } from '../../src/data/load.js';
import { MLP_400_20, fitModelToData } from '../../src/models/config.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/trainer.js';
import { trainRun } from '../../src/train/trainRun.js';
import { serveExplorer, type ExplorerHandle } from '../../src/server/server.js';
import { exportSite } from '../../src/server/exportSite.js';
import { parseTestSet } from '../../src/server/testsetFormat.js';
import { UserError } from '../../src/errors.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(import.meta.dirname, '../..');
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) console.warn(`test/e2e/mnist.test.ts: skipped: ${CHROMIUM} is missing (install it: bash scripts/system-deps.sh, as root)`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-e2e-mnist-'));
const MNIST_VIEWS = ['latent-scatter', 'manifold', 'interpolation'];
const FACES_ONLY = ['dataset-explanation', 'dataset-visualization', 'mapping'];
const run = (name: string): string => path.join(tmp, name);

let webRoot: string;
let context: BrowserContext;

async function launch(): Promise<BrowserContext> {
  return chromium.launchPersistentContext(fs.mkdtempSync(path.join(tmp, 'profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Opens a page and collects console errors, uncaught exceptions and failed requests into `problems`. */
async function open(ctx: BrowserContext, url: string, problems: string[]): Promise<Page> {
  const p = await ctx.newPage();
  p.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  p.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  p.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await p.goto(url);
  await p.waitForSelector('body[data-active-run]');
  await idle(p);
  return p;
}

const idle = (p: Page): Promise<void> => p.evaluate(() => (window as unknown as { explorer: { idle(): Promise<void> } }).explorer.idle());

const pixels = (p: Page, selector: string): Promise<number[]> =>
  p.$eval(selector, (c) => {
    const cv = c as HTMLCanvasElement;
    return Array.from(cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data);
  });

/** Mean absolute difference of two pixel arrays (0–255). */
function diff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

/** max − min of the red channel. */
function spread(px: number[]): number {
  const red = px.filter((_, i) => i % 4 === 0);
  return Math.max(...red) - Math.min(...red);
}

async function waitReady(p: Page, widgets: string[], runName: string): Promise<void> {
  for (const w of widgets) await p.waitForSelector(`section[data-widget="${w}"][data-ready="${runName}"]`);
}

const noticeShown = (p: Page, w: string): Promise<boolean> => p.isVisible(`section[data-widget="${w}"] > p.notice`);

/** Switches the active run through the run menu and waits until the widgets show it. */
async function switchTo(p: Page, name: string): Promise<void> {
  await p.selectOption('#run-select', name);
  await p.waitForSelector(`body[data-active-run="${name}"]`);
  await idle(p);
}

beforeAll(async () => {
  if (!haveChromium) return;
  await useBackend('wasm');
  const mnist: DatasetSpec = { name: 'mnist', seed: 0, trainLimit: 3000 };
  const mnistData = await loadDataset(mnist);
  const bernoulli = { kind: 'bernoulli' } as const;
  const opts = { ...DEFAULT_TRAIN_OPTIONS, batchSize: 64, learningRate: 3e-3, binarize: 'dynamic' as const };
  // big enough (a few seconds) that the decoder's image clearly depends on z
  await trainRun({
    dir: run('mnist-2d'), data: mnistData, dataset: mnist,
    model: fitModelToData(MLP_400_20, { height: 28, width: 28, channels: 1 }, { hidden: [128], latent: 2, likelihood: bernoulli }),
    options: { ...opts, epochs: 4, seed: 0 },
  });
  await trainRun({
    dir: run('mnist-3d'), data: mnistData, dataset: mnist,
    model: fitModelToData(MLP_400_20, { height: 28, width: 28, channels: 1 }, { hidden: [64], latent: 3, likelihood: bernoulli }),
    options: { ...opts, epochs: 2, seed: 1 },
  });
  const faces: DatasetSpec = { name: 'faces', seed: 0, trainLimit: 256 };
  await trainRun({
    dir: run('faces-mlp'), dataset: faces,
    model: fitModelToData(MLP_400_20, { height: 32, width: 32, channels: 3 }, { hidden: [32], latent: 2, likelihood: { kind: 'gaussian', sigma2: 1 } }),
    options: { ...DEFAULT_TRAIN_OPTIONS, epochs: 1, batchSize: 64, binarize: 'none', seed: 0 },
  });
  // an image folder with class sub-folders (32×32 RGB, not MNIST-like): its labels reach the scatter
  const shapes = path.join(tmp, 'shapes');
  for (const [cls, colour] of [['circle', '#c33'], ['square', '#36c']] as const) {
    fs.mkdirSync(path.join(shapes, cls), { recursive: true });
    for (let i = 0; i < 16; i++) {
      const r = 6 + (i % 8);
      const shape = cls === 'circle' ? `<circle cx="16" cy="16" r="${r}" fill="${colour}"/>` : `<rect x="${16 - r}" y="${16 - r}" width="${2 * r}" height="${2 * r}" fill="${colour}"/>`;
      await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><rect width="32" height="32" fill="#eee"/>${shape}</svg>`)).png().toFile(path.join(shapes, cls, `${i}.png`));
    }
  }
  const folderSpec: DatasetSpec = { name: 'folder', path: shapes, seed: 0, height: 32, width: 32, channels: 3, validation: 0.25 };
  const folderData = await loadDataset(folderSpec);
  await trainRun({
    dir: run('shapes'), data: folderData, dataset: { ...folderSpec, classNames: folderData.classNames },
    model: fitModelToData(MLP_400_20, { height: 32, width: 32, channels: 3 }, { hidden: [32], latent: 2, likelihood: { kind: 'gaussian', sigma2: 1 } }),
    options: { ...DEFAULT_TRAIN_OPTIONS, epochs: 1, batchSize: 8, binarize: 'none', seed: 0 },
  });
  webRoot = path.join(tmp, 'web');
  await build({ configFile: path.join(ROOT, 'vite.config.ts'), root: path.join(ROOT, 'web'), logLevel: 'warn', build: { outDir: webRoot, emptyOutDir: true } });
  context = await launch();
}, 400_000);

afterAll(async () => {
  await context?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!haveChromium && !process.env.CI)('MNIST views in headless Chromium', () => {
  let server: ExplorerHandle;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    server = await serveExplorer({ runs: [run('mnist-2d'), run('mnist-3d'), run('faces-mlp'), run('shapes')], port: 0, webRoot });
    page = await open(context, `${server.url}?run=mnist-2d`, problems);
  }, 120_000);

  afterAll(async () => {
    await page?.close();
    await server?.close();
  });

  it('serves testset.bin for MNIST runs (listed in /api/runs) and a 404 for faces runs', async () => {
    const runs = (await (await fetch(`${server.url}api/runs`)).json()) as { name: string; urls: { testset: string | null } }[];
    expect(runs.find((r) => r.name === 'mnist-2d')?.urls.testset).toBe('runs/mnist-2d/testset.bin');
    expect(runs.find((r) => r.name === 'faces-mlp')?.urls.testset).toBeNull();
    const res = await fetch(`${server.url}runs/mnist-2d/testset.bin`);
    expect(res.status).toBe(200);
    const t = parseTestSet(await res.arrayBuffer());
    expect([t.count, t.height, t.width, t.channels]).toEqual([2000, 28, 28, 1]);
    expect(t.split).toBe('test');
    expect(new Set(t.labels).size).toBe(10);
    expect((await fetch(`${server.url}runs/faces-mlp/testset.bin`)).status).toBe(404);
  });

  it('an MNIST run shows the MNIST views and hides the faces-only widgets behind a note', async () => {
    await waitReady(page, [...MNIST_VIEWS, 'sampling', 'decoding'], 'mnist-2d');
    for (const w of MNIST_VIEWS) {
      expect(await noticeShown(page, w), w).toBe(false);
      expect((await page.textContent(`section[data-widget="${w}"] p.explanation`))!.length, w).toBeGreaterThan(100);
    }
    // the evolution's explanation follows the run's likelihood: no Gaussian constant for a Bernoulli run
    const evolutionText = await page.textContent('section[data-widget="evolution"] p.explanation');
    expect(evolutionText).toContain('Bernoulli likelihood (from logits): no constant');
    expect(evolutionText).not.toContain('Gaussian');
    for (const w of FACES_ONLY) {
      expect(await noticeShown(page, w), w).toBe(true);
      expect((await page.textContent(`section[data-widget="${w}"] > p.notice`))!.length, w).toBeGreaterThan(10);
    }
    // scatter: one dot per test image, coloured by label, and a legend of the ten classes
    expect(await page.locator('section[data-widget="latent-scatter"] circle.label-pt').count()).toBe(2000);
    expect(await page.locator('section[data-widget="latent-scatter"] .legend-item').count()).toBe(10);
    const colours = await page.$$eval('section[data-widget="latent-scatter"] circle.label-pt', (cs) => new Set(cs.map((c) => c.getAttribute('fill'))).size);
    expect(colours).toBe(10);
    expect(await page.textContent('section[data-widget="latent-scatter"] .axis-label')).toBe('z₁');
    // manifold: a 10×10 grid of 28×28 tiles, not one flat colour
    const m = await page.$eval('canvas[data-role="manifold"]', (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
    expect(m).toEqual([280, 280]);
    expect(spread(await pixels(page, 'canvas[data-role="manifold"]'))).toBeGreaterThan(100);
    // sampling and decoding draw 28×28 grayscale images
    for (const sel of ['canvas[data-role="decoded"]', 'canvas.sample']) {
      const px = await pixels(page, sel);
      expect(px.length, sel).toBe(28 * 28 * 4);
      expect(px.filter((v, i) => i % 4 === 1 && v !== px[i - 1]).length, `${sel} is gray`).toBe(0);
      expect(spread(px), sel).toBeGreaterThan(20);
    }
  });

  it('scatter: pointing at a dot shows that test image', async () => {
    const before = await pixels(page, 'canvas[data-role="scatter-image"]');
    const caption = await page.textContent('section[data-widget="latent-scatter"] figcaption');
    // a dot of another class than test #0
    const label0 = await page.getAttribute('section[data-widget="latent-scatter"] circle.label-pt >> nth=0', 'data-label');
    const other = page.locator(`section[data-widget="latent-scatter"] circle.label-pt:not([data-label="${label0}"])`).first();
    await other.hover({ force: true });
    expect(await page.textContent('section[data-widget="latent-scatter"] figcaption')).not.toBe(caption);
    expect(diff(before, await pixels(page, 'canvas[data-role="scatter-image"]'))).toBeGreaterThan(3);
  });

  it('interpolation: picking another start and then another end image changes the decoded path', async () => {
    const path0 = await pixels(page, 'canvas.interp-step[data-index="4"]');
    // the path moves from A to B: its two ends differ
    expect(diff(await pixels(page, 'canvas.interp-step[data-index="0"]'), await pixels(page, 'canvas.interp-step[data-index="8"]'))).toBeGreaterThan(3);
    expect(await page.locator('canvas.strip-img').count()).toBe(20);
    // test #0 is a 7 and #1 a 2 (MNIST's order); #3 is a 0
    const a0 = await pixels(page, 'canvas[data-role="interp-a"]');
    await page.click('canvas.strip-img[data-index="3"]');
    await idle(page);
    expect(await page.getAttribute('canvas.strip-img.pick-a', 'data-index')).toBe('3');
    expect(diff(a0, await pixels(page, 'canvas[data-role="interp-a"]'))).toBeGreaterThan(3);
    const path1 = await pixels(page, 'canvas.interp-step[data-index="4"]');
    expect(diff(path0, path1)).toBeGreaterThan(1);
    // the second pick sets the end image
    const end = await pixels(page, 'canvas.interp-step[data-index="8"]');
    await page.click('canvas.strip-img[data-index="2"]');
    await idle(page);
    expect(await page.getAttribute('canvas.strip-img.pick-b', 'data-index')).toBe('2');
    expect(await page.getAttribute('canvas.strip-img.pick-a', 'data-index')).toBe('3');
    expect(diff(end, await pixels(page, 'canvas.interp-step[data-index="8"]'))).toBeGreaterThan(1);
    expect(diff(path1, await pixels(page, 'canvas.interp-step[data-index="4"]'))).toBeGreaterThan(1);
    expect(await page.textContent('section[data-widget="interpolation"] .mono')).toMatch(/A = test #3 \(0\), B = test #2 \(1\)/);
  });

  it('a 3-D latent space: the scatter is a PCA projection, the manifold varies two principal directions, and says so', async () => {
    await switchTo(page, 'mnist-3d');
    await waitReady(page, [...MNIST_VIEWS, 'decoding'], 'mnist-3d');
    expect(await page.$$eval('section[data-widget="latent-scatter"] .axis-label', (ls) => ls.map((l) => l.textContent))).toEqual(['PC 1', 'PC 2']);
    expect(await page.textContent('section[data-widget="latent-scatter"] .projection-note')).toMatch(/3 dimensions: shown is a 2-D PCA projection/);
    expect(await page.textContent('section[data-widget="manifold"] .manifold-note')).toMatch(/first two principal directions/);
    expect(spread(await pixels(page, 'canvas[data-role="manifold"]'))).toBeGreaterThan(100);
    expect(await page.textContent('section[data-widget="decoding"] .dims-note')).toMatch(/z₃ … z3 stay 0/);
    const before = await pixels(page, 'canvas[data-role="decoded"]');
    const area = page.locator('section[data-widget="decoding"] .plot-area');
    await area.scrollIntoViewIfNeeded();
    const box = (await area.boundingBox())!;
    await page.mouse.click(box.x + 0.05 * box.width, box.y + 0.95 * box.height);
    await idle(page);
    expect(await page.textContent('section[data-widget="decoding"] figcaption')).toMatch(/z = \(-2\.\d\d, -2\.\d\d, 0, …\)/);
    expect(diff(before, await pixels(page, 'canvas[data-role="decoded"]'))).toBeGreaterThan(2);
  });

  it('an image folder with class sub-folders: the scatter colours its validation images by class, with the class names in the legend', async () => {
    await switchTo(page, 'shapes');
    await waitReady(page, ['latent-scatter'], 'shapes');
    expect(await noticeShown(page, 'latent-scatter')).toBe(false);
    // 32 images, a quarter held out for validation: those are the scatter's dots
    expect(await page.locator('section[data-widget="latent-scatter"] circle.label-pt').count()).toBe(8);
    const labels = await page.$$eval('section[data-widget="latent-scatter"] circle.label-pt', (cs) => [...new Set(cs.map((c) => c.getAttribute('data-label')))]);
    expect(labels.sort()).toEqual(['0', '1']);
    const legend = await page.$$eval('section[data-widget="latent-scatter"] .legend-item', (items) => items.map((i) => i.textContent));
    expect(legend).toEqual([expect.stringMatching(/^circle \(\d\)$/), expect.stringMatching(/^square \(\d\)$/)]);
    // the image of a dot is the run's own 32×32 RGB image
    expect(await page.$eval('canvas[data-role="scatter-image"]', (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height])).toEqual([32, 32]);
    expect(await page.textContent('section[data-widget="latent-scatter"] figcaption')).toMatch(/^validation #0: (circle|square)$/);
    await switchTo(page, 'mnist-2d');
  });

  it('a faces run hides the MNIST views behind a note and shows the faces widgets', async () => {
    await switchTo(page, 'faces-mlp');
    for (const w of MNIST_VIEWS) {
      await page.waitForSelector(`section[data-widget="${w}"][data-ready="faces-mlp"]`);
      expect(await noticeShown(page, w), w).toBe(true);
    }
    for (const w of ['dataset-explanation', 'dataset-visualization']) expect(await noticeShown(page, w), w).toBe(false);
    await page.waitForSelector('section[data-widget="evolution"][data-ready="faces-mlp"]');
    expect(await page.textContent('section[data-widget="evolution"] p.explanation')).toContain('Gaussian likelihood (σ² = 1): losses include its constant ½·d·log 2π = 2822.98 nats (d = 3×32×32 = 3072)');
    await switchTo(page, 'mnist-2d');
    for (const w of MNIST_VIEWS) expect(await noticeShown(page, w), w).toBe(false);
  });

  it('the browser console has no errors', () => {
    expect(problems).toEqual([]);
  });
});

/** A static file server (no API): files under `root`, mounted at `prefix`. */
function staticServer(root: string, prefix: string): Promise<{ url: string; close(): Promise<void> }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm' };
  const server = http.createServer((req, res) => {
    const p = decodeURIComponent((req.url ?? '/').split('?')[0]);
    if (!p.startsWith(prefix) || p.includes('..')) {
      res.writeHead(404).end();
      return;
    }
    let file = path.join(root, p.slice(prefix.length));
    if (p.endsWith('/')) file = path.join(file, 'index.html');
    fs.readFile(file, (err, data) => {
      if (err) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' }).end(data);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${port}${prefix}`,
        close: () => new Promise((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
      });
    });
  });
}

describe.skipIf(!haveChromium && !process.env.CI)('export-site: a static folder that works from a plain static server', () => {
  const out = path.join(tmp, 'site');
  let site: { url: string; close(): Promise<void> };
  const problems: string[] = [];

  beforeAll(async () => {
    const r = await exportSite({ runs: [run('mnist-2d'), run('faces-mlp')], out, webRoot });
    expect(r.runs).toEqual(['mnist-2d', 'faces-mlp']);
    // under a sub-path: every URL in the page must be relative
    site = await staticServer(out, '/some/sub/dir/');
  }, 120_000);

  afterAll(async () => {
    await site?.close();
  });

  it('holds the page, the wasm binaries, api/runs and exactly the run files the page fetches', () => {
    const files = new Set(fs.readdirSync(out, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.relative(out, path.join(d.parentPath, d.name))));
    for (const f of ['index.html', 'api/runs', 'runs/mnist-2d/run.json', 'runs/mnist-2d/encoder/model.json', 'runs/mnist-2d/decoder/model.json', 'runs/mnist-2d/testset.bin', 'runs/faces-mlp/latent-grid.json', 'wasm/tfjs-backend-wasm-simd.wasm']) {
      expect(files.has(f), f).toBe(true);
    }
    const runFiles = [...files].filter((f) => f.startsWith('runs/mnist-2d/'));
    const weights = (JSON.parse(fs.readFileSync(path.join(run('mnist-2d'), 'encoder', 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] }).weightsManifest.flatMap((g) => g.paths);
    expect(runFiles.filter((f) => f.startsWith('runs/mnist-2d/encoder/')).sort()).toEqual(['model.json', ...weights].map((w) => `runs/mnist-2d/encoder/${w}`).sort());
    // nothing else of the run folder: no optimizer state, no pictures
    expect(runFiles.some((f) => f.includes('/state/') || f.endsWith('.png') || f.endsWith('.svg'))).toBe(false);
    const api = JSON.parse(fs.readFileSync(path.join(out, 'api', 'runs'), 'utf8')) as { name: string; urls: Record<string, string | null> }[];
    expect(api.map((r) => r.name)).toEqual(['mnist-2d', 'faces-mlp']);
    for (const r of api) {
      for (const u of Object.values(r.urls)) {
        if (u === null) continue;
        expect(u.startsWith('/') || u.includes('://'), u).toBe(false);
        expect(files.has(u), u).toBe(true);
      }
    }
    expect(fs.readFileSync(path.join(out, 'index.html'), 'utf8')).not.toMatch(/(src|href)="\//);
  });

  it('works from the static server: the widgets render (default backend, then wasm) and the console has no errors', async () => {
    const p = await open(context, site.url, problems);
    // the page starts with a 2-D faces run when there is one
    expect(await p.getAttribute('body', 'data-active-run')).toBe('faces-mlp');
    await waitReady(p, ['sampling', 'mapping', 'decoding', 'evolution'], 'faces-mlp');
    expect(await noticeShown(p, 'evolution')).toBe(false);
    // drawn (a canvas starts transparent); this 1-epoch MLP's faces are nearly flat, so no spread check
    const decoded = await pixels(p, 'canvas[data-role="decoded"]');
    expect(decoded.filter((v, i) => i % 4 === 3 && v === 255).length).toBe(32 * 32);
    await switchTo(p, 'mnist-2d');
    await waitReady(p, [...MNIST_VIEWS, 'sampling', 'decoding', 'model-comparison'], 'mnist-2d');
    expect(await p.locator('section[data-widget="latent-scatter"] circle.label-pt').count()).toBe(2000);
    expect(spread(await pixels(p, 'canvas[data-role="manifold"]'))).toBeGreaterThan(100);
    await p.close();
    const w = await open(context, `${site.url}?backend=wasm&run=mnist-2d`, problems);
    expect(await w.getAttribute('body', 'data-backend')).toBe('wasm');
    await waitReady(w, MNIST_VIEWS, 'mnist-2d');
    await w.close();
    expect(problems).toEqual([]);
  });

  it('refuses, writing nothing, a folder that is not a run, a run without a model, and a non-empty --out', async () => {
    const notRun = path.join(tmp, 'not-a-run');
    fs.mkdirSync(notRun);
    const noModel = path.join(tmp, 'no-model');
    fs.mkdirSync(noModel);
    const json = JSON.parse(fs.readFileSync(path.join(run('mnist-2d'), 'run.json'), 'utf8')) as { bestEpoch: number | null };
    fs.writeFileSync(path.join(noModel, 'run.json'), JSON.stringify({ ...json, bestEpoch: null, epochsDone: 0, history: [] }));
    const fresh = path.join(tmp, 'fresh');
    await expect(exportSite({ runs: [notRun], out: fresh, webRoot })).rejects.toThrow(UserError);
    await expect(exportSite({ runs: [run('mnist-2d'), noModel], out: fresh, webRoot })).rejects.toThrow(/no trained model/);
    expect(fs.existsSync(fresh)).toBe(false);
    const before = fs.readFileSync(path.join(out, 'api', 'runs'), 'utf8');
    await expect(exportSite({ runs: [run('mnist-3d')], out, webRoot })).rejects.toThrow(/exists and is not empty/);
    expect(fs.readFileSync(path.join(out, 'api', 'runs'), 'utf8')).toBe(before);
    await expect(exportSite({ runs: [run('mnist-3d')], out: run('mnist-3d'), webRoot, force: true })).rejects.toThrow(/overlaps/);
    // --force replaces it
    await exportSite({ runs: [run('mnist-3d')], out, webRoot, force: true });
    expect((JSON.parse(fs.readFileSync(path.join(out, 'api', 'runs'), 'utf8')) as { name: string }[]).map((r) => r.name)).toEqual(['mnist-3d']);
    expect(fs.existsSync(path.join(out, 'runs', 'mnist-2d'))).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-') || f.includes('.old-'))).toEqual([]);
  });
});
