/**
 * The page's TensorFlow.js: what `@tensorflow/tfjs` exports without the graph-model converter and
 * tf.data, which the explorer does not use (Vite resolves `@tensorflow/tfjs` here, see
 * vite.config.ts; types still come from the full package). The CPU backend is registered here; the
 * WebGL backend is loaded only when the page tries it (backend.ts), and the WebAssembly backend by
 * backend.ts. Together this is about half of the full package's code to download and evaluate
 * before the first model image.
 */
export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
