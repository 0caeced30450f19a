/**
 * A tiny page that uses vae-ts in the browser: loads a run folder (default `./run/`, or `?run=URL`)
 * and draws the decoding of the latent point set by the sliders (the first two dimensions).
 * Build: `npx vite build examples/browser` (see vite.config.ts); put a run folder made by
 * `vae train` in the output as `run/`, serve the folder with any static server.
 */
import { decodeZ, loadRunFromUrl, useBackend, type Vae } from 'vae-ts';

const status = document.getElementById('status')!;
const canvas = document.getElementById('image') as HTMLCanvasElement;

/** Draws one decoded image (h·w·c values in [0, 1], grey or RGB) on the canvas. */
function draw(vae: Vae, z: Float32Array): Float32Array {
  const [h, w, c] = vae.imageShape;
  const values = decodeZ(vae, z, 1);
  const img = new ImageData(w, h);
  for (let p = 0; p < h * w; p++) {
    for (let k = 0; k < 3; k++) img.data[4 * p + k] = Math.round(255 * Math.min(1, Math.max(0, values[p * c + (c === 1 ? 0 : k)])));
    img.data[4 * p + 3] = 255;
  }
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d')!.putImageData(img, 0, 0);
  return values;
}

async function main(): Promise<void> {
  await useBackend('cpu'); // small decoders are quick on the CPU backend; no WebGL or wasm files needed
  const url = new URLSearchParams(location.search).get('run') ?? './run/';
  const { run, vae } = await loadRunFromUrl(url);
  const z = new Float32Array(vae.config.latent);
  const sliders = document.getElementById('sliders')!;
  for (let d = 0; d < Math.min(2, z.length); d++) {
    const label = document.createElement('label');
    const input = Object.assign(document.createElement('input'), { type: 'range', min: '-3', max: '3', step: '0.05', value: '0' });
    input.addEventListener('input', () => {
      z[d] = Number(input.value);
      draw(vae, z);
    });
    label.append(`z${d} `, input);
    sliders.append(label);
  }
  const values = draw(vae, z);
  status.textContent = `${run.dataset.name}, ${run.model.kind} model, latent ${run.model.latent}, best epoch ${run.bestEpoch}`;
  // for the test (test/e2e/example.browser.test.ts): decode any z from the page
  Object.assign(window, { example: { first: Array.from(values), decode: (zs: number[]) => Array.from(decodeZ(vae, new Float32Array(zs), 1)) } });
  document.body.dataset.state = 'ready';
}

main().catch((e: unknown) => {
  status.textContent = `error: ${e instanceof Error ? e.message : String(e)}`;
  document.body.dataset.state = 'error';
});
