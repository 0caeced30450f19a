/**
 * `Conv2DBackpropInput` for the wasm backend. The stock kernel is a scalar C++ loop that dominated
 * the training step; it is also the forward pass of `conv2dTranspose` (our decoder). With
 * W: [KH,KW,Ci,Co], dy: [N,OH,OW,Co], strides s and forward padding (top,left):
 *
 *   dx[n,ih,iw,ci] = Σ_{kh,kw,co : oh·sh+kh = ih+top, ow·sw+kw = iw+left} dy[n,oh,ow,co] · W[kh,kw,ci,co]
 *
 * Three forms, all made of XNNPACK Conv2D calls through the wasm backend's own kernels:
 *
 * - Zero insertion (`conv2dBackpropInputZeroInsert`, the textbook form): insert s−1 zeros between
 *   the rows/columns of dy and run a stride-1 Conv2D with the spatially flipped filter, in/out
 *   channels swapped, padding K−1−top. With s = 2, three quarters of its multiplications hit
 *   inserted zeros.
 *
 * - Phases, the same sum without the zeros. Write e = ih+top = s·a + q (0 ≤ q < s): the taps that
 *   reach row ih are kh = q + s·j with oh = a − j, so dx[ih] = Σ_j dy[a−j] · W[q+s·j], a stride-1
 *   convolution of dy itself with a ⌈(K−q)/s⌉-tap sub-filter, one per phase (rows × columns).
 *   · `conv2dBackpropInputPerPhase`: one Conv2D per phase, each producing exactly its rows of dx,
 *     scattered into dx by a JS loop. No wasted multiplications.
 *   · `conv2dBackpropInputStacked`: the sub-filters (zero-padded to T = ⌈K/s⌉ taps) stacked along
 *     the output channels of ONE filter [Th,Tw,Co,sh·sw·Ci]; one Conv2D gives Z[n,a,b,(qh,qw,ci)]
 *     for every phase, and dx[n,ih,iw,ci] = Z[n,a,b,(qh,qw,ci)] with s·a+q = ih+top (a
 *     depth-to-space plus a crop of a few rows). Some multiplications are wasted (padded taps,
 *     one extra row/column), but XNNPACK's output tiles stay full when Ci is tiny (e.g. 3).
 *
 * `conv2dBackpropInputWasm` (the registered kernel) picks per phase when Ci ≥ 8, stacked otherwise
 * (also for stride 1, where the stacked form is exactly one Conv2D and, usually, no copy).
 * Measured on the seed-000 shapes in bench/kernels.ts.
 */
