export { BACKENDS, backendInUse, parseBackend, useBackend } from './backend.js';
export type { BackendName } from './backend.js';
export { registerWasmKernels, stockWasmKernel } from './kernels/register.js';
export {
  conv2dBackpropInputPolyphase,
  conv2dBackpropInputZeroInsert,
  conv2dBackpropInputConfig,
} from './kernels/conv2dBackpropInput.js';
export { conv2dBackpropFilterWasm, conv2dBackpropFilterConfig } from './kernels/conv2dBackpropFilter.js';
