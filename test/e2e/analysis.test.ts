/**
 * The explorer's analysis views for MNIST-like runs (issue 4 in the page), end to end in headless
 * Chromium: slerp in the interpolation, traversal with each dimension's activity, latent search,
 * anomaly scores, and a mixture-prior run's prior in sampling and the latent scatter (served, and
 * exported by export-site). Three tiny runs are trained here: MNIST with an 8-D latent space and
 * N(0, I), MNIST with a 2-D latent space and a mixture prior of 3 Gaussians, and a faces MLP (to
 * check the views hide themselves). What the page shows is checked against the same quantities
 * computed in Node from the run folders. Skips only when /usr/bin/chromium is missing.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { useBackend } from '../../src/engine/backend.js';
import { loadDataset, type DatasetSpec } from '../../src/data/load.js';
import { MLP_400_20, fitModelToData } from '../../src/models/config.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/trainer.js';
import { trainRun } from '../../src/train/trainRun.js';
import { loadRunModel } from '../../src/train/run.js';
import { serveExplorer, type ExplorerHandle } from '../../src/server/server.js';
import { exportSite } from '../../src/server/exportSite.js';
import { parseTestSet, type TestSet } from '../../src/server/testsetFormat.js';
import { encodeImages } from '../../src/analysis/generate.js';
import { anomalyScores } from '../../src/analysis/anomaly.js';
import { GmmPrior, type GmmParams } from '../../src/math/prior.js';
import { Rng } from '../../src/math/rng.js';
import { buildExplorer, haveChromium, CHROMIUM, idle, launch, meanAbsDiff, pixels, watch } from './browser.js';

if (!haveChromium) console.warn(`test/e2e/analysis.test.ts: skipped: ${CHROMIUM} is missing (install it: bash scripts/system-deps.sh, as root)`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-e2e-analysis-'));
const run = (name: string): string => path.join(tmp, name);
const VIEWS = ['traversal', 'latent-search', 'anomaly'];
const W = (w: string): string => `section[data-widget="${w}"]`;

let webRoot: string;
let context: BrowserContext;

/** max − min of the red channel. */
function spread(px: number[]): number {
  const red = px.filter((_, i) => i % 4 === 0);
  return Math.max(...red) - Math.min(...red);
}

async function waitReady(p: Page, widgets: string[], runName: string): Promise<void> {
  for (const w of widgets) await p.waitForSelector(`${W(w)}[data-ready="${runName}"]`, { timeout: 120_000 });
}

async function switchTo(p: Page, name: string): Promise<void> {
  await p.selectOption('#run-select', name);
  await p.waitForSelector(`body[data-active-run="${name}"]`, { timeout: 120_000 });
  await idle(p);
}

/** The test images as the page has them (testset.bin), in [0, 1]. */
async function testImages(url: string): Promise<TestSet & { images: Float32Array }> {
  const t = parseTestSet(await (await fetch(url)).arrayBuffer());
  return { ...t, images: Float32Array.from(t.pixels, (v) => v / 255) };
}

/** Encoder means of the test images by a run's model, computed in Node. */
async function nodeMeans(dir: string, images: Float32Array, n: number): Promise<{ mu: Float32Array; latent: number }> {
  const { vae } = await loadRunModel(dir);
  try {
    return { mu: encodeImages(vae, images, n).mu, latent: vae.config.latent };
  } finally {
    vae.dispose();
  }
}

/** Brute-force k nearest rows (written here, independently of src/analysis/search.ts). */
function bruteKnn(x: Float32Array, n: number, d: number, q: number, k: number, metric: 'euclidean' | 'cosine'): { i: number; dist: number }[] {
  const row = (i: number): number[] => Array.from(x.subarray(i * d, (i + 1) * d));
  const norm = (v: number[]): number => Math.hypot(...v);
  const a = row(q);
  const all: { i: number; dist: number }[] = [];
  for (let i = 0; i < n; i++) {
    if (i === q) continue;
    const b = row(i);
    const dist = metric === 'euclidean'
      ? Math.hypot(...a.map((v, j) => v - b[j]))
      : 1 - a.reduce((s, v, j) => s + v * b[j], 0) / (norm(a) * norm(b));
    all.push({ i, dist });
  }
  return all.sort((p, r) => p.dist - r.dist || p.i - r.i).slice(0, k);
}