import { backend_util, Conv2DBackpropInput } from '../tfjs.js';
import type { Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '../tfjs.js';
import { assertNHWC, conv2dStride1, free, heapF32, heapIndex, runWasm, sameShape, view, wholeHeapF32 } from './util.js';
import type { BackendWasm, ConvPad } from './util.js';

type Shape4 = [number, number, number, number];

interface Args {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: BackendWasm;
  attrs: Conv2DBackpropInputAttrs;
}

function convInfoOf(args: Args): backend_util.Conv2DInfo {
  const { inputs, attrs } = args;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  assertNHWC(Conv2DBackpropInput, dataFormat);
  const info = backend_util.computeConv2DInfo(
    inputShape as Shape4,
    inputs.filter.shape as Shape4,
    strides,
    1,
    pad as ConvPad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const expected = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (!sameShape(inputs.dy.shape, expected)) {
    throw new Error(`${Conv2DBackpropInput}: dy has shape [${inputs.dy.shape}], expected [${expected}]`);
  }
  return info;
}

/** The geometry of one spatial axis for the stacked form. */
interface Axis {
  taps: number; // T = ⌈K/s⌉ taps per phase
  padBefore: number; // Conv2D padding in front of dy
  padAfter: number; // and behind it
  rows: number; // rows of Z along this axis
  offset: number; // dx[i] reads the flattened (a,q) index i + offset
}

function stackedAxis(k: number, s: number, top: number, inSize: number, outSize: number): Axis {
  const taps = Math.ceil(k / s);
  const first = Math.floor(top / s); // first a that dx needs
  const last = Math.floor((top + inSize - 1) / s); // last a that dx needs
  const padBefore = Math.max(0, taps - 1 - first);
  const start = taps - 1 - padBefore; // the a of Z's first row (≤ first)
  const padAfter = Math.max(0, last - outSize + 1);
  const rows = outSize + padBefore + padAfter - taps + 1;
  return { taps, padBefore, padAfter, rows, offset: top - start * s };
}

export function conv2dBackpropInputStacked(args: Args): TensorInfo {
  const info = convInfoOf(args);
  const { backend } = args;
  const { dy, filter } = args.inputs;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const ax = stackedAxis(kh, sh, info.padInfo.top, h, info.outHeight);
  const ay = stackedAxis(kw, sw, info.padInfo.left, w, info.outWidth);
  const phases = sh * sw;
  const zc = phases * ci; // channels of Z

  // F[t,u,co,qh,qw,ci] = W[qh + sh·(Th−1−t), qw + sw·(Tw−1−u), ci, co], zero past the filter.
  const f = backend.makeOutput([ax.taps, ay.taps, co, zc], 'float32');
  {
    const src = heapF32(backend, filter);
    const dst = heapF32(backend, f);
    dst.fill(0);
    for (let t = 0; t < ax.taps; t++) {
      for (let qh = 0; qh < sh; qh++) {
        const r = qh + sh * (ax.taps - 1 - t);
        if (r >= kh) continue;
        for (let u = 0; u < ay.taps; u++) {
          for (let qw = 0; qw < sw; qw++) {
            const c = qw + sw * (ay.taps - 1 - u);
            if (c >= kw) continue;
            const srcBase = (r * kw + c) * ci * co; // W[r,c,:,:], laid out [ci][co]
            const dstBase = (t * ay.taps + u) * co * zc + (qh * sw + qw) * ci; // F[t,u,:,(qh,qw,:)]
            for (let i = 0; i < ci; i++) {
              const s0 = srcBase + i * co;
              const d0 = dstBase + i;
              for (let o = 0; o < co; o++) dst[d0 + o * zc] = src[s0 + o];
            }
          }
        }
      }
    }
  }

  const z = conv2dStride1(backend, dy, f, [ax.padBefore, ax.padAfter, ay.padBefore, ay.padAfter]); // [N, rows_h, rows_w, sh·sw·Ci]
  free(backend, f);

  if (phases === 1 && ax.offset === 0 && ay.offset === 0 && ax.rows === h && ay.rows === w) {
    return z; // stride 1 and nothing to crop: Z is dx
  }

  const out = backend.makeOutput([n, h, w, ci], 'float32');
  const zv = heapF32(backend, z);
  const dx = heapF32(backend, out);
  const zRow = ay.rows * zc;
  const zImage = ax.rows * zRow;
  // column part of the source index, the same for every row: b·zc + qw·ci
  const colSrc = new Int32Array(w);
  for (let iw = 0; iw < w; iw++) {
    const e = iw + ay.offset;
    const b = Math.floor(e / sw);
    colSrc[iw] = b * zc + (e - b * sw) * ci;
  }
  let d = 0;
  for (let b0 = 0; b0 < n; b0++) {
    for (let ih = 0; ih < h; ih++) {
      const e = ih + ax.offset;
      const a = Math.floor(e / sh);
      const rowBase = b0 * zImage + a * zRow + (e - a * sh) * sw * ci;
      for (let iw = 0; iw < w; iw++) {
        const s0 = rowBase + colSrc[iw];
        for (let i = 0; i < ci; i++) dx[d++] = zv[s0 + i];
      }
    }
  }
  free(backend, z);
  return out;
}

/** One output phase ρ (ih = s·m + ρ) along one axis, for the per-phase form. */
interface Phase {
  q: number; // filter taps of this phase are kh = q + s·j
  taps: number; // how many: ⌈(K − q)/s⌉ (0 if q ≥ K)
  rows: number; // output rows of this phase: ⌈(H − ρ)/s⌉
  padBefore: number;
  padAfter: number;
  offset: number; // row m of the phase reads row m + offset of its convolution output
}

function phaseAxis(k: number, s: number, top: number, inSize: number, outSize: number): Phase[] {
  const phases: Phase[] = [];
  for (let rho = 0; rho < s; rho++) {
    const q = (rho + top) % s;
    const c = Math.floor((rho + top) / s); // dx row s·m+ρ is fed by dy rows m + c − j
    const taps = q < k ? Math.ceil((k - q) / s) : 0;
    const rows = Math.max(0, Math.ceil((inSize - rho) / s));
    const padBefore = Math.max(0, taps - 1 - c);
    const offset = Math.max(0, c - (taps - 1));
    const padAfter = Math.max(0, rows + offset + taps - 1 - outSize - padBefore);
    phases.push({ q, taps, rows, padBefore, padAfter, offset });
  }
  return phases;
}

export function conv2dBackpropInputPerPhase(args: Args): TensorInfo {
  const info = convInfoOf(args);
  const { backend } = args;
  const { dy, filter } = args.inputs;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const rowPhases = phaseAxis(kh, sh, info.padInfo.top, h, info.outHeight);
  const colPhases = phaseAxis(kw, sw, info.padInfo.left, w, info.outWidth);

  const out = backend.makeOutput([n, h, w, ci], 'float32');
  // rows/columns that no filter tap reaches (a filter smaller than the stride) stay zero
  if (rowPhases.some((p) => p.taps === 0) || colPhases.some((p) => p.taps === 0)) heapF32(backend, out).fill(0);
  for (let rho = 0; rho < sh; rho++) {
    const pr = rowPhases[rho];
    for (let sig = 0; sig < sw; sig++) {
      const pc = colPhases[sig];
      if (pr.rows === 0 || pc.rows === 0 || pr.taps === 0 || pc.taps === 0) continue;
      // sub-filter F[t,u,co,ci] = W[qr + sh·(Tr−1−t), qc + sw·(Tc−1−u), ci, co] (qr = pr.q, qc = pc.q)
      const f = backend.makeOutput([pr.taps, pc.taps, co, ci], 'float32');
      {
        const src = heapF32(backend, filter);
        const dst = heapF32(backend, f);
        for (let t = 0; t < pr.taps; t++) {
          const r = pr.q + sh * (pr.taps - 1 - t);
          for (let u = 0; u < pc.taps; u++) {
            const c = pc.q + sw * (pc.taps - 1 - u);
            const srcBase = (r * kw + c) * ci * co;
            const dstBase = (t * pc.taps + u) * co * ci;
            for (let i = 0; i < ci; i++) {
              const s0 = srcBase + i * co;
              for (let o = 0; o < co; o++) dst[dstBase + o * ci + i] = src[s0 + o];
            }
          }
        }
      }
      const z = conv2dStride1(backend, dy, f, [pr.padBefore, pr.padAfter, pc.padBefore, pc.padAfter]);
      free(backend, f);
      // dx[n, sh·m+ρ, sw·l+σ, :] = Z[n, m+offset_r, l+offset_c, :]
      const heap = wholeHeapF32(backend, out);
      const zAt = heapIndex(backend, z);
      const dxAt = heapIndex(backend, out);
      const zRows = z.shape[1];
      const zCols = z.shape[2];
      const dStep = sw * ci;
      for (let b = 0; b < n; b++) {
        for (let m = 0; m < pr.rows; m++) {
          let s0 = zAt + ((b * zRows + m + pr.offset) * zCols + pc.offset) * ci;
          let d0 = dxAt + ((b * h + sh * m + rho) * w + sig) * ci;
          if (ci >= 16) {
            for (let l = 0; l < pc.rows; l++, s0 += ci, d0 += dStep) heap.copyWithin(d0, s0, s0 + ci);
          } else {
            for (let l = 0; l < pc.rows; l++, s0 += ci, d0 += dStep) {
              for (let i = 0; i < ci; i++) heap[d0 + i] = heap[s0 + i];
            }
          }
        }
      }
      free(backend, z);
    }
  }
  return out;
}

export function conv2dBackpropInputZeroInsert(args: Args): TensorInfo {
  const info = convInfoOf(args);
  const { backend } = args;
  const { dy, filter } = args.inputs;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;

  // dy with s−1 zeros after every row and column: [N, OH·sh, OW·sw, Co]
  let dyz = dy;
  if (sh > 1 || sw > 1) {
    const padded = runWasm(
      'PadV2',
      backend,
      { x: view(dy, [n, oh, 1, ow, 1, co]) },
      {
        paddings: [
          [0, 0],
          [0, 0],
          [0, sh - 1],
          [0, 0],
          [0, sw - 1],
          [0, 0],
        ],
        constantValue: 0,
      },
    );
    dyz = view(padded, [n, oh * sh, ow * sw, co]);
  }
  // flipped filter with in/out channels swapped: [KH,KW,Co,Ci]
  const flipped = runWasm('Reverse', backend, { x: filter }, { dims: [0, 1] });
  const wT = runWasm('Transpose', backend, { x: flipped }, { perm: [0, 1, 3, 2] });
  free(backend, flipped);

  const startH = Math.max(0, top - (kh - 1));
  const startW = Math.max(0, left - (kw - 1));
  const padTop = Math.max(0, kh - 1 - top);
  const padLeft = Math.max(0, kw - 1 - left);
  const padBottom = Math.max(0, startH + h + kh - 1 - oh * sh - padTop);
  const padRight = Math.max(0, startW + w + kw - 1 - ow * sw - padLeft);
  const full = conv2dStride1(backend, dyz, wT, [padTop, padBottom, padLeft, padRight]);
  free(backend, wT);
  if (dyz !== dy) free(backend, dyz);
  if (startH === 0 && startW === 0 && full.shape[1] === h && full.shape[2] === w) return full;
  const dx = runWasm('Slice', backend, { x: full }, { begin: [0, startH, startW, 0], size: [n, h, w, ci] });
  free(backend, full);
  return dx;
}

/**
 * The registered kernel: one convolution per phase when dx has enough channels to fill XNNPACK's
 * output tiles (no wasted multiplications), else the stacked-phase form (one convolution with
 * s²·Ci output channels, which also serves stride 1 without a copy).
 */
export function conv2dBackpropInputWasm(args: Args): TensorInfo {
  const { strides } = args.attrs;
  const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
  const ci = args.inputs.filter.shape[2];
  return sh * sw > 1 && ci >= 8 ? conv2dBackpropInputPerPhase(args) : conv2dBackpropInputStacked(args);
}

export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInputWasm as unknown as KernelFunc,
};
