/**
 * What the explorer's server and `vae export-site` need for imported ONNX runs: which files of such
 * a run are served. (onnxruntime-web's WebAssembly binary is part of the built page: Vite emits it
 * into web/dist/assets/ from the `onnxruntime-web/wasm` chunk, fetched only when an ONNX run opens.)
 */
export { isOnnxRunDir, readOnnxRun } from './run.js';

/** The files of an ONNX run besides run.json. */
export const ONNX_FILE = /^(encoder|decoder)\.onnx$/;
export const ONNX_FILES = ['encoder.onnx', 'decoder.onnx'] as const;
