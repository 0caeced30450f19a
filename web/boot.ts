/**
 * The page's entry, small on purpose. Before the explorer's code (main.ts, with TensorFlow.js,
 * most of a megabyte to download and evaluate) has arrived, it asks for the run list, for tfjs's
 * wasm binary when WebAssembly will run the models, and for the model files of the run the page
 * will show first, so that they are in the browser's cache when main.ts needs them.
 */
import type { RunSummary } from '../src/server/runs.js';
import { firstRun } from './firstRun.js';
import { backendOrder, softwareWebglRenderer } from './gpu.js';
import { getParam } from './urlState.js';

/** A `<link rel=preload>` for a file that a later fetch(url, { credentials: 'same-origin' }) takes. */
function preload(url: string): void {
  const link = document.createElement('link');
  link.rel = 'preload';
  link.as = 'fetch';
  link.crossOrigin = 'anonymous'; // credentials: same-origin, as fetch's default
  link.href = new URL(url, document.baseURI).href;
  document.head.appendChild(link);
}

/** Fetches a tfjs layers model.json and preloads the weight files it lists. */
async function prefetchModel(modelJson: string): Promise<void> {
  const url = new URL(modelJson, document.baseURI);
  const res = await fetch(url);
  if (!res.ok) return;
  const m = (await res.json()) as { weightsManifest?: { paths?: string[] }[] };
  for (const group of m.weightsManifest ?? []) for (const p of group.paths ?? []) preload(new URL(p, url).href);
}

const software = softwareWebglRenderer();
const order = backendOrder(location.search, software);
const runs = fetch('api/runs');
if (order[0] === 'wasm') {
  // the binary tfjs-backend-wasm picks: SIMD, threaded only in a cross-origin-isolated page
  preload(`wasm/${globalThis.crossOriginIsolated ? 'tfjs-backend-wasm-threaded-simd.wasm' : 'tfjs-backend-wasm-simd.wasm'}`);
}
// the first run's model (a copy of the response: main.ts reads the original; this reaction is
// registered first, so it runs first)
runs.then((r) => (r.ok ? r.clone().json() : []) as Promise<(RunSummary | { broken: string })[]>)
  .then((all) => {
    const run = firstRun(all.filter((r): r is RunSummary => !('broken' in r)), getParam('run')).first;
    if (run && !run.onnx && run.urls.encoder && run.urls.decoder) return Promise.all([prefetchModel(run.urls.encoder), prefetchModel(run.urls.decoder)]);
  })
  .catch(() => undefined); // main.ts reports a failed request
performance.mark('vae:boot');

import('./main.js').then(
  (m) => m.start({ software, order, runs }).catch(m.failed),
  (e: unknown) => {
    const status = document.getElementById('status');
    if (status) status.textContent = `error: the explorer's code did not load (${e instanceof Error ? e.message : String(e)})`;
    document.body.dataset.error = 'true';
    console.error(e);
  },
);