beforeAll(async () => {
  if (!haveChromium) return;
  await useBackend('wasm');
  const mnist: DatasetSpec = { name: 'mnist', seed: 0, trainLimit: 3000 };
  const data = await loadDataset(mnist);
  const bernoulli = { kind: 'bernoulli' } as const;
  const opts = { ...DEFAULT_TRAIN_OPTIONS, batchSize: 64, learningRate: 3e-3, binarize: 'dynamic' as const };
  const shape = { height: 28, width: 28, channels: 1 };
  await trainRun({
    dir: run('mnist-8d'), data, dataset: mnist,
    model: fitModelToData(MLP_400_20, shape, { hidden: [128], latent: 8, likelihood: bernoulli }),
    options: { ...opts, epochs: 3, seed: 0 },
  });
  await trainRun({
    dir: run('mnist-gmm'), data, dataset: mnist,
    model: fitModelToData(MLP_400_20, shape, { hidden: [128], latent: 2, likelihood: bernoulli, prior: { kind: 'gmm', components: 3 } }),
    options: { ...opts, epochs: 3, seed: 0 },
  });
  const faces: DatasetSpec = { name: 'faces', seed: 0, trainLimit: 256 };
  await trainRun({
    dir: run('faces-mlp'), dataset: faces,
    model: fitModelToData(MLP_400_20, { height: 32, width: 32, channels: 3 }, { hidden: [32], latent: 2, likelihood: { kind: 'gaussian', sigma2: 1 } }),
    options: { ...DEFAULT_TRAIN_OPTIONS, epochs: 1, batchSize: 64, binarize: 'none', seed: 0 },
  });
  webRoot = path.join(tmp, 'web');
  await buildExplorer(webRoot);
  context = await launch(tmp);
}, 400_000);

