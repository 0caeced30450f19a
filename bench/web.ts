/**
 * `npm run bench:web`: model latency in the explorer page, in headless Chromium (Debian's
 * `chromium`, launched as the e2e tests launch it). Trains a small seed-000 faces run once (cached
 * under the OS temp folder; the conv architecture is the real one, only the training is short:
 * latency does not depend on how well it learned), serves it with serveExplorer, and measures
 * through the page's handle (window.explorer: app.queue, app.active.model, renderFace), after
 * warm-up, each operation as the widgets run it through the model queue:
 *   decode 1 z             one decoding-widget drag event
 *   render+encode+decode   one mapping-widget drag event (render a 32×32 face, encode, decode mu)
 *   decode 10×10 grid      100 latent points at once
 * for every backend the page can start (?backend=webgl, ?backend=wasm). Prints median and 95th
 * percentile in ms, and whether a drag's p95 fits in one 60 Hz frame (16 ms).
 *
 * Also the page's start: the time from navigation to the first model image on screen (a widget
 * that draws the decoder's output marks itself ready), with a warm server, --loads times each with
 * an empty browser cache (a new browser context) and with a warm one (a reload: hashed assets come
 * from the cache, the rest revalidates), and the bytes the empty-cache load transferred (the
 * bundle and the wasm files are served compressed), with the medians of the page's own start-up
 * marks (performance.mark 'vae:…': entry script run, backend started, model loaded, first images
 * drawn, parameter grid encoded) to show where the time goes. The load average is printed before
 * and after, and the CPU model: timings on a shared machine are noisy.
 *
 * Flags: --reps N (default 200), --warmup N (default 20), --backends webgl,wasm, --loads N
 * (default 5), --fresh (retrain).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { useBackend } from '../src/engine/backend.js';
import { SEED000_CONV } from '../src/models/config.js';
import { DEFAULT_TRAIN_OPTIONS } from '../src/train/trainer.js';
import { trainRun } from '../src/train/trainRun.js';
import { readRun, runFile } from '../src/train/run.js';
import { serveExplorer } from '../src/server/server.js';

const CHROMIUM = '/usr/bin/chromium';
const FRAME_MS = 16;
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`${name}=`))?.split('=')[1];
};
const reps = Number(flag('--reps') ?? 200);
const warmup = Number(flag('--warmup') ?? 20);
const backends = (flag('--backends') ?? 'webgl,wasm').split(',');
const fresh = args.includes('--fresh');
const loads = Number(flag('--loads') ?? 5);
const FIRST_IMAGE_GOAL_MS = 1000;

/** Records, in the page, when the first model-driven widget shows the model's image. */
const FIRST_IMAGE_PROBE = `
  new MutationObserver((_, obs) => {
    if (document.querySelector('section[data-widget="decoding"][data-ready], section[data-widget="sampling"][data-ready], section[data-widget="mapping"][data-ready]')) {
      window.__firstImage = performance.now();
      obs.disconnect();
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-ready'] });
`;

/** The page's start-up marks (web/boot.ts, web/main.ts, web/app.ts), in the order they happen. */
const MARKS = ['vae:boot', 'vae:backend', 'vae:model', 'vae:first', 'vae:grid'] as const;
const MARK_LABELS: Record<(typeof MARKS)[number], string> = {
  'vae:boot': 'entry script ran (downloads started)',
  'vae:backend': 'tensor backend started',
  'vae:model': 'first run\'s model loaded',
  'vae:first': 'first model images drawn',
  'vae:grid': 'parameter grid encoded (after paint)',
};

interface Load { ms: number; bytes: number; marks: Partial<Record<string, number>> }

/** ms from navigation start to the first model image, the bytes the load transferred, the page's marks. */
async function loadOnce(page: Page, url: string, reload: boolean): Promise<Load> {
  if (reload) await page.reload();
  else await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { __firstImage?: number }).__firstImage !== undefined, undefined, { timeout: 120_000 });
  // the grid is encoded after the first images: wait for it (the page is fully started)
  await page.waitForFunction(() => document.body.dataset.activeRun !== undefined, undefined, { timeout: 120_000 });
  return page.evaluate(() => {
    const bytes = performance.getEntriesByType('resource').reduce((s, e) => s + (e as PerformanceResourceTiming).transferSize, 0) +
      ((performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.transferSize ?? 0);
    const marks = Object.fromEntries(performance.getEntriesByType('mark').filter((m) => m.name.startsWith('vae:')).map((m) => [m.name, m.startTime]));
    return { ms: (window as unknown as { __firstImage: number }).__firstImage, bytes, marks };
  });
}

