/**
 * The page's state: the runs the server offers, the active run (its loaded model, its latent-grid
 * snapshots and the live encoding of the 10×10 parameter grid), the model queue, and the widgets
 * that redraw when the active run changes.
 */
import { parameterGrid, renderParams } from '../src/data/faces.js';
import type { RunSummary } from '../src/server/runs.js';
import type { LatentGridSnapshot } from '../src/train/run.js';
import { isFaces2d } from './firstRun.js';
import { LoadedModel, type Encoding } from './model.js';
import { ModelQueue } from './queue.js';
import type { ModelFiles } from './training/protocol.js';

export const GRID_N = 10;

export interface RunContext {
  run: RunSummary;
  model: LoadedModel;
  /** A 2-D-latent faces run: the widgets built on the faces' parameters apply. */
  faces2d: boolean;
  /**
   * Encoding of the 10×10 training parameter grid by this model (faces2d runs only). Filled in
   * after the widgets that draw first (`Widget.drawsFirst`) showed the run: they must not read it.
   */
  grid: ({ n: number; params: Float32Array } & Encoding) | null;
  /** latent-grid.json: the grid's encoder means after every epoch (faces2d runs only). */
  latentGrid: LatentGridSnapshot | null;
}

export interface Widget {
  readonly name: string;
  readonly root: HTMLElement;
  /** Redraws for a newly active run; resolves when the widget shows it. */
  setRun(ctx: RunContext): Promise<void> | void;
  /**
   * Shown before everything else when a run becomes active (before the parameter grid is encoded,
   * so `ctx.grid` is still null): the page's first model images.
   */
  readonly drawsFirst?: boolean;
}

/**
 * Resolves after the browser painted the current frame (a frame, then a task), or after 100 ms in
 * a hidden tab, which runs no animation frames.
 */
function afterPaint(): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 100);
    requestAnimationFrame(() => setTimeout(() => {
      clearTimeout(timer);
      resolve();
    }, 0));
  });
}

export { isFaces2d };

async function fetchJson<T>(url: string, response?: Promise<Response>): Promise<T> {
  const res = await (response ?? fetch(url));
  if (!res.ok) throw new Error(`${url}: ${res.status} ${(await res.text()).trim()}`);
  return (await res.json()) as T;
}

export class App {
  readonly queue = new ModelQueue();
  readonly widgets: Widget[] = [];
  active: RunContext | null = null;
  private latentGrids = new Map<string, Promise<LatentGridSnapshot | null>>();
  private gridImages: Float32Array | undefined;
  private listeners: ((ctx: RunContext) => void)[] = [];
  /** Runs held in the page (trained here or loaded from a file): their models in memory. */
  private localModels = new Map<string, { encoder: ModelFiles; decoder: ModelFiles }>();
  private addedListeners: ((run: RunSummary) => void)[] = [];
  private switching: Promise<void> = Promise.resolve();

  constructor(readonly runs: RunSummary[], private readonly onStatus: (msg: string) => void) {}

  /** The runs the server offers (`started`: the request for api/runs, if one is under way). */
  static async fetchRuns(started?: Promise<Response>): Promise<RunSummary[]> {
    // a run the server cannot read is listed as { name, broken } (see src/server/runs.ts): skip it
    const all = await fetchJson<(RunSummary | { name: string; broken: string })[]>('api/runs', started);
    return all.filter((r): r is RunSummary => !('broken' in r));
  }

  add(w: Widget): void {
    this.widgets.push(w);
  }

  /** Called after every switch of the active run, once the widgets show it. */
  onRun(cb: (ctx: RunContext) => void): void {
    this.listeners.push(cb);
  }

  /** Called when a run joins the page (addLocalRun). */
  onRunAdded(cb: (run: RunSummary) => void): void {
    this.addedListeners.push(cb);
  }

