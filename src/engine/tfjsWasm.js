/**
 * Registers tfjs's WebAssembly backend (and its stock kernels) in Node, with `require` rather than
 * `import` for the reason tfjs.js gives (a 440 KB CommonJS bundle Node would otherwise parse at
 * every start). Bundlers take tfjsWasm.browser.js instead (package.json's "browser").
 */
import { createRequire } from 'node:module';

createRequire(import.meta.url)('@tensorflow/tfjs-backend-wasm');