/** "load average 1.80 / 2.10 / 2.50 (1, 5, 15 min)". */
const loadAverage = (): string => `load average ${os.loadavg().map((v) => v.toFixed(2)).join(' / ')} (1, 5, 15 min)`;

type Op = 'decode' | 'mapping' | 'grid';
const OPS: { op: Op; label: string; drag: boolean }[] = [
  { op: 'decode', label: 'decode 1 z (decoding drag)', drag: true },
  { op: 'mapping', label: 'render+encode+decode (mapping drag)', drag: true },
  { op: 'grid', label: 'decode 10×10 grid', drag: false },
];

/** The cached faces run: the seed-000 conv VAE, one short epoch. */
async function benchRun(): Promise<string> {
  const dir = path.join(os.tmpdir(), 'vae-bench-web', 'faces-conv');
  if (!fresh && fs.existsSync(runFile(dir)) && readRun(dir).status === 'done') return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  await useBackend('wasm');
  process.stderr.write(`training a small seed-000 faces run into ${dir} (once; cached)…\n`);
  await trainRun({
    dir, dataset: { name: 'faces', seed: 0, trainLimit: 256 }, model: SEED000_CONV,
    options: { ...DEFAULT_TRAIN_OPTIONS, epochs: 1, batchSize: 64, seed: 0 },
  });
  return dir;
}

function quantile(sorted: number[], q: number): number {
  // nearest rank
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Times one operation `reps` times in the page (after `warmup` untimed runs); returns ms per run. */
function timeInPage(page: Page, op: Op): Promise<number[]> {
  return page.evaluate(async ({ op, reps, warmup }) => {
    interface Model {
      latent: number;
      decode(z: Float32Array, n: number): Promise<Float32Array>;
      encode(x: Float32Array, n: number): Promise<{ mu: Float32Array; logvar: Float32Array }>;
    }
    const ex = (window as unknown as {
      explorer: { app: { queue: { run<T>(key: string, fn: () => Promise<T>): Promise<T | undefined> }; active: { model: Model } | null }; renderFace(size: number, hue: number, out: Float32Array): void };
    }).explorer;
    const model = ex.app.active!.model;
    const q = ex.app.queue;
    const z = new Float32Array(model.latent);
    const img = new Float32Array(32 * 32 * 3);
    const grid = new Float32Array(100 * model.latent);
    for (let i = 0; i < 100; i++) {
      grid[i * model.latent] = -3 + (6 * (i % 10)) / 9;
      grid[i * model.latent + 1] = -3 + (6 * Math.floor(i / 10)) / 9;
    }
    const once = async (i: number): Promise<void> => {
      if (op === 'decode') {
        // a drag: a new point every event
        z[0] = 2.5 * Math.sin(i * 0.37);
        z[1] = 2.5 * Math.cos(i * 0.23);
        await q.run('bench', () => model.decode(z, 1));
      } else if (op === 'mapping') {
        ex.renderFace(0.4 + ((i * 7) % 100) / 100, 0.3 + ((i * 13) % 50) / 100, img);
        const x = img.slice();
        await q.run('bench', async () => {
          const e = await model.encode(x, 1);
          return model.decode(e.mu, 1);
        });
      } else {
        await q.run('bench', () => model.decode(grid, 100));
      }
    };
    for (let i = 0; i < warmup; i++) await once(i);
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      await once(warmup + i);
      times.push(performance.now() - t0);
    }
    return times;
  }, { op, reps, warmup });
}

