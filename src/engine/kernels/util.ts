/**
 * Small helpers shared by our wasm kernels: call one of the wasm backend's own registered kernels
 * directly (no engine, no tape, no tensor bookkeeping), make zero-copy reshaped views, and free
 * intermediates. Everything a kernel allocates here must be freed with `free` before it returns.
 */
import { backend_util, getKernel } from '../tfjs.js';
import type { NamedAttrMap, TensorInfo } from '../tfjs.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type { BackendWasm };

/** The attribute `pad` of the conv kernels. */
export type ConvPad = 'same' | 'valid' | number | backend_util.ExplicitPadding;

/** Runs the wasm backend's registered kernel `name` on `inputs`; the caller owns the result. */
export function runWasm(
  name: string,
  backend: BackendWasm,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (kernel === undefined) throw new Error(`the wasm backend has no '${name}' kernel`);
  const out = kernel.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`the wasm kernel '${name}' returned several outputs`);
  return out;
}

/** The same memory seen with another shape (no copy, no reference: do not free a view). */
export function view(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

/** Frees an intermediate made inside a kernel (also drops XNNPACK operators cached for it). */
export function free(backend: BackendWasm, t: TensorInfo): void {
  backend.disposeData(t.dataId);
}

/** Float32 view of a tensor's memory on the wasm heap. Take views only after the last allocation:
 *  an allocation may grow the heap, which detaches earlier views. */
export function heapF32(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** The whole wasm heap as floats, and where a tensor starts in it: for `copyWithin` between
 *  tensors (a native memmove, no allocation). Same caveat as `heapF32`. */
export function wholeHeapF32(backend: BackendWasm, anyTensor: TensorInfo): Float32Array {
  return new Float32Array(heapF32(backend, anyTensor).buffer);
}

export function heapIndex(backend: BackendWasm, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset / 4;
}

/**
 * Stride-1 NHWC Conv2D (XNNPACK) with explicit padding [top, bottom, left, right] and optional
 * dilation [dh, dw]: the one convolution every kernel of ours is built from. The caller owns the result.
 */
export function conv2dStride1(
  backend: BackendWasm, x: TensorInfo, filter: TensorInfo,
  [top, bottom, left, right]: readonly [number, number, number, number], dilations: [number, number] = [1, 1],
): TensorInfo {
  return runWasm('Conv2D', backend, { x, filter }, {
    strides: [1, 1], dilations, pad: explicitPad(top, bottom, left, right), dataFormat: 'NHWC',
  });
}

/** Explicit NHWC padding in the form the Conv2D kernel accepts. */
export function explicitPad(top: number, bottom: number, left: number, right: number): backend_util.ExplicitPadding {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

/** The wasm kernels only know channels-last data; say so instead of computing garbage. */
export function assertNHWC(kernelName: string, dataFormat: unknown): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`${kernelName} on wasm supports dataFormat 'NHWC' only, got '${String(dataFormat)}'`);
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
