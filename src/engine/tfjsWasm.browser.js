/** Registers tfjs's WebAssembly backend in a bundle (Node loads tfjsWasm.js instead). */
import '@tensorflow/tfjs-backend-wasm';
