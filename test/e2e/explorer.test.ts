/**
 * The explorer end to end in headless Chromium (Debian's `chromium` driven by playwright-core):
 * two tiny faces runs are trained here, the page is built with Vite and served by our server,
 * and every widget is checked as a person would use it. Skips only when /usr/bin/chromium is
 * missing (CI installs it through scripts/system-deps.sh).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { useBackend } from '../../src/engine/backend.js';
import { loadDataset } from '../../src/data/load.js';
import { SEED000_CONV } from '../../src/models/config.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/trainer.js';
import { trainRun } from '../../src/train/trainRun.js';
import { serveExplorer, type ExplorerHandle } from '../../src/server/server.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(import.meta.dirname, '../..');
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) console.warn(`test/e2e/explorer.test.ts: skipped: ${CHROMIUM} is missing (install it: bash scripts/system-deps.sh, as root)`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-e2e-'));
const WIDGETS = ['dataset-explanation', 'dataset-visualization', 'sampling', 'mapping', 'evolution', 'decoding', 'model-comparison'];

let server: ExplorerHandle;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

async function launch(): Promise<BrowserContext> {
  return chromium.launchPersistentContext(fs.mkdtempSync(path.join(tmp, 'profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Opens the page and collects console errors and uncaught exceptions into `problems`. */
async function open(ctx: BrowserContext, query = ''): Promise<Page> {
  const p = await ctx.newPage();
  p.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  p.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  await p.goto(`${server.url}${query}`);
  await p.waitForSelector('body[data-active-run]');
  return p;
}

/** Waits until the model queue is empty. */
const idle = (p: Page): Promise<void> => p.evaluate(() => (window as unknown as { explorer: { idle(): Promise<void> } }).explorer.idle());

/** The RGBA pixels of a canvas. */
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

/** Drags from one point to another, both given as fractions of a plot area's box. */
async function drag(p: Page, area: string, from: [number, number], to: [number, number]): Promise<void> {
  await p.locator(area).scrollIntoViewIfNeeded();
  const box = await p.locator(area).boundingBox();
  if (!box) throw new Error(`${area} not visible`);
  const at = ([fx, fy]: [number, number]): [number, number] => [box.x + fx * box.width, box.y + fy * box.height];
  await p.mouse.move(...at(from));
  await p.mouse.down();
  await p.mouse.move(...at(to), { steps: 8 });
  await p.mouse.up();
  await idle(p);
}

