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
async function open(ctx: BrowserContext, query = '', url = server.url): Promise<Page> {
  const p = await ctx.newPage();
  p.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  p.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  await p.goto(`${url}${query}`);
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

describe.skipIf(!haveChromium && !process.env.CI)('explorer in headless Chromium', () => {
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
    // the evolution's explanation names this run's likelihood floor (σ² = 1 on 3×32×32)
    expect(await page.textContent('section[data-widget="evolution"] p.explanation')).toContain('½·d·log 2π = 2822.98 nats (d = 3×32×32 = 3072)');
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

  it('sampling: a tap (click) pins the link between an image and its point until the next tap', async () => {
    await page.locator('section[data-widget="sampling"] canvas.sample').nth(5).click();
    await page.mouse.move(0, 0);
    expect(await page.getAttribute('circle.sample-pt.hot', 'data-index')).toBe('5');
    expect(await page.getAttribute('canvas.sample.hot', 'data-index')).toBe('5');
    await page.locator('section[data-widget="sampling"] canvas.sample').nth(5).click();
    await page.mouse.move(0, 0);
    expect(await page.locator('circle.sample-pt.hot').count()).toBe(0);
  });

  it('evolution: plays in a loop on load; scrubbing (slider or a drag on the chart) redraws the grid and moves the marker', async () => {
    const evo = 'section[data-widget="evolution"]';
    const grid = `${evo} svg.zplot .grid-hue`;
    const slider = page.locator(`${evo} input[data-role="scrubber"]`);
    expect(await slider.getAttribute('max')).toBe('4'); // epochs 0 (untrained) to 4
    // playing on load: the label says pause, and the epoch moves on by itself
    expect(await page.textContent(`${evo} button[data-role="play"]`)).toBe('❚❚ pause');
    const seen = new Set<string>();
    for (let k = 0; k < 12 && seen.size < 3; k++) {
      seen.add((await page.getAttribute(evo, 'data-epoch')) ?? '');
      await page.waitForTimeout(200);
    }
    expect(seen.size).toBeGreaterThanOrEqual(3);
    // the play button keeps its width whatever its label, so the slider does not jump
    const sliderX = async (): Promise<number> => (await slider.boundingBox())!.x;
    const xPlaying = await sliderX();
    await slider.fill('4'); // a scrub pauses
    expect(await page.textContent(`${evo} button[data-role="play"]`)).toBe('▶ play');
    expect(await sliderX()).toBe(xPlaying);
    const last = await page.getAttribute(grid, 'd');
    const marker = await page.getAttribute(`${evo} line.marker`, 'x1');
    await slider.fill('0');
    expect(await page.getAttribute(grid, 'd')).not.toBe(last);
    expect(await page.getAttribute(`${evo} line.marker`, 'x1')).not.toBe(marker);
    expect(await page.textContent(`${evo} .controls .mono`)).toMatch(/epoch 0/);
    await slider.fill('4');
    expect(await page.getAttribute(grid, 'd')).toBe(last);
    // a drag along the loss chart scrubs too: to the left end is epoch 0, to the right end epoch 4
    await drag(page, `${evo} svg.chart .plot-area`, [0.9, 0.5], [0.01, 0.5]);
    expect(await page.getAttribute(evo, 'data-epoch')).toBe('0');
    expect(await slider.inputValue()).toBe('0');
    await drag(page, `${evo} svg.chart .plot-area`, [0.1, 0.5], [0.99, 0.5]);
    expect(await page.getAttribute(evo, 'data-epoch')).toBe('4');
    expect(await page.getAttribute(grid, 'd')).toBe(last);
    // play from the end starts again at epoch 0; pressing again pauses
    // (clicked and read in one task of the page, so the animation timer cannot run in between)
    const pressPlay = (): Promise<{ label: string; value: string }> => page.$eval(evo, (w) => {
      (w.querySelector('button[data-role="play"]') as HTMLButtonElement).click();
      return { label: w.querySelector('button[data-role="play"]')!.textContent ?? '', value: (w.querySelector('input[data-role="scrubber"]') as HTMLInputElement).value };
    });
    expect(await pressPlay()).toEqual({ label: '❚❚ pause', value: '0' });
    expect((await pressPlay()).label).toBe('▶ play');
  });

  it('mapping: the parameter space reaches 20% of each range beyond the training ranges (size 0.2–1.6, hue 0.2–0.9)', async () => {
    const sec = 'section[data-widget="mapping"]';
    await drag(page, `${sec} svg.paramplot .plot-area`, [0.5, 0.5], [1.2, -0.2]); // past the top-right corner
    expect(await page.textContent(`${sec} figcaption`)).toBe('input: size 1.60, hue 0.90');
    await drag(page, `${sec} svg.paramplot .plot-area`, [0.5, 0.5], [-0.2, 1.2]);
    expect(await page.textContent(`${sec} figcaption`)).toBe('input: size 0.20, hue 0.20');
    // the hue gradient behind the parameter space, the prior's density behind the encoded grid
    expect(await page.locator(`${sec} svg.paramplot .hue-bands rect`).count()).toBeGreaterThan(10);
    expect(await page.locator(`${sec} svg.zplot image.heatmap`).count()).toBe(1);
  });

  it('arrow keys move the mapping and decoding dots (Shift: larger steps) and change the images', async () => {
    const map = 'section[data-widget="mapping"]';
    await page.focus(`${map} circle.handle`);
    const input = await pixels(page, 'canvas[data-role="input"]');
    const recon = await pixels(page, 'canvas[data-role="reconstruction"]');
    const cap = await page.textContent(`${map} figcaption`);
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('Shift+ArrowUp');
    await page.keyboard.press('ArrowUp');
    await idle(page);
    const [, s0, h0] = /size ([\d.]+), hue ([\d.]+)/.exec(cap!)!.map(Number);
    const [, s1, h1] = /size ([\d.]+), hue ([\d.]+)/.exec((await page.textContent(`${map} figcaption`))!)!.map(Number);
    expect(s1 - s0).toBeCloseTo(0.14, 2); // 10% of the extended size range 0.2–1.6
    expect(h1 - h0).toBeCloseTo(0.077, 2); // 11% of the extended hue range 0.2–0.9
    expect(await page.getAttribute(`${map} circle.handle`, 'aria-valuetext')).toBe(`size ${s1.toFixed(2)}, hue ${h1.toFixed(2)}`);
    expect(diff(input, await pixels(page, 'canvas[data-role="input"]'))).toBeGreaterThan(2);
    expect(diff(recon, await pixels(page, 'canvas[data-role="reconstruction"]'))).toBeGreaterThan(0.5);

    const dec = 'section[data-widget="decoding"]';
    await page.focus(`${dec} circle.handle`);
    const decoded = await pixels(page, 'canvas[data-role="decoded"]');
    const z = /z = \(([-\d.]+), ([-\d.]+)\)/.exec((await page.textContent(`${dec} figcaption`))!)!.map(Number);
    for (let k = 0; k < 3; k++) await page.keyboard.press('Shift+ArrowLeft');
    await page.keyboard.press('ArrowDown');
    await idle(page);
    const z2 = /z = \(([-\d.]+), ([-\d.]+)\)/.exec((await page.textContent(`${dec} figcaption`))!)!.map(Number);
    expect(z2[1]).toBeCloseTo(Math.max(-3, z[1] - 1.5), 2);
    expect(z2[2]).toBeCloseTo(z[2] - 0.05, 2);
    expect(diff(decoded, await pixels(page, 'canvas[data-role="decoded"]'))).toBeGreaterThan(1);
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

  it('model comparison: the panels follow the scrubber; hovering a curve or a panel names its run and outlines both', async () => {
    const mc = 'section[data-widget="model-comparison"]';
    const panelGrid = (run: string): Promise<string | null> => page.getAttribute(`${mc} button.panel[data-run="${run}"] .grid-hue`, 'd');
    const slider = page.locator(`${mc} input[data-role="scrubber"]`);
    expect(await slider.getAttribute('max')).toBe('4');
    const atEnd = [await panelGrid('run-a'), await panelGrid('run-b')];
    await slider.fill('1');
    expect(await page.getAttribute(`${mc} button.panel[data-run="run-a"] .grid`, 'data-epoch')).toBe('1');
    expect(await panelGrid('run-a')).not.toBe(atEnd[0]);
    expect(await panelGrid('run-b')).not.toBe(atEnd[1]);
    await slider.fill('4');
    expect([await panelGrid('run-a'), await panelGrid('run-b')]).toEqual(atEnd);

    // hover each run's validation curve at its last point: the chart and the page name that run
    const chart = page.locator(`${mc} svg.chart`);
    for (const run of ['run-a', 'run-b']) {
      const at = await page.$eval(`${mc} svg.chart path.series[data-key="${run}"]:not([stroke-dasharray])`, (el) => {
        const path = el as SVGPathElement;
        const p = path.getPointAtLength(path.getTotalLength() * 0.75);
        const m = path.getScreenCTM()!;
        const q = new DOMPoint(p.x, p.y).matrixTransform(m);
        return [q.x, q.y] as const;
      });
      await chart.scrollIntoViewIfNeeded();
      await page.mouse.move(at[0], at[1]);
      await expect.poll(() => page.getAttribute(mc, 'data-hovered')).toBe(run);
      expect(await page.textContent(`${mc} .hover-run`)).toBe(`run ${run}`);
      expect(await page.textContent(`${mc} svg.chart .hover-name`)).toBe(run);
      expect(await page.locator(`${mc} button.panel.hot`).getAttribute('data-run')).toBe(run);
      expect(await page.locator(`${mc} svg.chart path.series.hot`).count()).toBe(2); // validation and training
    }
    await page.mouse.move(0, 0);
    await page.hover(`${mc} button.panel[data-run="run-a"]`);
    expect(await page.getAttribute(mc, 'data-hovered')).toBe('run-a');
    expect(await page.getAttribute(`${mc} svg.chart path.series.hot`, 'data-key')).toBe('run-a');
    await page.mouse.move(0, 0);
    // a click on run-a's curve (drawn before run-b's) activates run-a, not the curve drawn later
    expect(await page.getAttribute('body', 'data-active-run')).toBe('run-b');
    const onA = await page.$eval(`${mc} svg.chart path.series[data-key="run-a"]:not([stroke-dasharray])`, (el) => {
      const path = el as SVGPathElement;
      const p = path.getPointAtLength(path.getTotalLength() * 0.5);
      const q = new DOMPoint(p.x, p.y).matrixTransform(path.getScreenCTM()!);
      return [q.x, q.y] as const;
    });
    await page.mouse.click(onA[0], onA[1]);
    await page.waitForSelector('body[data-active-run="run-a"]');
    await idle(page);
  });

  it('the address holds the view: opening it restores the run, the dots, the epoch and the samples (pixel-equal)', async () => {
    const p1 = await open(context, '?run=run-a');
    await idle(p1);
    // move things: decoding and mapping dots by keys, the sampling draw, the evolution epoch
    await p1.focus('section[data-widget="decoding"] circle.handle');
    await p1.keyboard.press('Shift+ArrowRight');
    await p1.keyboard.press('Shift+ArrowUp');
    await p1.focus('section[data-widget="mapping"] circle.handle');
    await p1.keyboard.press('Shift+ArrowLeft');
    await p1.click('section[data-widget="sampling"] button');
    await p1.locator('section[data-widget="evolution"] input[data-role="scrubber"]').fill('2');
    await idle(p1);
    await p1.waitForTimeout(100); // the address is written on the next frame
    const url = p1.url();
    expect(url).toMatch(/run=run-a/);
    expect(url).toMatch(/z=0\.5%2C0\.5|z=0\.5,0\.5/);
    expect(url).toMatch(/draw=1/);
    expect(url).toMatch(/epoch=2/);
    const shot = async (p: Page): Promise<number[][]> => Promise.all(['canvas[data-role="decoded"]', 'canvas[data-role="input"]', 'canvas[data-role="reconstruction"]', 'canvas.sample'].map((sel) => pixels(p, sel)));
    const before = await shot(p1);
    const grid = await p1.getAttribute('section[data-widget="evolution"] svg.zplot .grid-hue', 'd');
    const p2 = await open(context, new URL(url).search);
    await idle(p2);
    expect(await p2.getAttribute('body', 'data-active-run')).toBe('run-a');
    expect(await shot(p2)).toEqual(before);
    expect(await p2.inputValue('section[data-widget="evolution"] input[data-role="scrubber"]')).toBe('2');
    expect(await p2.getAttribute('section[data-widget="evolution"] svg.zplot .grid-hue', 'd')).toBe(grid);
    expect(await p2.textContent('section[data-widget="evolution"] button[data-role="play"]')).toBe('▶ play'); // a restored epoch does not play
    await p1.close();
    await p2.close();
  });

  it('an unknown run in the address gives a visible message', async () => {
    const p = await open(context, '?run=nope');
    expect(await p.isVisible('#page-notice')).toBe(true);
    expect(await p.textContent('#page-notice')).toMatch(/no run named 'nope'.*showing 'run-a'/);
    await p.close();
  });

  it('at 390 px wide nothing overflows sideways; plots and images fit their card', async () => {
    const p = await open(context);
    await p.setViewportSize({ width: 390, height: 800 });
    await idle(p);
    await p.waitForTimeout(200);
    const over = await p.evaluate(() => {
      const W = document.documentElement.clientWidth;
      const out: string[] = [];
      if (document.documentElement.scrollWidth > W) out.push(`document ${document.documentElement.scrollWidth} > ${W}`);
      for (const card of Array.from(document.querySelectorAll('section.widget'))) {
        const r = card.getBoundingClientRect();
        if (r.right > W + 0.5) out.push(`${(card as HTMLElement).dataset.widget} right ${r.right}`);
        for (const e of Array.from(card.querySelectorAll('svg.plot, svg.chart, canvas, .panels, .sample-grid, .controls'))) {
          const b = e.getBoundingClientRect();
          if (b.width > 0 && b.right > r.right + 0.5) out.push(`${(card as HTMLElement).dataset.widget} ${e.tagName}.${e.getAttribute('class')} right ${b.right} > ${r.right}`);
        }
      }
      return out;
    });
    expect(over).toEqual([]);
    await p.close();
  });

  it('a software WebGL reached only through OffscreenCanvas is detected too: the page still picks WebAssembly', async () => {
    const p = await context.newPage();
    p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // the page's own canvases have no WebGL; tfjs would draw on an OffscreenCanvas (SwiftShader here)
    await p.addInitScript(() => {
      const get = HTMLCanvasElement.prototype.getContext;
      HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement, kind: string, ...rest: unknown[]) {
        return /webgl/.test(kind) ? null : (get as (...a: unknown[]) => unknown).call(this, kind, ...rest);
      } as typeof get;
    });
    await p.goto(server.url);
    await p.waitForSelector('body[data-active-run]');
    const offscreen = await p.evaluate(() => {
      const gl = new OffscreenCanvas(1, 1).getContext('webgl2') as WebGL2RenderingContext | null;
      const info = gl?.getExtension('WEBGL_debug_renderer_info');
      return gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : '';
    });
    expect(offscreen).toMatch(/swiftshader/i); // headless Chromium with --disable-gpu
    expect(await p.getAttribute('body', 'data-backend')).toBe('wasm');
    await p.close();
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

  it('every plot and model image has an accessible name (plots a text alternative too) and every control a label; the dots are focusable sliders; a swipe on a plot scrolls, a drag on a dot moves it', async () => {
    await idle(page);
    const r = await page.evaluate(() => {
      const shown = (e: Element): boolean => !e.closest('[hidden]') && e.getClientRects().length > 0;
      const unnamed: string[] = [], undescribed: string[] = [], unlabelled: string[] = [], badHandles: string[] = [], touch = new Set<string>();
      for (const e of Array.from(document.querySelectorAll('main canvas, main svg'))) {
        if (!shown(e) || e.parentElement?.closest('svg')) continue;
        const where = `${e.closest('section')?.dataset.widget} ${e.tagName}`;
        if (!e.getAttribute('role') || !e.getAttribute('aria-label')?.trim()) unnamed.push(where);
        if (e.tagName === 'svg' && !e.getAttribute('aria-description')?.trim()) undescribed.push(where);
        if (e.tagName === 'svg') touch.add(`plot: ${getComputedStyle(e).touchAction}`);
      }
      for (const e of Array.from(document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLButtonElement>('input, select, button'))) {
        if (!shown(e)) continue;
        const named = e.getAttribute('aria-label')?.trim() || (e.labels?.length ?? 0) > 0 || (e.tagName === 'BUTTON' && e.textContent?.trim());
        if (!named) unlabelled.push(`${e.closest('section')?.dataset.widget ?? 'header'} ${e.tagName} ${e.getAttribute('type') ?? ''}`);
      }
      for (const h of Array.from(document.querySelectorAll<SVGCircleElement>('main circle.handle'))) {
        if (!shown(h)) continue;
        const where = h.closest('section')?.dataset.widget ?? '?';
        if (h.tabIndex !== 0 || h.getAttribute('role') !== 'slider' || !h.getAttribute('aria-label') || !h.getAttribute('aria-valuetext')) badHandles.push(where);
        touch.add(`handle: ${getComputedStyle(h).touchAction}`);
      }
      const first = document.querySelector<SVGCircleElement>('section[data-widget="sampling"] circle.sample-pt')!;
      const sample = document.querySelector('section[data-widget="sampling"] canvas.sample')!.getAttribute('aria-label');
      return { unnamed, undescribed, unlabelled, badHandles, touch: [...touch].sort(), sample, z1: Number(first.dataset.z1), z2: Number(first.dataset.z2), handles: document.querySelectorAll('main circle.handle').length };
    });
    expect(r.unnamed).toEqual([]);
    expect(r.undescribed).toEqual([]);
    expect(r.unlabelled).toEqual([]);
    expect(r.badHandles).toEqual([]);
    expect(r.handles).toBe(3); // dataset explanation, mapping, decoding
    // a swipe that starts on a plot pans the page; a dot takes the gesture for itself
    expect(r.touch).toEqual(['handle: none', 'plot: pan-y pinch-zoom']);
    // an image's text alternative names the latent point it shows
    expect(r.sample).toBe(`sample 1: the decoder's image of z₁ ${r.z1.toFixed(2)}, z₂ ${r.z2.toFixed(2)}`);
  });

  it('starts with the first model images: sampling draws before the parameter grid is encoded; the model files come once, preloaded; no WebGL code on WebAssembly', async () => {
    // a new profile: an empty browser cache
    const fresh = await launch();
    try {
      const p = await open(fresh, '?backend=wasm&run=run-a');
      await idle(p);
      const r = await p.evaluate(() => ({
        marks: Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])),
        files: performance.getEntriesByType('resource').map((e) => ({ path: new URL(e.name).pathname, by: (e as PerformanceResourceTiming).initiatorType })),
      }));
      for (const m of ['vae:boot', 'vae:backend', 'vae:model', 'vae:first', 'vae:grid']) expect(r.marks[m], m).toBeGreaterThan(0);
      expect(r.marks['vae:boot']).toBeLessThan(r.marks['vae:backend']);
      expect(r.marks['vae:model']).toBeLessThan(r.marks['vae:first']);
      // the 100 parameter-grid faces are rendered and encoded only after the first images were painted
      expect(r.marks['vae:first']).toBeLessThan(r.marks['vae:grid']);
      expect(await p.getAttribute('section[data-widget="sampling"]', 'data-ready')).toBe('run-a');
      expect(await p.getAttribute('section[data-widget="mapping"]', 'data-ready')).toBe('run-a');
      // each weights file once, by the entry script's preload (tfjs took the preloaded response)
      for (const part of ['encoder', 'decoder']) {
        const weights = r.files.filter((f) => f.path.startsWith(`/runs/run-a/${part}/weights`));
        expect(weights.map((f) => f.by), part).toEqual(['link']);
      }
      // the wasm binary once, preloaded; the WebGL backend's chunk never
      expect(r.files.filter((f) => f.path.endsWith('.wasm'))).toEqual([{ path: '/wasm/tfjs-backend-wasm-simd.wasm', by: 'link' }]);
      expect(r.files.filter((f) => f.path.startsWith('/assets/tfjs-webgl-'))).toEqual([]);
    } finally {
      await fresh.close();
    }
  });

  it('loads the WebGL backend\'s code when asked for WebGL (?backend=webgl)', async () => {
    const p = await context.newPage();
    await p.goto(`${server.url}?backend=webgl&run=run-a`);
    await p.waitForFunction(() => document.body.dataset.backend !== undefined || document.body.dataset.error !== undefined);
    // SwiftShader's WebGL starts here (slowly); the page fetched the chunk before trying it
    expect(await p.getAttribute('body', 'data-backend')).toBe('webgl');
    const files = await p.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
    expect(files.filter((f) => f.startsWith('/assets/tfjs-webgl-'))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('.wasm'))).toEqual([]);
    await p.close();
  });

  it('a long run (300 epochs, the first far above the rest): the loss chart cuts its axis and names the epochs cut off; playing steps through at most 100 frames', async () => {
    // run-a's model with a made-up 300-epoch history and no latent grid (as an MNIST run has)
    const long = path.join(tmp, 'run-long');
    fs.cpSync(path.join(tmp, 'run-a'), long, { recursive: true });
    fs.rmSync(path.join(long, 'latent-grid.json'), { force: true });
    const run = JSON.parse(fs.readFileSync(path.join(long, 'run.json'), 'utf8'));
    const base = run.history.at(-1).validation.loss as number;
    // −ELBO: +3000 nats at epoch 1, falling fast, then a slow 10-nat drift; with the axis spanning
    // every value, epochs 31–300 would be a flat line at the bottom
    const loss = (e: number): number => base + 3000 * Math.exp(-(e - 1) / 3) + 10 * (1 - e / 300);
    const part = (v: number) => ({ loss: v, reconstruction: v - 20, kl: 20 });
    run.history = Array.from({ length: 300 }, (_, k) => ({
      ...run.history.at(-1), epoch: k + 1, train: part(loss(k + 1)), validation: part(loss(k + 1) + 2),
    }));
    run.epochsDone = 300;
    run.bestEpoch = 300;
    fs.writeFileSync(path.join(long, 'run.json'), JSON.stringify(run));
    const longServer = await serveExplorer({ runs: [long], port: 0, webRoot: path.join(tmp, 'web') });
    const p = await open(context, '', longServer.url);
    try {
      const evo = 'section[data-widget="evolution"]';
      await p.waitForSelector(`${evo}[data-ready="run-long"]`);
      const chart = await p.$eval(`${evo} svg.chart`, (svg) => {
        const paths = Array.from(svg.querySelectorAll('path.series'));
        const layer = svg.querySelector('g.plot-layer')!;
        const clip = layer.getAttribute('clip-path') ?? '';
        return {
          note: svg.querySelector('.cut-note')?.textContent ?? null,
          description: svg.getAttribute('aria-description') ?? '',
          clip,
          inLayer: paths.map((q) => q.parentElement === layer),
          clipExists: svg.querySelector(clip.replace(/^url\((.*)\)$/, '$1')) instanceof SVGClipPathElement,
          areaHeight: Number(svg.querySelector('.plot-area')!.getAttribute('height')), // in the path's units
          validation: paths[1].getAttribute('d') ?? '',
        };
      });
      const cut = /^epochs 1–(\d+) above the top, cut off$/.exec(chart.note ?? '');
      expect(cut, String(chart.note)).not.toBeNull();
      expect(Number(cut![1])).toBeGreaterThanOrEqual(10);
      expect(Number(cut![1])).toBeLessThanOrEqual(30);
      expect(chart.description).toMatch(/the y axis is cut at [\d.]+: epochs 1–\d+ above the top, cut off/);
      expect(chart.clip).toMatch(/^url\(#chart-clip-\d+\)$/);
      expect(chart.inLayer).toEqual([true, true]);
      expect(chart.clipExists).toBe(true);
      // the epochs after the first tenth fill most of the plot's height, not a line at its bottom
      const ys = [...chart.validation.matchAll(/[ML]([-\d.e]+),([-\d.e]+)/g)].map((m) => Number(m[2]));
      expect(ys).toHaveLength(300);
      const tail = ys.slice(30);
      expect((Math.max(...tail) - Math.min(...tail)) / chart.areaHeight).toBeGreaterThan(0.4);
      // it plays on load, stepping 4 epochs a frame: 300 epochs in 76 frames
      expect(await p.getAttribute(`${evo} input[data-role="scrubber"]`, 'max')).toBe('299');
      const seen = await p.$eval(evo, (w) => new Promise<number[]>((resolve) => {
        const epochs: number[] = [];
        const watch = new MutationObserver(() => epochs.push(Number(w.getAttribute('data-epoch'))));
        watch.observe(w, { attributes: true, attributeFilter: ['data-epoch'] });
        setTimeout(() => { watch.disconnect(); resolve(epochs); }, 3000); // ~6 frames of 450 ms
      }));
      const steps = seen.slice(1).map((e, i) => e - seen[i]).filter((d) => d > 0); // a loop back to epoch 1 is not a step
      expect(steps.length, `epochs shown: ${seen.join(', ')}`).toBeGreaterThanOrEqual(2);
      expect(new Set(steps.filter((_, i) => seen[i + 1] !== 300))).toEqual(new Set([4]));
    } finally {
      await p.close();
      await longServer.close();
    }
  });

  it('the browser console has no errors', () => {
    expect(problems).toEqual([]);
  });
});
