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
export { nativeWanted } from './native/state.js';
export { loadNativeAddon } from './native/addon.js';
export type { NativeAddon, NativeLoad } from './native/addon.js';
export { NativeNet, nativeRefusal } from './native/nativeNet.js';
export type { NativeObjective, NativeStats } from './native/nativeNet.js';
export { nativeSpec } from './native/netSpec.js';
export { paramShapes, walkLayers, samePadding } from './layers.js';
export type { ActivationName, LayerSpec, NetDescription } from './layers.js';