afterAll(async () => {
  await context?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The prior file a mixture run's run.json names: prior-e<bestEpoch>.json. */
const priorName = (dir: string): string => `prior-e${(JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as { bestEpoch: number }).bestEpoch}.json`;
const readPrior = (dir: string): GmmParams => JSON.parse(fs.readFileSync(path.join(dir, priorName(dir)), 'utf8')) as GmmParams;

describe.skipIf(!haveChromium && !process.env.CI)('analysis views in headless Chromium', () => {
  let server: ExplorerHandle;
  let page: Page;
  const problems: string[] = [];
  let test: TestSet & { images: Float32Array };

  beforeAll(async () => {
    server = await serveExplorer({ runs: [run('mnist-8d'), run('mnist-gmm'), run('faces-mlp')], port: 0, webRoot });
    test = await testImages(`${server.url}runs/mnist-8d/testset.bin`);
    page = await context.newPage();
    watch(page, problems);
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    await page.goto(`${server.url}?run=mnist-8d`);
    await page.waitForSelector('body[data-active-run="mnist-8d"]');
    await waitReady(page, [...VIEWS, 'interpolation', 'sampling', 'latent-scatter'], 'mnist-8d');
    await idle(page);
  }, 180_000);

  afterAll(async () => {
    await page?.close();
    await server?.close();
  });

  it('serves the prior file a mixture run names (and lists it), and nothing else of that kind', async () => {
    const runs = (await (await fetch(`${server.url}api/runs`)).json()) as { name: string; urls: { prior?: string | null } }[];
    const name = priorName(run('mnist-gmm'));
    expect(runs.find((r) => r.name === 'mnist-gmm')?.urls.prior).toBe(`runs/mnist-gmm/${name}`);
    expect(runs.find((r) => r.name === 'mnist-8d')?.urls.prior).toBeNull();
    expect(runs.find((r) => r.name === 'faces-mlp')?.urls.prior).toBeNull();
    const res = await fetch(`${server.url}runs/mnist-gmm/${name}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(fs.readFileSync(path.join(run('mnist-gmm'), name), 'utf8'));
    // the state/ copy and other epochs' names are not served; neither is a prior name for a standard run
    expect(fs.existsSync(path.join(run('mnist-gmm'), 'state', priorName(run('mnist-gmm'))))).toBe(true);
    const other = name === 'prior-e2.json' ? 'prior-e1.json' : 'prior-e2.json';
    for (const p of [`runs/mnist-gmm/${other}`, `runs/mnist-gmm/state/${name}`, `runs/mnist-8d/${name}`, `runs/mnist-gmm/${name}.tmp`, `runs/mnist-gmm/${name.toUpperCase()}`]) {
      expect((await fetch(`${server.url}${p}`)).status, p).toBe(404);
    }
    // a file of another epoch in the folder is still not served
    fs.copyFileSync(path.join(run('mnist-gmm'), name), path.join(run('mnist-gmm'), other));
    expect((await fetch(`${server.url}runs/mnist-gmm/${other}`)).status).toBe(404);
    fs.rmSync(path.join(run('mnist-gmm'), other));
  });

  it('the three new views render on an MNIST run, each with its explanation', async () => {
    for (const w of VIEWS) {
      expect(await page.isVisible(`${W(w)} > p.notice`), w).toBe(false);
      expect((await page.textContent(`${W(w)} p.explanation`))!.length, w).toBeGreaterThan(300);
    }
    expect(await page.locator(`${W('traversal')} canvas.traverse-step`).count()).toBe(9);
    for (let i = 0; i < 9; i++) expect(spread(await pixels(page, `${W('traversal')} canvas.traverse-step[data-index="${i}"]`))).toBeGreaterThan(20);
    expect(await page.locator(`${W('latent-search')} canvas.neighbour`).count()).toBe(10);
    expect(await page.locator(`${W('anomaly')} canvas.atypical`).count()).toBe(12);
    expect(await page.locator(`${W('anomaly')} canvas.typical`).count()).toBe(12);
    // the existing views keep their own strips and images
    expect(await page.locator('canvas.strip-img').count()).toBe(20);
  });

  it('interpolation: the slerp toggle redraws the path, keeping |z(½)| at the mean of |mu_A| and |mu_B|', async () => {
    const sel = `${W('interpolation')} canvas.interp-step[data-index="4"]`;
    const linear = await pixels(page, sel);
    const readLinear = (await page.textContent(`${W('interpolation')} .mono`))!;
    expect(readLinear).toMatch(/A = test #0 \(7\), B = test #1 \(2\).*linear path/);
    await page.click(`${W('interpolation')} [data-role="interp-method"] button[data-value="slerp"]`);
    await idle(page);
    expect(await page.getAttribute(W('interpolation'), 'data-method')).toBe('slerp');
    expect(meanAbsDiff(linear, await pixels(page, sel))).toBeGreaterThan(1);
    // the ends are the same images
    const read = (await page.textContent(`${W('interpolation')} .mono`))!;
    expect(read).toMatch(/spherical path/);
    const { mu, latent } = await nodeMeans(run('mnist-8d'), test.images.subarray(0, 2 * 784), 2);
    const norm = (o: number): number => Math.hypot(...Array.from(mu.subarray(o, o + latent)));
    const half = Number(/\|z\(½\)\| = ([\d.]+)/.exec(read)![1]);
    expect(Math.abs(half - (norm(0) + norm(latent)) / 2)).toBeLessThanOrEqual(0.006); // shown with 2 decimals
    // the straight line's midpoint is shorter
    expect(Number(/\|z\(½\)\| = ([\d.]+)/.exec(readLinear)![1])).toBeLessThan(half);
    await page.click(`${W('interpolation')} [data-role="interp-method"] button[data-value="linear"]`);
    await idle(page);
    expect(meanAbsDiff(linear, await pixels(page, sel))).toBe(0);
  });

  it('traversal: each dimension\'s activity is the variance of the test means (as computed in Node); choosing a dimension changes the strip', async () => {
    const { mu, latent } = await nodeMeans(run('mnist-8d'), test.images, test.count);
    const options = await page.$$eval(`${W('traversal')} select[data-role="traversal-dim"] option`, (os) => os.map((o) => ({ text: o.textContent!, variance: Number((o as HTMLOptionElement).dataset.variance) })));
    expect(options.length).toBe(latent);
    for (let j = 0; j < latent; j++) {
      let m = 0, v = 0;
      for (let i = 0; i < test.count; i++) m += mu[i * latent + j] / test.count;
      for (let i = 0; i < test.count; i++) v += (mu[i * latent + j] - m) ** 2 / test.count;
      expect(Math.abs(options[j].variance - v), `z${j + 1}`).toBeLessThan(1e-3 * Math.max(1, v));
      expect(options[j].text.includes('(inactive)'), options[j].text).toBe(v <= 0.01);
    }
    const bars = await page.$$eval(`${W('traversal')} rect.activity-bar`, (bs) => bs.map((b) => b.classList.contains('inactive')));
    expect(bars).toEqual(options.map((o) => o.variance <= 0.01));
    // it starts at the most active dimension
    const most = options.reduce((b, o, j) => (o.variance > options[b].variance ? j : b), 0);
    expect(await page.getAttribute(W('traversal'), 'data-dim')).toBe(String(most));
    const strip = async (): Promise<number[]> => (await Promise.all(Array.from({ length: 9 }, (_, i) => pixels(page, `${W('traversal')} canvas.traverse-step[data-index="${i}"]`)))).flat();
    const before = await strip();
    // a sweep changes the image along the strip
    expect(meanAbsDiff(await pixels(page, `${W('traversal')} canvas.traverse-step[data-index="0"]`), await pixels(page, `${W('traversal')} canvas.traverse-step[data-index="8"]`))).toBeGreaterThan(3);
    const other = (most + 1) % latent;
    await page.selectOption(`${W('traversal')} select[data-role="traversal-dim"]`, String(other));
    await idle(page);
    expect(await page.getAttribute(W('traversal'), 'data-dim')).toBe(String(other));
    expect(await page.textContent(`${W('traversal')} p.mono`)).toMatch(new RegExp(`^test #0 \\(7\\): z${other + 1} from −3 to 3`));
    const after = await strip();
    expect(meanAbsDiff(before, after)).toBeGreaterThan(1);
    // clicking a bar picks its dimension; clicking a test image changes the source image
    await page.click(`${W('traversal')} rect.activity-bar[data-dim="${most}"]`);
    await idle(page);
    expect(await page.inputValue(`${W('traversal')} select[data-role="traversal-dim"]`)).toBe(String(most));
    expect(meanAbsDiff(before, await strip())).toBe(0);
    await page.click(`${W('traversal')} canvas.pick-img[data-index="3"]`);
    await idle(page);
    expect(await page.getAttribute(W('traversal'), 'data-pick')).toBe('3');
    expect(meanAbsDiff(before, await strip())).toBeGreaterThan(1);
  });

  it('latent search: a clicked query shows its 10 nearest test images by encoder mean, with labels, distances and precision@10', async () => {
    // the page's own means (what it searched), against a brute-force search written here
    const pageMu = await page.evaluate(async () => {
      const e = (window as unknown as { explorer: { app: { active: unknown }; testSets: { latent(ctx: unknown): Promise<{ mu: Float32Array }> } } }).explorer;
      return Array.from((await e.testSets.latent(e.app.active)).mu);
    });
    const mu = Float32Array.from(pageMu);
    const d = 8;
    for (const [q, metric] of [[3, 'euclidean'], [5, 'euclidean'], [5, 'cosine']] as const) {
      if (await page.getAttribute(`${W('latent-search')} [data-role="search-metric"] button[data-value="${metric}"]`, 'aria-checked') !== 'true') {
        await page.click(`${W('latent-search')} [data-role="search-metric"] button[data-value="${metric}"]`);
      }
      await page.click(`${W('latent-search')} canvas.pick-img[data-index="${q}"]`);
      expect(await page.getAttribute(W('latent-search'), 'data-query')).toBe(String(q));
      expect(await page.getAttribute(W('latent-search'), 'data-metric')).toBe(metric);
      const shown = await page.$$eval(`${W('latent-search')} canvas.neighbour`, (cs) => cs.map((c) => ({ i: Number((c as HTMLElement).dataset.test), dist: Number((c as HTMLElement).dataset.distance) })));
      const captions = await page.$$eval(`${W('latent-search')} figure.neighbour figcaption`, (cs) => cs.map((c) => c.textContent!));
      expect(shown.length).toBe(10);
      const want = bruteKnn(mu, test.count, d, q, 10, metric);
      expect(shown.map((s) => s.i), `${metric} #${q}`).toEqual(want.map((w) => w.i));
      shown.forEach((s, r) => expect(Math.abs(s.dist - want[r].dist)).toBeLessThan(1e-5));
      captions.forEach((c, r) => expect(c).toBe(`${test.labels[want[r].i]}\n${want[r].dist.toFixed(3)}`));
      const hits = want.filter((w) => test.labels[w.i] === test.labels[q]).length;
      expect(Number(await page.getAttribute(W('latent-search'), 'data-precision'))).toBeCloseTo(hits / 10, 10);
      expect(await page.textContent(`${W('latent-search')} p.precision`)).toMatch(new RegExp(`^precision@10 for this query: ${(hits / 10).toFixed(1)} \\(${hits} of 10`));
    }
    expect(await page.textContent(`${W('latent-search')} p.precision-all`)).toMatch(/over all 2000 test images .*precision@10 = 0\.\d{3}/);
  });

  it('anomalies: the 12 most and least typical test images by −ELBO, the same scores as `anomalyScores` in Node, a histogram and per-label means', async () => {
    const read = (cls: string): Promise<{ i: number; score: number }[]> =>
      page.$$eval(`${W('anomaly')} canvas.${cls}`, (cs) => cs.map((c) => ({ i: Number((c as HTMLElement).dataset.test), score: Number((c as HTMLElement).dataset.score) })));
    const atypical = await read('atypical');
    const typical = await read('typical');
    const { vae } = await loadRunModel(run('mnist-8d'));
    const node = await anomalyScores(vae, test.images, test.count, { samples: 1, seed: 0, batchSize: 250 });
    vae.dispose();
    const s = node.negElbo;
    const order = Array.from(s.keys()).sort((a, b) => s[b] - s[a] || a - b);
    // the same scores (float32 sums in another order: a few thousandths of a nat at most)
    for (const x of [...atypical, ...typical]) expect(Math.abs(x.score - s[x.i]), `test #${x.i}`).toBeLessThan(0.01);
    // and the same ranking, up to scores within that tolerance of each other
    const tol = (i: number, j: number): boolean => i === j || Math.abs(s[i] - s[j]) < 0.02;
    atypical.forEach((x, r) => expect(tol(x.i, order[r]), `atypical ${r}`).toBe(true));
    typical.forEach((x, r) => expect(tol(x.i, order[test.count - 1 - r]), `typical ${r}`).toBe(true));
    expect(Math.min(...atypical.map((x) => x.score))).toBeGreaterThan(Math.max(...typical.map((x) => x.score)));
    // the histogram holds every image once
    const counted = await page.$$eval(`${W('anomaly')} rect.hist-bar`, (rs) => rs.reduce((n, r) => n + Number(r.getAttribute('data-count')), 0));
    expect(counted).toBe(test.count);
    const means = await page.$$eval(`${W('anomaly')} .label-mean`, (ls) => ls.map((l) => ({ label: Number((l as HTMLElement).dataset.label), mean: Number((l as HTMLElement).dataset.mean) })));
    expect(means.length).toBe(10);
    for (const m of means) {
      let sum = 0, n = 0;
      for (let i = 0; i < test.count; i++) {
        if (test.labels[i] === m.label) {
          sum += s[i];
          n++;
        }
      }
      expect(Math.abs(m.mean - sum / n), `label ${m.label}`).toBeLessThan(0.01);
    }
    // highest mean first
    expect(means.map((m) => m.mean)).toEqual([...means.map((m) => m.mean)].sort((a, b) => b - a));
    expect(await page.textContent(`${W('anomaly')} .anomaly-summary`)).toMatch(/^2000 test images scored by −ELBO, 1 draw of z per image \(seed 0\), with the prior N\(0, I\)/);
  });

  it('scoring in the page leaves no tensors behind', async () => {
    const count = (): Promise<number> => page.evaluate(() => (window as unknown as { explorer: { tensors(): number } }).explorer.tensors());
    const scoreOnce = (): Promise<number> => page.evaluate(async () => {
      const e = (window as unknown as { explorer: { app: { active: { model: { scores(x: Float32Array, n: number, k: number, rng: unknown): Promise<{ negElbo: Float32Array }> } } } } }).explorer;
      // a fixed stand-in for the generator (the estimator draws eps with rng.normals)
      const rng = { normals: (n: number) => new Float32Array(n).fill(0.1) };
      const x = new Float32Array(4 * 784).fill(0.5);
      return (await e.app.active.model.scores(x, 4, 3, rng)).negElbo[0];
    });
    await idle(page);
    const before = await count();
    const first = await scoreOnce();
    for (let k = 0; k < 3; k++) expect(await scoreOnce()).toBe(first);
    expect(await count()).toBe(before);
  });

  it('a mixture-prior run: sampling draws from the run\'s mixture (component means marked), the scatter shows them, anomaly uses the mixture', async () => {
    // the standard run's sampling draws N(0, I): Rng(1000).normals
    const dots = (): Promise<[number, number][]> => page.$$eval(`${W('sampling')} circle.sample-pt`, (cs) => cs.map((c) => [Number((c as SVGElement).dataset.z1), Number((c as SVGElement).dataset.z2)] as [number, number]));
    const std = new Rng(1000).normals(24 * 8);
    expect(await dots()).toEqual(Array.from({ length: 24 }, (_, i) => [std[i * 8], std[i * 8 + 1]]));
    expect(await page.getAttribute(`${W('sampling')} svg.zplot`, 'data-prior')).toBe('standard');
    expect(await page.locator(`${W('sampling')} .prior-mean`).count()).toBe(0);
    const stdHeat = await page.getAttribute(`${W('sampling')} image.heatmap`, 'href');

    await switchTo(page, 'mnist-gmm');
    await waitReady(page, ['sampling', 'latent-scatter', ...VIEWS], 'mnist-gmm');
    const params = readPrior(run('mnist-gmm'));
    expect(await page.getAttribute(`${W('sampling')} svg.zplot`, 'data-prior')).toBe('gmm');
    const marks = await page.$$eval(`${W('sampling')} .prior-mean`, (ms) => ms.map((m) => [Number(m.getAttribute('data-x')), Number(m.getAttribute('data-y'))]));
    expect(marks).toEqual(params.means.map((m) => [m[0], m[1]]));
    expect(await page.getAttribute(`${W('sampling')} image.heatmap`, 'href')).not.toBe(stdHeat);
    expect(await page.textContent(`${W('sampling')} .prior-note`)).toMatch(/mixture of 3 Gaussians/);
    // the draws are ancestral samples of the saved mixture, not N(0, I)
    const gmm = new GmmPrior(params);
    const want = gmm.sample(new Rng(1000), 24);
    gmm.dispose();
    const got = await dots();
    got.forEach(([a, b], i) => {
      expect(Math.abs(a - want[2 * i])).toBeLessThan(1e-6);
      expect(Math.abs(b - want[2 * i + 1])).toBeLessThan(1e-6);
    });
    const normal = new Rng(1000).normals(48);
    expect(got.some(([a], i) => Math.abs(a - normal[2 * i]) > 0.01)).toBe(true);
    // a new draw is again from the mixture
    await page.click(`${W('sampling')} button`);
    await idle(page);
    const gmm2 = new GmmPrior(params);
    const want2 = gmm2.sample(new Rng(1001), 24);
    gmm2.dispose();
    (await dots()).forEach(([a], i) => expect(Math.abs(a - want2[2 * i])).toBeLessThan(1e-6));

    // the scatter: the component means over the mixture's density
    expect(await page.getAttribute(`${W('latent-scatter')} svg.zplot`, 'data-prior')).toBe('gmm');
    const scatterMarks = await page.$$eval(`${W('latent-scatter')} .prior-mean`, (ms) => ms.map((m) => [Number(m.getAttribute('data-x')), Number(m.getAttribute('data-y'))]));
    scatterMarks.forEach(([x, y], k) => {
      expect(Math.abs(x - params.means[k][0])).toBeLessThan(1e-6);
      expect(Math.abs(y - params.means[k][1])).toBeLessThan(1e-6);
    });
    expect(scatterMarks.length).toBe(3);
    expect(await page.textContent(`${W('latent-scatter')} .projection-note`)).toMatch(/mixture of 3 Gaussians/);

    // anomaly scores with the mixture's log p(z)
    expect(await page.textContent(`${W('anomaly')} .anomaly-summary`)).toMatch(/with the run's mixture prior of 3 Gaussians/);
    const shown = await page.$$eval(`${W('anomaly')} canvas.atypical`, (cs) => cs.map((c) => ({ i: Number((c as HTMLElement).dataset.test), score: Number((c as HTMLElement).dataset.score) })));
    const { vae } = await loadRunModel(run('mnist-gmm'));
    const node = await anomalyScores(vae, test.images, test.count, { samples: 1, seed: 0, batchSize: 250 });
    vae.dispose();
    for (const x of shown) expect(Math.abs(x.score - node.negElbo[x.i]), `test #${x.i}`).toBeLessThan(0.01);

    // back to the standard run: N(0, I) again
    await switchTo(page, 'mnist-8d');
    await waitReady(page, ['sampling'], 'mnist-8d');
    expect(await page.getAttribute(`${W('sampling')} svg.zplot`, 'data-prior')).toBe('standard');
    expect(await page.locator(`${W('sampling')} .prior-mean`).count()).toBe(0);
  });

  it('a faces run hides the new views behind a one-line note', async () => {
    await switchTo(page, 'faces-mlp');
    for (const w of VIEWS) {
      await page.waitForSelector(`${W(w)}[data-ready="faces-mlp"]`);
      expect(await page.isVisible(`${W(w)} > p.notice`), w).toBe(true);
      expect(await page.textContent(`${W(w)} > p.notice`)).toMatch(/MNIST-like runs/);
      expect(await page.isVisible(`${W(w)} > .widget-body`), w).toBe(false);
    }
    expect(await page.getAttribute(`${W('sampling')} svg.zplot`, 'data-prior')).toBe('standard');
    await switchTo(page, 'mnist-8d');
    await waitReady(page, VIEWS, 'mnist-8d');
    for (const w of VIEWS) expect(await page.isVisible(`${W(w)} > p.notice`), w).toBe(false);
  });

  it('the browser console has no errors', () => {
    expect(problems).toEqual([]);
  });
});

describe.skipIf(!haveChromium && !process.env.CI)('export-site: a mixture run\'s prior file goes with it', () => {
  const out = path.join(tmp, 'site');
  let server: http.Server;
  let url: string;

  beforeAll(async () => {
    await exportSite({ runs: [run('mnist-gmm'), run('mnist-8d')], out, webRoot });
    // a plain static server: files only
    server = http.createServer((req, res) => {
      const p = decodeURIComponent((req.url ?? '/').split('?')[0]);
      const file = path.join(out, p.endsWith('/') ? `${p}index.html` : p);
      if (p.includes('..') || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
        res.writeHead(404).end();
        return;
      }
      const type = ({ '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm' } as Record<string, string>)[path.extname(file)];
      res.writeHead(200, type ? { 'Content-Type': type } : {}).end(fs.readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }, 120_000);

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  it('writes runs/NAME/prior-eN.json, names it in api/runs, and the static page draws from it', async () => {
    const name = priorName(run('mnist-gmm'));
    expect(fs.readFileSync(path.join(out, 'runs', 'mnist-gmm', name), 'utf8')).toBe(fs.readFileSync(path.join(run('mnist-gmm'), name), 'utf8'));
    expect(fs.existsSync(path.join(out, 'runs', 'mnist-8d')) && fs.readdirSync(path.join(out, 'runs', 'mnist-8d')).some((f) => f.startsWith('prior-'))).toBe(false);
    const api = JSON.parse(fs.readFileSync(path.join(out, 'api', 'runs'), 'utf8')) as { name: string; urls: { prior?: string | null } }[];
    expect(api.find((r) => r.name === 'mnist-gmm')?.urls.prior).toBe(`runs/mnist-gmm/${name}`);
    const problems: string[] = [];
    const p = await context.newPage();
    watch(p, problems);
    await p.goto(`${url}?run=mnist-gmm`);
    await waitReady(p, ['sampling', 'latent-scatter', ...VIEWS], 'mnist-gmm');
    expect(await p.locator(`${W('sampling')} .prior-mean`).count()).toBe(3);
    expect(await p.getAttribute(`${W('sampling')} svg.zplot`, 'data-prior')).toBe('gmm');
    await p.close();
    expect(problems).toEqual([]);
  });
});
