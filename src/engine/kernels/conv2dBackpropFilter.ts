/**
 * `Conv2DBackpropFilter` for the wasm backend, which has none (so the gradient of any conv layer
 * throws there). The gradient of a conv2d w.r.t. its filter is
 *
 *   dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·sh+kh−top, ow·sw+kw−left, ci] · dy[n,oh,ow,co]
 *
 * which is itself a stride-1 convolution: take x as a batch of Ci images of size H×W with N
 * channels (x transposed to [Ci,H,W,N]) and dy as the filter (transposed to [OH,OW,N,Co]),
 * dilated by the forward stride, with the forward padding in front. The result [Ci,KH',KW',Co]
 * is cropped to KH×KW and transposed to [KH,KW,Ci,Co]. All the work runs in the wasm backend's
 * own kernels (XNNPACK for the convolution); intermediates are freed before returning.
 */
import { backend_util, Conv2DBackpropFilter } from '../tfjs.js';
import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '../tfjs.js';
import { assertNHWC, conv2dStride1, free, runWasm, sameShape, view } from './util.js';
import type { BackendWasm, ConvPad } from './util.js';

type Shape4 = [number, number, number, number];

export function conv2dBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  assertNHWC(Conv2DBackpropFilter, dataFormat);
  const info = backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filterShape as Shape4,
    strides,
    1,
    pad as ConvPad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  if (!sameShape(dy.shape, [n, oh, ow, co])) {
    throw new Error(`${Conv2DBackpropFilter}: dy has shape [${dy.shape}], expected [${[n, oh, ow, co]}]`);
  }

  // Rows past the input that the forward pass read as zeros (bottom/right padding), if any.
  const bottom = Math.max(0, kh + (oh - 1) * sh - h - top);
  const right = Math.max(0, kw + (ow - 1) * sw - w - left);

  // x [N,H,W,Ci] -> [Ci,H,W,N]. The wasm 4-D transpose reads with a large stride here and is ~4x
  // slower than a 2-D transpose [N, H·W·Ci] -> [H·W·Ci, N] followed by moving whole rows of N.
  const xRows = runWasm('Transpose', backend, { x: view(x, [n, h * w * ci]) }, { perm: [1, 0] }); // [H·W,Ci,N]
  const xT = view(runWasm('Transpose', backend, { x: view(xRows, [h * w, ci, n]) }, { perm: [1, 0, 2] }), [ci, h, w, n]);
  free(backend, xRows);
  const dyT = view(runWasm('Transpose', backend, { x: view(dy, [n, oh * ow, co]) }, { perm: [1, 0, 2] }), [oh, ow, n, co]);
  const full = conv2dStride1(backend, xT, dyT, [top, bottom, left, right], [sh, sw]); // [Ci, KH', KW', Co] with KH' >= KH
  free(backend, xT);
  free(backend, dyT);

  let cropped = full;
  if (full.shape[1] !== kh || full.shape[2] !== kw) {
    cropped = runWasm('Slice', backend, { x: full }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] });
    free(backend, full);
  }
  const dW = runWasm('Transpose', backend, { x: view(cropped, [ci, kh * kw, co]) }, { perm: [1, 0, 2] });
  free(backend, cropped);
  return view(dW, [kh, kw, ci, co]);
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilterWasm as unknown as KernelFunc,
};
