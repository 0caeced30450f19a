/**
 * An imported ONNX run in the explorer, end to end in headless Chromium: the PyTorch fixture
 * (test/fixtures/onnx-torch, the seed article's models through torch.onnx.export) imported as a
 * run, served by `vae serve`'s server; the page loads it with onnxruntime-web (wasm) and the
 * decoding widget shows PyTorch's decoding of z = (0, 0) (each 8-bit pixel within one step), then
 * another image after a drag; no console errors, no failed requests. `vae export-site` of the run
 * holds the .onnx files and onnxruntime-web's binary. A page showing a trained (tfjs) run fetches
 * none of onnxruntime-web until the ONNX run is picked. An MNIST MLP trained here, exported with
 * `vae export`'s code and imported again, gives the MNIST views the same anomaly scores (−ELBO,
 * same seeded draws) as the trained run itself. Skips only when /usr/bin/chromium is missing
 * outside CI (with CI=true it fails).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { ROOT, buildExplorer, haveChromium, idle, launch, pixels, watch } from './browser.js';
import { importOnnxPair } from '../../src/onnx/run.js';
import { serveExplorer, type ExplorerHandle } from '../../src/server/server.js';
import { exportSite } from '../../src/server/exportSite.js';
import { transposeImages } from '../../src/onnx/layout.js';
import { useBackend } from '../../src/engine/backend.js';
import { MLP_400_20, fitModelToData } from '../../src/models/config.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/trainer.js';
import { trainRun } from '../../src/train/trainRun.js';
import { loadRunModel } from '../../src/train/run.js';
import { exportOnnx } from '../../src/onnx/export.js';

const skip = !haveChromium && !process.env.CI;
if (skip) console.warn('test/e2e/onnx.test.ts: skipped: /usr/bin/chromium is missing (install it: bash scripts/system-deps.sh, as root)');

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'onnx-torch');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-e2e-onnx-'));
const runDir = path.join(tmp, 'torch-faces');
const tfjsDir = path.join(tmp, 'faces-mlp');
const mnistDir = path.join(tmp, 'mnist-mlp');
const mnistOnnxDir = path.join(tmp, 'mnist-onnx');
const cases = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'cases.json'), 'utf8')) as { z: number[][]; decoded: number[][] };

let webRoot: string;
let context: BrowserContext;
let server: ExplorerHandle;

beforeAll(async () => {
  if (skip) return;
  await importOnnxPair({ encoder: path.join(FIXTURE, 'encoder.onnx'), decoder: path.join(FIXTURE, 'decoder.onnx'), out: runDir });
  await useBackend('wasm');
  await trainRun({
    dir: tfjsDir, dataset: { name: 'faces', seed: 0, trainLimit: 128 },
    model: fitModelToData(MLP_400_20, { height: 32, width: 32, channels: 3 }, { hidden: [16], latent: 2, likelihood: { kind: 'gaussian', sigma2: 1 } }),
    options: { ...DEFAULT_TRAIN_OPTIONS, epochs: 1, batchSize: 64, binarize: 'none', seed: 0 },
  });
  // an MNIST run, and the same model exported to ONNX and imported again
  await trainRun({
    dir: mnistDir, dataset: { name: 'mnist', seed: 0, trainLimit: 500 },
    model: fitModelToData(MLP_400_20, { height: 28, width: 28, channels: 1 }, { hidden: [32], latent: 2, likelihood: { kind: 'bernoulli' } }),
    options: { ...DEFAULT_TRAIN_OPTIONS, epochs: 1, batchSize: 64, binarize: 'dynamic', seed: 0 },
  });
  const { run, vae } = await loadRunModel(mnistDir);
  const bytes = exportOnnx(run.model, vae.encoder, vae.decoder);
  vae.dispose();
  fs.writeFileSync(path.join(tmp, 'm-enc.onnx'), bytes.encoder);
  fs.writeFileSync(path.join(tmp, 'm-dec.onnx'), bytes.decoder);
  await importOnnxPair({ encoder: path.join(tmp, 'm-enc.onnx'), decoder: path.join(tmp, 'm-dec.onnx'), out: mnistOnnxDir });
  webRoot = path.join(tmp, 'web');
  await buildExplorer(webRoot);
  server = await serveExplorer({ runs: [runDir, tfjsDir, mnistDir, mnistOnnxDir], port: 0, webRoot });
  context = await launch(tmp);
}, 600_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(skip)('an imported ONNX run in the explorer (onnxruntime-web)', () => {
  let page: Page;
  const problems: string[] = [];
  const ortRequests: string[] = [];

  beforeAll(async () => {
    page = await context.newPage();
    watch(page, problems);
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    page.on('request', (r) => {
      if (/ort-wasm|ort\.wasm|onnxModel|\.onnx$/.test(r.url())) ortRequests.push(r.url());
    });
    // a trained run first: nothing of onnxruntime-web is fetched for it
    await page.goto(`${server.url}?run=faces-mlp&backend=wasm`);
    await page.waitForSelector('body[data-active-run="faces-mlp"]', { timeout: 120_000 });
    await idle(page);
    expect(ortRequests).toEqual([]);
    await page.selectOption('#run-select', 'torch-faces');
    await page.waitForSelector('body[data-active-run="torch-faces"]', { timeout: 120_000 });
    await idle(page);
  }, 180_000);

  it('lists the run as an ONNX run and loads its graphs and onnxruntime-web\'s binary', async () => {
    const runs = (await (await fetch(`${server.url}api/runs`)).json()) as { name: string; model: { kind: string }; onnx?: { encoder: string } }[];
    expect(runs.map((r) => [r.name, r.model.kind])).toEqual([['torch-faces', 'onnx'], ['faces-mlp', 'mlp'], ['mnist-mlp', 'mlp'], ['mnist-onnx', 'onnx']]);
    expect(runs[0].onnx?.encoder).toBe('runs/torch-faces/encoder.onnx');
    expect(await page.textContent('#run-select')).toMatch(/torch-faces \(faces, onnx/);
    expect(ortRequests.some((u) => u.endsWith('/runs/torch-faces/encoder.onnx'))).toBe(true);
    expect(ortRequests.some((u) => u.endsWith('/runs/torch-faces/decoder.onnx'))).toBe(true);
    expect(ortRequests.some((u) => /ort-wasm[^/]*\.wasm$/.test(u))).toBe(true);
    expect(ortRequests.some((u) => /onnxModel[^/]*\.js$/.test(u))).toBe(true);
  });

  it('the decoding widget shows PyTorch\'s decoding of z = (0, 0), and another image after a drag', async () => {
    const sel = 'section[data-widget="decoding"]';
    await page.waitForSelector(`${sel}[data-ready="torch-faces"]`);
    expect(await page.textContent(`${sel} figcaption`)).toMatch(/z = \(0\.00, 0\.00\)/);
    expect(cases.z[0]).toEqual([0, 0]);
    const want = transposeImages(Float32Array.from(cases.decoded[0]), 1, [32, 32, 3], false);
    const px = await pixels(page, `${sel} canvas[data-role="decoded"]`);
    expect(px.length).toBe(32 * 32 * 4);
    let worst = 0;
    for (let i = 0; i < 32 * 32; i++) for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(px[4 * i + c] - want[3 * i + c] * 255));
    expect(worst).toBeLessThanOrEqual(0.5 + 0.03);

    const area = page.locator(`${sel} .plot-area`);
    await area.scrollIntoViewIfNeeded();
    const b = (await area.boundingBox())!;
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width * 0.1, b.y + b.height * 0.9, { steps: 5 });
    await page.mouse.up();
    await idle(page);
    expect(await page.textContent(`${sel} figcaption`)).not.toMatch(/z = \(0\.00, 0\.00\)/);
    const after = await pixels(page, `${sel} canvas[data-role="decoded"]`);
    let moved = 0;
    for (let i = 0; i < after.length; i++) moved += Math.abs(after[i] - px[i]);
    expect(moved / after.length).toBeGreaterThan(1);
  });

  it('the sampling and mapping widgets run on it too, with no console errors or failed requests', async () => {
    for (const w of ['sampling', 'mapping']) await page.waitForSelector(`section[data-widget="${w}"][data-ready="torch-faces"]`);
    await idle(page);
    expect(problems).toEqual([]);
  });

  it('an MNIST model exported and imported again gives the MNIST views the anomaly scores of the trained run', async () => {
    const sel = 'section[data-widget="anomaly"]';
    const scoresOf = async (name: string): Promise<[number, number][]> => {
      await page.selectOption('#run-select', name);
      await page.waitForSelector(`body[data-active-run="${name}"]`);
      await page.waitForSelector(`${sel}[data-ready="${name}"]`, { timeout: 120_000 });
      for (const w of ['latent-scatter', 'manifold']) await page.waitForSelector(`section[data-widget="${w}"][data-ready="${name}"]`);
      return page.$$eval(`${sel} canvas[data-score]`, (cs) => cs.map((c) => [Number((c as HTMLElement).dataset.test), Number((c as HTMLElement).dataset.score)] as [number, number]));
    };
    const a = await scoresOf('mnist-mlp');
    const b = await scoresOf('mnist-onnx');
    expect(a).toHaveLength(24);
    expect(b.map(([i]) => i)).toEqual(a.map(([i]) => i));
    for (let k = 0; k < a.length; k++) expect(Math.abs(b[k][1] - a[k][1])).toBeLessThan(0.01);
    expect(problems).toEqual([]);
  });

  it('vae export-site includes the run\'s .onnx files and onnxruntime-web\'s binary', async () => {
    const r = await exportSite({ runs: [runDir], out: path.join(tmp, 'site'), webRoot });
    expect(r.files).toContain('runs/torch-faces/encoder.onnx');
    expect(r.files).toContain('runs/torch-faces/decoder.onnx');
    expect(r.files.some((f) => /^assets\/ort-wasm[^/]*\.wasm$/.test(f))).toBe(true);
    expect(fs.readFileSync(path.join(tmp, 'site', 'runs', 'torch-faces', 'encoder.onnx'))).toEqual(fs.readFileSync(path.join(FIXTURE, 'encoder.onnx')));
  });
});
