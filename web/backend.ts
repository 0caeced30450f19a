/**
 * The tensor backend of the page: WebGL, falling back to WebAssembly, then CPU (or the one named
 * by `?backend=` in the address; WebAssembly first when WebGL has no GPU behind it). The wasm binaries are served from /wasm/ by `vae serve`.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../src/engine/kernels/register.js';
import { BROWSER_BACKENDS, type BrowserBackend } from './gpu.js';

export { BROWSER_BACKENDS, backendOrder, softwareWebglRenderer, type BrowserBackend } from './gpu.js';

/** Starts the first backend of `order` that works; throws if none does. */
export async function startBackend(order: readonly BrowserBackend[] = BROWSER_BACKENDS): Promise<BrowserBackend> {
  setWasmPaths(new URL('wasm/', document.baseURI).href);
  // our faster Conv2DBackpropInput (the decoder's transposed convolutions) for the wasm backend
  registerWasmKernels();
  const failures: string[] = [];
  for (const name of order) {
    try {
      // the WebGL backend's code is fetched only when the page tries it (web/tf.ts)
      if (name === 'webgl') await import('@tensorflow/tfjs-backend-webgl');
      const ok = await tf.setBackend(name);
      await tf.ready();
      if (ok && tf.getBackend() === name) return name;
      failures.push(`${name}: not available`);
    } catch (e) {
      failures.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw new Error(`no tensor backend could start (${failures.join('; ')})`);
}
