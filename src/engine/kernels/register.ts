/**
 * Registers our kernels for the wasm backend: the missing `Conv2DBackpropFilter`, and a fast
 * `Conv2DBackpropInput` in place of the stock scalar loop. Idempotent: call it as often as you like.
 */
import '../tfjsWasm.js'; // registers the wasm backend and its stock kernels first
import { getKernel, registerKernel, unregisterKernel } from '../tfjs.js';
import type { KernelConfig } from '../tfjs.js';
import { conv2dBackpropFilterConfig } from './conv2dBackpropFilter.js';
import { conv2dBackpropInputConfig } from './conv2dBackpropInput.js';

const ours: readonly KernelConfig[] = [conv2dBackpropFilterConfig, conv2dBackpropInputConfig];
const stock = new Map<string, KernelConfig>();

export function registerWasmKernels(): void {
  for (const config of ours) {
    const current = getKernel(config.kernelName, 'wasm');
    if (current?.kernelFunc === config.kernelFunc) continue; // already ours
    if (current !== undefined) {
      if (!stock.has(config.kernelName)) stock.set(config.kernelName, current);
      unregisterKernel(config.kernelName, 'wasm');
    }
    registerKernel(config);
  }
}

/** The stock wasm kernel we replaced (for benchmarks and tests), if there was one. Its setupFunc
 *  has to be run on the backend before its kernelFunc is called: we unregister it early. */
export function stockWasmKernel(kernelName: string): KernelConfig | undefined {
  return stock.get(kernelName);
}