  /** `base`, or `base-2`, `base-3`, … if a run of that name exists. */
  uniqueRunName(base: string): string {
    let name = base;
    for (let k = 2; this.runs.some((r) => r.name === name); k++) name = `${base}-${k}`;
    return name;
  }

  /** Adds a run whose models are in memory (trained in the page, or loaded from a run file). */
  addLocalRun(run: RunSummary, models: { encoder: ModelFiles; decoder: ModelFiles }, latentGrid: LatentGridSnapshot | null): void {
    if (this.runs.some((r) => r.name === run.name)) throw new Error(`a run named '${run.name}' exists already`);
    this.runs.push(run);
    this.localModels.set(run.name, models);
    this.latentGrids.set(run.name, Promise.resolve(latentGrid));
    this.addedListeners.forEach((cb) => cb(run));
  }

  /** latent-grid.json of a run (fetched once), or null when the run has none. */
  latentGrid(run: RunSummary): Promise<LatentGridSnapshot | null> {
    let p = this.latentGrids.get(run.name);
    if (!p) {
      p = run.urls.latentGrid ? fetchJson<LatentGridSnapshot>(run.urls.latentGrid) : Promise.resolve(null);
      this.latentGrids.set(run.name, p);
    }
    return p;
  }

  /** Makes a run the active model of every widget (switches are serialised, in call order). */
  activate(name: string): Promise<void> {
    this.switching = this.switching.then(() => this.doActivate(name)).catch((e: unknown) => {
      this.onStatus(`could not load run '${name}': ${e instanceof Error ? e.message : String(e)}`);
      console.error(e);
    });
    return this.switching;
  }

  private async doActivate(name: string): Promise<void> {
    if (this.active?.run.name === name) return;
    const run = this.runs.find((r) => r.name === name);
    if (!run) throw new Error(`no run named '${name}'`);
    if (!run.hasModel) throw new Error(`run '${name}' has no trained model yet`);
    this.onStatus(`loading ${name}…`);
    document.body.dataset.loading = 'true';
    const local = this.localModels.get(name);
    const faces2d = isFaces2d(run);
    const loading = this.queue.run(`load`, () => (local ? LoadedModel.fromArtifacts(run, local.encoder, local.decoder) : LoadedModel.load(run)));
    // while the model's files download: fetch the latent grid (a small JSON file)
    const latentGridLoaded = faces2d ? this.latentGrid(run) : Promise.resolve(null);
    latentGridLoaded.catch(() => undefined);
    const model = await loading;
    if (!model) return;
    performance.mark('vae:model');
    const latentGrid = await latentGridLoaded;
    const previous = this.active;
    const ctx: RunContext = { run, model, faces2d, grid: null, latentGrid };
    this.active = ctx;
    // the first model images first (sampling): they go to the model queue before anything else,
    // and the browser paints them before the parameter grid is rendered and encoded
    const first = this.widgets.filter((w) => w.drawsFirst);
    await Promise.all(first.map((w) => w.setRun(ctx)));
    performance.mark('vae:first');
    if (first.length > 0) await afterPaint();
    if (faces2d) {
      // rendered once per page (the same 100 faces for every run), then encoded by this model
      this.gridImages ??= renderParams(parameterGrid(GRID_N));
      const images = this.gridImages;
      const enc = await this.queue.run(`grid`, () => model.encode(images, GRID_N * GRID_N));
      if (enc) ctx.grid = { n: GRID_N, params: parameterGrid(GRID_N), ...enc };
    }
    performance.mark('vae:grid');
    await Promise.all(this.widgets.filter((w) => !w.drawsFirst).map((w) => w.setRun(ctx)));
    // the old model may still have queued calls: free it after they ran
    if (previous) void this.queue.idle().then(() => previous.model.dispose());
    document.body.dataset.activeRun = name;
    delete document.body.dataset.loading;
    this.onStatus('');
    this.listeners.forEach((cb) => cb(ctx));
  }
}
