export { BACKENDS, backendInUse, parseBackend, useBackend } from './backend.js';
export type { BackendName } from './backend.js';
export { registerWasmKernels, stockWasmKernel } from './kernels/register.js';
export {
  conv2dBackpropInputConfig,
  conv2dBackpropInputPerPhase,
  conv2dBackpropInputStacked,
  conv2dBackpropInputWasm,
  conv2dBackpropInputZeroInsert,
} from './kernels/conv2dBackpropInput.js';
export { conv2dBackpropFilterConfig, conv2dBackpropFilterWasm } from './kernels/conv2dBackpropFilter.js';
export { nativeUnavailable } from './backend.js';
export { nativeActive } from './native/state.js';
export { loadNativeAddon } from './native/addon.js';
export type { NativeAddon, NativeLoad } from './native/addon.js';
export { FusedTrainStep, fusedTrainStep, fusedStepRefusal, expectedParams, netSpec } from './native/fusedStep.js';
export type { FusedLoss, FusedModelConfig, FusedStats } from './native/fusedStep.js';