async function main(): Promise<void> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (install it: bash scripts/system-deps.sh, as root)`);
  const dir = await benchRun();
  const server = await serveExplorer({ runs: [dir], port: 0 });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-bench-web-profile-'));
  let context: BrowserContext | null = null;
  let browser: Browser | null = null;
  const rows: string[][] = [];
  const startRows: string[][] = [];
  const markRows: string[][] = [];
  const notes: string[] = [];
  const loadBefore = loadAverage();
  let loadAfter = '';
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1100, height: 900 },
      args: LAUNCH_ARGS,
    });
    const version = context.browser()?.version() ?? '?';
    notes.push(`Chromium ${version} (headless, --disable-gpu), ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${reps} timed runs after ${warmup} warm-up runs each`);
    for (const want of backends) {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}?backend=${want}`);
      await page.waitForFunction(() => document.body.dataset.activeRun !== undefined || document.body.dataset.error !== undefined, undefined, { timeout: 120_000 });
      const got = await page.getAttribute('body', 'data-backend');
      if (got !== want || (await page.getAttribute('body', 'data-error'))) {
        notes.push(`${want}: did not start (${(await page.textContent('#status')) ?? errors.join('; ')})`);
        await page.close();
        continue;
      }
      if (want === 'webgl') {
        const renderer = await page.evaluate(() => {
          const gl = document.createElement('canvas').getContext('webgl');
          const info = gl?.getExtension('WEBGL_debug_renderer_info');
          return gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : 'unknown';
        });
        notes.push(`webgl: started; renderer ${renderer}`);
      } else notes.push(`${want}: started`);
      // let the page finish its start-up work (widgets, the faces worker) before timing
      await page.evaluate(() => (window as unknown as { explorer: { idle(): Promise<void> } }).explorer.idle());
      await page.waitForTimeout(1500);
      for (const { op, label, drag } of OPS) {
        const times = (await timeInPage(page, op)).sort((a, b) => a - b);
        const med = quantile(times, 0.5), p95 = quantile(times, 0.95);
        rows.push([label, want, med.toFixed(2), p95.toFixed(2), drag ? (p95 < FRAME_MS ? 'yes' : 'no') : '-']);
        process.stderr.write(`${want} ${label}: median ${med.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms\n`);
      }
      await page.close();
    }
    // the page's start, with a warm server (the loads above warmed it)
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    for (const want of backends) {
      if (!notes.some((n) => n.startsWith(`${want}: started`))) continue;
      const url = `${server.url}?backend=${want}`;
      const cold: number[] = [], warm: number[] = [];
      const coldMarks: Load['marks'][] = [];
      let bytes = 0;
      for (let k = 0; k < loads; k++) {
        // an empty HTTP cache: a new context of the same browser
        const fresh = await browser.newContext({ viewport: { width: 1100, height: 900 } });
        await fresh.addInitScript(FIRST_IMAGE_PROBE);
        const page = await fresh.newPage();
        const c = await loadOnce(page, url, false);
        cold.push(c.ms);
        coldMarks.push(c.marks);
        bytes = c.bytes;
        warm.push((await loadOnce(page, url, true)).ms);
        await fresh.close();
      }
      cold.sort((a, b) => a - b);
      warm.sort((a, b) => a - b);
      const med = (xs: number[]): number => quantile(xs, 0.5);
      startRows.push([`first model image, empty cache (${(bytes / 1e6).toFixed(2)} MB transferred)`, want, med(cold).toFixed(0), cold[cold.length - 1].toFixed(0), med(cold) < FIRST_IMAGE_GOAL_MS ? 'yes' : 'no']);
      startRows.push(['first model image, cached (reload)', want, med(warm).toFixed(0), warm[warm.length - 1].toFixed(0), med(warm) < FIRST_IMAGE_GOAL_MS ? 'yes' : 'no']);
      for (const m of MARKS) {
        const at = coldMarks.map((k) => k[m]).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
        if (at.length) markRows.push([`${MARK_LABELS[m]} (${m})`, want, med(at).toFixed(0)]);
      }
      process.stderr.write(`${want} first image: empty cache median ${med(cold).toFixed(0)} ms, cached ${med(warm).toFixed(0)} ms, ${bytes} bytes\n`);
    }
    loadAfter = loadAverage();
  } finally {
    await context?.close();
    await browser?.close();
    await server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  const header = ['operation', 'backend', 'median ms', 'p95 ms', `drag p95 < ${FRAME_MS} ms`];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`explorer latency (${notes[0]})\n`);
  for (const n of notes.slice(1)) process.stdout.write(`  ${n}\n`);
  process.stdout.write(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`);
  if (startRows.length) {
    const h2 = ['page start (navigation → first model image)', 'backend', 'median ms', 'max ms', `median < ${FIRST_IMAGE_GOAL_MS} ms`];
    const w2 = h2.map((h, i) => Math.max(h.length, ...startRows.map((r) => r[i].length)));
    const l2 = (r: string[]): string => r.map((c, i) => (i < 2 ? c.padEnd(w2[i]) : c.padStart(w2[i]))).join('  ');
    process.stdout.write(`\n${l2(h2)}\n${w2.map((w) => '-'.repeat(w)).join('  ')}\n${startRows.map(l2).join('\n')}\n(${loads} loads each, warm server)\n`);
  }
  if (markRows.length) {
    const h3 = ['where the empty-cache start goes (page marks)', 'backend', 'median ms'];
    const w3 = h3.map((h, i) => Math.max(h.length, ...markRows.map((r) => r[i].length)));
    const l3 = (r: string[]): string => r.map((c, i) => (i < 2 ? c.padEnd(w3[i]) : c.padStart(w3[i]))).join('  ');
    process.stdout.write(`\n${l3(h3)}\n${w3.map((w) => '-'.repeat(w)).join('  ')}\n${markRows.map(l3).join('\n')}\n`);
  }
  process.stdout.write(`\n${loadBefore} before, ${loadAfter || loadAverage()} after; ${os.cpus()[0]?.model ?? 'unknown CPU'}\n`);
}

await main();
