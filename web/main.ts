/**
 * The explorer page: starts a tensor backend, asks the server for its runs, builds the seven
 * widgets and loads the active run (the `?run=` in the address, else the first faces run).
 * Loaded by the page's entry, boot.ts, which has started the first downloads already.
 */
import * as tf from '@tensorflow/tfjs';
import { App } from './app.js';
import { firstRun } from './firstRun.js';
import { startBackend } from './backend.js';
import type { BrowserBackend } from './gpu.js';
import { datasetExplanation } from './widgets/datasetExplanation.js';
import { datasetVisualization } from './widgets/datasetVisualization.js';
import { sampling } from './widgets/sampling.js';
import { mapping } from './widgets/mapping.js';
import { evolution } from './widgets/evolution.js';
import { decoding } from './widgets/decoding.js';
import { modelComparison } from './widgets/modelComparison.js';
import { training } from './widgets/training.js';
import { latentScatter } from './widgets/latentScatter.js';
import { manifold } from './widgets/manifold.js';
import { interpolation } from './widgets/interpolation.js';
import { traversal } from './widgets/traversal.js';
import { latentSearch } from './widgets/latentSearch.js';
import { anomaly } from './widgets/anomaly.js';
import { FACES_ONLY, isFacesRun, onlyFor } from './widgets/only.js';
import { MNIST_ONLY, TestSets, isMnistLike } from './testset.js';
import { renderFace } from '../src/data/faces.js';
import { currentUrl, getParam, setParam } from './urlState.js';
import { plural } from './ui/card.js';

const $ = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing from index.html`);
  return e as T;
};

const statusEl = $('status');
/** A message under the header that stays until dismissed (e.g. an unknown run in the address). */
const notice = (msg: string): void => {
  const box = $('page-notice');
  box.querySelector('span')!.textContent = msg;
  box.hidden = false;
};
$('page-notice').querySelector('button')!.addEventListener('click', () => ($('page-notice').hidden = true));
const setStatus = (msg: string): void => {
  statusEl.textContent = msg;
};

/** What the page's entry (boot.ts) found out and started before this module arrived. */
export interface Boot {
  /** The software WebGL renderer's name, or null. */
  software: string | null;
  /** The backends to try, in order. */
  order: readonly BrowserBackend[];
  /** The run list's request (api/runs), already under way. */
  runs: Promise<Response>;
}

export async function start(boot: Boot): Promise<void> {
  const software = boot.software;
  // the backend starts (its wasm compiles) while the run list arrives and the widgets are built:
  // no widget calls the model before a run is active
  const backendStarted = startBackend(boot.order);
  backendStarted.catch(() => undefined);
  const runs = await App.fetchRuns(boot.runs);
  // start-up marks (bench:web reads them)
  performance.mark('vae:runs');
  const app = new App(runs, setStatus);
  const host = $('widgets');
  // the MNIST views share the test images and their encodings
  const testSets = new TestSets(app.queue);
  const widgets = [
    onlyFor(datasetExplanation(), isFacesRun, FACES_ONLY),
    onlyFor(datasetVisualization(), isFacesRun, FACES_ONLY),
    sampling(app.queue),
    mapping(app.queue),
    evolution(),
    decoding(app.queue),
    latentScatter(testSets),
    manifold(app.queue, testSets),
    interpolation(app.queue, testSets),
    onlyFor(traversal(app.queue, testSets), (ctx) => isMnistLike(ctx.run), MNIST_ONLY),
    onlyFor(latentSearch(testSets), (ctx) => isMnistLike(ctx.run), MNIST_ONLY),
    onlyFor(anomaly(app.queue, testSets), (ctx) => isMnistLike(ctx.run), MNIST_ONLY),
    modelComparison(app),
    training(app),
  ];
  for (const w of widgets) {
    app.add(w);
    host.appendChild(w.root);
  }

  const select = $<HTMLSelectElement>('run-select');
  const addOption = (r: (typeof runs)[number]): void => {
    const o = document.createElement('option');
    o.value = r.name;
    o.textContent = `${r.name} (${r.dataset.name}, ${r.model.kind}, ${plural(r.epochsDone, 'epoch')})`;
    o.disabled = !r.hasModel;
    select.appendChild(o);
  };
  runs.forEach(addOption);
  // runs trained in the page or loaded from a run file (the training panel)
  app.onRunAdded(addOption);
  select.addEventListener('change', () => void app.activate(select.value));
  app.onRun((ctx) => {
    select.value = ctx.run.name;
    setParam('run', ctx.run.name);
  });

  // the address holds the view (run, dots, epoch, draw, endpoints): a button copies it
  const copy = $<HTMLButtonElement>('copy-link');
  copy.addEventListener('click', () => {
    const url = currentUrl();
    const done = (msg: string): void => {
      copy.textContent = msg;
      window.setTimeout(() => (copy.textContent = 'copy link'), 1500);
    };
    const ask = (): void => void window.prompt('Copy this link:', url);
    if (navigator.clipboard) navigator.clipboard.writeText(url).then(() => done('link copied'), ask);
    else ask();
  });

  // the page's handle for tests and the benchmark
  (window as unknown as { explorer: unknown }).explorer = { app, idle: () => app.queue.idle(), renderFace, testSets, tensors: () => tf.memory().numTensors };

  const backend = await backendStarted;
  performance.mark('vae:backend');
  $('backend').textContent = `backend: ${backend}`;
  if (software && backend !== 'webgl') $('backend').title = `WebGL is software-rendered here (${software}), slower than WebAssembly`;
  document.body.dataset.backend = backend;

  const wanted = getParam('run');
  const { first, named } = firstRun(runs, wanted);
  if (!first) {
    setStatus('no trained run yet: the widgets need a run with at least one finished epoch');
    return;
  }
  await app.activate(first.name);
  // a run named in the address that is not served (or not trained): say so, visibly
  if (wanted !== null && wanted !== first.name) {
    notice(named ? `The run '${wanted}' in the address has no trained model yet; showing '${first.name}' instead.` : `There is no run named '${wanted}' on this server; showing '${first.name}' instead.`);
  }
}

/** Shows a start-up failure in the page (boot.ts calls it). */
export function failed(e: unknown): void {
  setStatus(`error: ${e instanceof Error ? e.message : String(e)}`);
  document.body.dataset.error = 'true';
  console.error(e);
}
