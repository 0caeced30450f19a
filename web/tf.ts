/**
 * The page's TensorFlow.js: what `@tensorflow/tfjs` exports without the graph-model converter and
 * tf.data, which the explorer does not use (Vite resolves `@tensorflow/tfjs` here, see
 * vite.config.ts; types still come from the full package). As the full package does, it registers
 * the gradients (training in web/training/trainWorker.ts) and the chained tensor methods
 * (`x.mean()`). The CPU backend is registered here; the WebGL backend is loaded only when the page
 * tries it (backend.ts), the WebAssembly backend by backend.ts. Together this is about half of the
 * full package's code to download and evaluate before the first model image.
 */
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import '@tensorflow/tfjs-backend-cpu';
import { version_core } from '@tensorflow/tfjs-core';
import { version_layers } from '@tensorflow/tfjs-layers';

export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';

/** The versions of the packages in this build (as `tf.version` of the full package; all 4.22). */
export const version = { 'tfjs-core': version_core, 'tfjs-layers': version_layers, tfjs: version_core };