describe.skipIf(!haveChromium)('explorer in headless Chromium', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    const spec = { name: 'faces' as const, seed: 0, trainLimit: 512 };
    const data = await loadDataset(spec);
    for (const [name, seed] of [['run-a', 0], ['run-b', 1]] as const) {
      await trainRun({
        dir: path.join(tmp, name), data, dataset: spec,
        model: { ...SEED000_CONV, filters: [8, 8, 8] },
        // big enough (about 2 s each) that the decoder's image clearly depends on z
        options: { ...DEFAULT_TRAIN_OPTIONS, epochs: 4, batchSize: 32, learningRate: 3e-3, seed },
      });
    }
    const webRoot = path.join(tmp, 'web');
    await build({ configFile: path.join(ROOT, 'vite.config.ts'), root: path.join(ROOT, 'web'), logLevel: 'warn', build: { outDir: webRoot, emptyOutDir: true } });
    server = await serveExplorer({ runs: [path.join(tmp, 'run-a'), path.join(tmp, 'run-b')], port: 0, webRoot });
    context = await launch();
    page = await open(context);
  }, 300_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('loads the first run, shows the backend in use, and renders every widget', async () => {
    expect(await page.getAttribute('body', 'data-active-run')).toBe('run-a');
    const backend = await page.getAttribute('body', 'data-backend');
    expect(['webgl', 'wasm', 'cpu']).toContain(backend);
    // headless Chromium runs with --disable-gpu: WebGL is SwiftShader there, so the page picks wasm
    const renderer = await page.evaluate(() => {
      const gl = document.createElement('canvas').getContext('webgl');
      const info = gl?.getExtension('WEBGL_debug_renderer_info');
      return gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : '';
    });
    if (/swiftshader/i.test(renderer)) expect(backend).toBe('wasm');
    expect(await page.textContent('#backend')).toBe(`backend: ${backend}`);
    for (const w of WIDGETS) {
      await page.waitForSelector(`section[data-widget="${w}"][data-ready]`);
      expect(await page.isVisible(`section[data-widget="${w}"] .notice`), w).toBe(false);
      expect((await page.textContent(`section[data-widget="${w}"] p.explanation`))!.length, w).toBeGreaterThan(100);
    }
    // the model-driven widgets drew their images (a canvas starts transparent)
    for (const sel of ['canvas[data-role="reconstruction"]', 'canvas[data-role="decoded"]', 'canvas.sample']) {
      const px = await pixels(page, sel);
      expect(px.filter((v, i) => i % 4 === 3 && v === 255).length, sel).toBe(32 * 32);
      expect(spread(px), `${sel} is one flat colour`).toBeGreaterThan(20);
    }
    expect(await page.locator('section[data-widget="sampling"] canvas.sample').count()).toBe(24);
    expect(await page.locator('section[data-widget="sampling"] circle.sample-pt').count()).toBe(24);
    // every training point of the run (trainLimit 512) and every validation point is plotted
    expect(await page.locator('section[data-widget="dataset-visualization"] circle.pt.training').count()).toBe(512);
    expect(await page.locator('section[data-widget="dataset-visualization"] circle.pt.validation').count()).toBeGreaterThan(300);
    expect(await page.locator('section[data-widget="mapping"] .grid-dots circle').count()).toBe(200); // parameter grid + its encoding
  });

  it('dataset explanation: dragging the dot re-renders the face', async () => {
    const before = await pixels(page, 'section[data-widget="dataset-explanation"] canvas');
    await drag(page, 'section[data-widget="dataset-explanation"] .plot-area', [0.5, 0.5], [0.1, 0.9]);
    expect(diff(before, await pixels(page, 'section[data-widget="dataset-explanation"] canvas'))).toBeGreaterThan(5);
  });

  it('dataset visualisation: hovering a point shows its image', async () => {
    const before = await pixels(page, 'canvas[data-role="hovered"]');
    const dot = page.locator('section[data-widget="dataset-visualization"] circle.pt.validation').first();
    await dot.hover({ force: true });
    expect(await page.textContent('section[data-widget="dataset-visualization"] figcaption')).toMatch(/^validation #\d+: size/);
    expect(diff(before, await pixels(page, 'canvas[data-role="hovered"]'))).toBeGreaterThan(5);
  });

  it('mapping: dragging in parameter space changes the input, mu and the reconstruction', async () => {
    const input = await pixels(page, 'canvas[data-role="input"]');
    const recon = await pixels(page, 'canvas[data-role="reconstruction"]');
    const mu = await page.getAttribute('section[data-widget="mapping"] circle.mu', 'cx');
    await drag(page, 'section[data-widget="mapping"] svg.paramplot .plot-area', [0.4, 0.5], [0.9, 0.1]);
    expect(diff(input, await pixels(page, 'canvas[data-role="input"]'))).toBeGreaterThan(5);
    expect(diff(recon, await pixels(page, 'canvas[data-role="reconstruction"]'))).toBeGreaterThan(2);
    expect(await page.getAttribute('section[data-widget="mapping"] circle.mu', 'cx')).not.toBe(mu);
    expect(Number(await page.getAttribute('section[data-widget="mapping"] ellipse.sigma', 'rx'))).toBeGreaterThan(0);
  });

  it('decoding: dragging in z space changes the decoded image', async () => {
    const before = await pixels(page, 'canvas[data-role="decoded"]');
    await drag(page, 'section[data-widget="decoding"] .plot-area', [0.5, 0.5], [0.05, 0.95]);
    expect(await page.textContent('section[data-widget="decoding"] figcaption')).toMatch(/z = \(-2\.\d\d, -2\.\d\d\)/);
    expect(diff(before, await pixels(page, 'canvas[data-role="decoded"]'))).toBeGreaterThan(3);
  });

  it('sampling: hovering an image highlights its point and the other way round; new samples differ', async () => {
    await page.locator('section[data-widget="sampling"] canvas.sample').nth(3).hover();
    expect(await page.locator('circle.sample-pt.hot').count()).toBe(1);
    expect(await page.getAttribute('circle.sample-pt.hot', 'data-index')).toBe('3');
    await page.mouse.move(0, 0);
    expect(await page.locator('circle.sample-pt.hot').count()).toBe(0);
    await page.locator('circle.sample-pt[data-index="7"]').hover({ force: true });
    expect(await page.locator('canvas.sample.hot').count()).toBe(1);
    expect(await page.getAttribute('canvas.sample.hot', 'data-index')).toBe('7');
    const before = await page.getAttribute('circle.sample-pt[data-index="0"]', 'cx');
    const img = await pixels(page, 'canvas.sample');
    await page.click('section[data-widget="sampling"] button');
    await idle(page);
    expect(await page.getAttribute('circle.sample-pt[data-index="0"]', 'cx')).not.toBe(before);
    expect(diff(img, await pixels(page, 'canvas.sample'))).toBeGreaterThan(1);
  });

  it('evolution: scrubbing to another epoch redraws the latent grid and moves the marker', async () => {
    const grid = 'section[data-widget="evolution"] svg.zplot .grid-hue';
    const slider = page.locator('section[data-widget="evolution"] input[data-role="scrubber"]');
    expect(await slider.getAttribute('max')).toBe('4'); // epochs 0 (untrained) to 4
    const last = await page.getAttribute(grid, 'd');
    const marker = await page.getAttribute('section[data-widget="evolution"] line.marker', 'x1');
    await slider.fill('0');
    expect(await page.getAttribute(grid, 'd')).not.toBe(last);
    expect(await page.getAttribute('section[data-widget="evolution"] line.marker', 'x1')).not.toBe(marker);
    expect(await page.textContent('section[data-widget="evolution"] .controls .mono')).toMatch(/epoch 0/);
    await slider.fill('4');
    expect(await page.getAttribute(grid, 'd')).toBe(last);
    // play from the end starts again at epoch 0; pressing again pauses
    // (clicked and read in one task of the page, so the animation timer cannot run in between)
    const pressPlay = (): Promise<{ label: string; value: string }> => page.$eval('section[data-widget="evolution"]', (w) => {
      (w.querySelector('button[data-role="play"]') as HTMLButtonElement).click();
      return { label: w.querySelector('button[data-role="play"]')!.textContent ?? '', value: (w.querySelector('input[data-role="scrubber"]') as HTMLInputElement).value };
    });
    expect(await pressPlay()).toEqual({ label: '❚❚ pause', value: '0' });
    expect((await pressPlay()).label).toBe('▶ play');
  });

  it('model comparison: shows both runs; clicking one makes it the active model everywhere', async () => {
    expect(await page.locator('section[data-widget="model-comparison"] button.panel').count()).toBe(2);
    expect(await page.getAttribute('button.panel.active', 'data-run')).toBe('run-a');
    const decoded = await pixels(page, 'canvas[data-role="decoded"]');
    const evoGrid = await page.getAttribute('section[data-widget="evolution"] svg.zplot .grid-hue', 'd');
    await page.click('button.panel[data-run="run-b"]');
    await page.waitForSelector('body[data-active-run="run-b"]');
    await idle(page);
    expect(await page.getAttribute('button.panel.active', 'data-run')).toBe('run-b');
    expect(await page.inputValue('#run-select')).toBe('run-b');
    for (const w of ['sampling', 'mapping', 'evolution', 'decoding', 'model-comparison']) {
      expect(await page.getAttribute(`section[data-widget="${w}"]`, 'data-ready'), w).toBe('run-b');
    }
    // same z, another decoder: another image; another run's training history
    expect(diff(decoded, await pixels(page, 'canvas[data-role="decoded"]'))).toBeGreaterThan(3);
    expect(await page.getAttribute('section[data-widget="evolution"] svg.zplot .grid-hue', 'd')).not.toBe(evoGrid);
  });

  it('runs on the WebAssembly backend too (wasm files served, set by ?backend=wasm)', async () => {
    const p = await open(context, '?backend=wasm&run=run-b');
    expect(await p.getAttribute('body', 'data-backend')).toBe('wasm');
    expect(await p.getAttribute('body', 'data-active-run')).toBe('run-b');
    await p.waitForSelector('section[data-widget="decoding"][data-ready="run-b"]');
    const px = await pixels(p, 'canvas[data-role="decoded"]');
    expect(spread(px)).toBeGreaterThan(20);
    await p.close();
  });

  it('the browser console has no errors', () => {
    expect(problems).toEqual([]);
  });
});
