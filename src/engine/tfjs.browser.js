/**
 * TensorFlow.js for bundlers, which package.json's "browser" field points here instead of tfjs.js:
 * `@tensorflow/tfjs` itself (a bundler reads ES modules, so tfjs.js's detour gains nothing there).
 * The explorer's Vite build resolves `@tensorflow/tfjs` to web/tf.ts. Types: tfjs.d.ts.
 */
export * from '@tensorflow/tfjs';
