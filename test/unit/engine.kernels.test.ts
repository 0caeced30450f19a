/**
 * Our wasm kernels (Conv2DBackpropFilter, Conv2DBackpropInput) against the tfjs cpu backend (an
 * independent implementation) and, for the padding facts, against plain loops written here.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '../../src/engine/tfjs.js';
import type { TensorInfo } from '../../src/engine/tfjs.js';
import { useBackend, backendInUse } from '../../src/engine/backend.js';
import { conv2dBackpropFilterConfig } from '../../src/engine/kernels/conv2dBackpropFilter.js';
import {
  conv2dBackpropInputConfig,
  conv2dBackpropInputStacked,
  conv2dBackpropInputPerPhase,
  conv2dBackpropInputZeroInsert,
} from '../../src/engine/kernels/conv2dBackpropInput.js';
import type { BackendWasm } from '../../src/engine/kernels/util.js';

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
type S4 = [number, number, number, number];

/** Deterministic uniform numbers in [-1, 1) (an LCG: enough for test inputs). */
function randomArray(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Asserts |a − b| ≤ tol·max(1, max|b|) elementwise, and that the shapes agree. */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string, tol = 1e-4): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  const scale = Math.max(1, maxAbs(b));
  expect(worst / scale, `${what}: max abs diff ${worst} at scale ${scale}`).toBeLessThan(tol);
}

/** Runs `f` on `backend` and returns its outputs as plain arrays (inputs are rebuilt from arrays). */
async function on(backend: 'wasm' | 'cpu', f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await useBackend(backend);
  const outs = tf.tidy(f);
  const list = Array.isArray(outs) ? outs : [outs];
  const data = await Promise.all(list.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(list);
  return data;
}

type Round = 'floor' | 'round' | 'ceil' | undefined;

function filterGrad(x: Float32Array, xShape: S4, dy: Float32Array, dyShape: S4, fShape: S4, s: number, pad: Pad, round?: Round) {
  return () =>
    tf.engine().runKernel(
      'Conv2DBackpropFilter',
      { x: tf.tensor4d(x, xShape), dy: tf.tensor4d(dy, dyShape) },
      { strides: [s, s], pad, dataFormat: 'NHWC', filterShape: fShape, dimRoundingMode: round } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor;
}

function inputGrad(dy: Float32Array, dyShape: S4, w: Float32Array, fShape: S4, xShape: S4, s: number, pad: Pad, round?: Round) {
  return () =>
    tf.engine().runKernel(
      'Conv2DBackpropInput',
      { dy: tf.tensor4d(dy, dyShape), filter: tf.tensor4d(w, fShape) },
      { strides: [s, s], pad, dataFormat: 'NHWC', inputShape: xShape, dimRoundingMode: round } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor;
}

/** The output shape of a forward conv2d, as tfjs computes it. */
function convOutShape(xShape: S4, fShape: S4, s: number, pad: Pad, round?: Round): S4 {
  const info = tf.backend_util.computeConv2DInfo(xShape, fShape, s, 1, pad, round);
  return info.outShape as S4;
}

interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  s: number;
  pad: Pad;
  round?: Round;
}

// Strides 1 and 2; 'same', 'valid', a number and explicit asymmetric padding; kernels 1, 3, 4, 5;
// batches 1, 3 and 16; odd channel counts; non-square inputs.
const cases: Case[] = [];
{
  const pads: Pad[] = [
    'same',
    'valid',
    1,
    [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  ];
  const batches = [1, 3, 16];
  const shapes: [number, number][] = [
    [7, 9],
    [8, 8],
    [11, 6],
    [5, 10],
  ];
  const channels: [number, number][] = [
    [3, 5],
    [1, 8],
    [6, 2],
    [17, 4],
  ];
  let i = 0;
  for (const s of [1, 2]) {
    for (const pad of pads) {
      for (const k of [1, 3, 4, 5]) {
        const [h, w] = shapes[i % shapes.length];
        const [ci, co] = channels[(i >> 1) % channels.length];
        cases.push({ n: batches[i % batches.length], h, w, ci, co, k, s, pad });
        i++;
      }
    }
  }
  // numeric padding whose output size is not whole: dimRoundingMode decides (ceil reads 2 rows of
  // padding at the bottom, floor drops the last input row)
  cases.push({ n: 3, h: 8, w: 9, ci: 3, co: 4, k: 3, s: 2, pad: 1, round: 'ceil' });
  cases.push({ n: 2, h: 8, w: 9, ci: 9, co: 4, k: 4, s: 2, pad: 2, round: 'floor' });
  cases.push({ n: 2, h: 10, w: 7, ci: 12, co: 5, k: 3, s: 2, pad: 2, round: 'round' });
}

const label = (c: Case): string =>
  `n${c.n} ${c.h}x${c.w} ${c.ci}->${c.co} k${c.k} s${c.s} pad ${JSON.stringify(c.pad)}${c.round ? ` ${c.round}` : ''}`;

beforeAll(async () => {
  expect(await useBackend('wasm')).toBe('wasm');
});

describe('engine kernels are registered on wasm', () => {
  it('useBackend("wasm") runs on wasm with our two kernels', async () => {
    expect(await useBackend('wasm')).toBe('wasm');
    expect(backendInUse()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc).toBe(conv2dBackpropFilterConfig.kernelFunc);
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(conv2dBackpropInputConfig.kernelFunc);
  });
});

describe('Conv2DBackpropFilter on wasm matches cpu', () => {
  for (const c of cases) {
    it(label(c), async () => {
      const xShape: S4 = [c.n, c.h, c.w, c.ci];
      const fShape: S4 = [c.k, c.k, c.ci, c.co];
      const dyShape = convOutShape(xShape, fShape, c.s, c.pad, c.round);
      const x = randomArray(size(xShape), 1);
      const dy = randomArray(size(dyShape), 2);
      const [ours] = await on('wasm', filterGrad(x, xShape, dy, dyShape, fShape, c.s, c.pad, c.round));
      const [ref] = await on('cpu', filterGrad(x, xShape, dy, dyShape, fShape, c.s, c.pad, c.round));
      expectClose(ours, ref, 'dW');
    });
  }
});

describe('Conv2DBackpropInput on wasm matches cpu (registered kernel and all three forms)', () => {
  for (const c of cases) {
    it(label(c), async () => {
      const xShape: S4 = [c.n, c.h, c.w, c.ci];
      const fShape: S4 = [c.k, c.k, c.ci, c.co];
      const dyShape = convOutShape(xShape, fShape, c.s, c.pad, c.round);
      const dy = randomArray(size(dyShape), 3);
      const w = randomArray(size(fShape), 4);
      const [ref] = await on('cpu', inputGrad(dy, dyShape, w, fShape, xShape, c.s, c.pad, c.round));
      const [ours] = await on('wasm', inputGrad(dy, dyShape, w, fShape, xShape, c.s, c.pad, c.round));
      expectClose(ours, ref, 'dx (registered kernel)');
      // both forms directly, outside the engine
      const backend = tf.backend() as unknown as BackendWasm;
      const dyT = tf.tensor4d(dy, dyShape);
      const wT = tf.tensor4d(w, fShape);
      const attrs = { strides: [c.s, c.s], pad: c.pad, dataFormat: 'NHWC', inputShape: xShape, dimRoundingMode: c.round } as never;
      for (const form of [conv2dBackpropInputStacked, conv2dBackpropInputPerPhase, conv2dBackpropInputZeroInsert]) {
        const out: TensorInfo = form({ inputs: { dy: dyT, filter: wT }, backend, attrs });
        expect(out.shape).toEqual(xShape);
        expectClose(backend.readSync(out.dataId) as Float32Array, ref, `dx (${form.name})`);
        backend.disposeData(out.dataId);
      }
      tf.dispose([dyT, wT]);
    });
  }
});

/** Gradients of L = Σ R ⊙ conv2d(x, W) w.r.t. x and W (R random, so dy is random). */
function conv2dGrads(x: Float32Array, xShape: S4, w: Float32Array, fShape: S4, s: number, pad: Pad) {
  return () => {
    const xt = tf.tensor4d(x, xShape);
    const wt = tf.tensor4d(w, fShape);
    const yShape = convOutShape(xShape, fShape, s, pad);
    const r = tf.tensor4d(randomArray(size(yShape), 7), yShape);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(r, tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad))));
    return g([xt, wt]);
  };
}

/** Gradients of L = Σ R ⊙ conv2dTranspose(x, W) w.r.t. x and W; W is [K,K,Cout,Cin]. */
function convTGrads(x: Float32Array, xShape: S4, w: Float32Array, fShape: S4, outShape: S4, s: number, pad: Pad) {
  return () => {
    const xt = tf.tensor4d(x, xShape);
    const wt = tf.tensor4d(w, fShape);
    const r = tf.tensor4d(randomArray(size(outShape), 8), outShape);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(r, tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, outShape, s, pad))),
    );
    return g([xt, wt]);
  };
}

const PAD1: Pad = 1;

describe('full gradients on wasm match cpu', () => {
  for (const c of cases.filter((c, i) => i % 3 === 0 && c.round === undefined)) {
    it(`conv2d ${label(c)}`, async () => {
      const xShape: S4 = [c.n, c.h, c.w, c.ci];
      const fShape: S4 = [c.k, c.k, c.ci, c.co];
      const x = randomArray(size(xShape), 5);
      const w = randomArray(size(fShape), 6);
      const ours = await on('wasm', conv2dGrads(x, xShape, w, fShape, c.s, c.pad));
      const ref = await on('cpu', conv2dGrads(x, xShape, w, fShape, c.s, c.pad));
      expectClose(ours[0], ref[0], 'dL/dx');
      expectClose(ours[1], ref[1], 'dL/dW');
    });
  }

  // The seed-000 encoder: conv 3->32->64->128, kernel 3, stride 2, PyTorch padding 1, on 32x32.
  for (const [h, ci, co] of [
    [32, 3, 32],
    [16, 32, 64],
    [8, 64, 128],
  ]) {
    it(`seed-000 encoder conv ${h}x${h} ${ci}->${co} k3 s2 pad 1`, async () => {
      const xShape: S4 = [2, h, h, ci];
      const fShape: S4 = [3, 3, ci, co];
      const x = randomArray(size(xShape), 9);
      const w = randomArray(size(fShape), 10);
      const ours = await on('wasm', conv2dGrads(x, xShape, w, fShape, 2, PAD1));
      const ref = await on('cpu', conv2dGrads(x, xShape, w, fShape, 2, PAD1));
      expectClose(ours[0], ref[0], 'dL/dx');
      expectClose(ours[1], ref[1], 'dL/dW');
    });
  }

  // The seed-000 decoder: conv2dTranspose kernel 4, stride 2, padding 1, 4->8->16->32, 128->64->32->3.
  for (const [h, ci, co] of [
    [4, 128, 64],
    [8, 64, 32],
    [16, 32, 3],
  ]) {
    for (const pad of [PAD1, 'same'] as Pad[]) {
      it(`seed-000 decoder conv2dTranspose ${h}x${h} ${ci}->${co} k4 s2 pad ${pad}`, async () => {
        const xShape: S4 = [2, h, h, ci];
        const fShape: S4 = [4, 4, co, ci];
        const outShape: S4 = [2, 2 * h, 2 * h, co];
        const x = randomArray(size(xShape), 11);
        const w = randomArray(size(fShape), 12);
        const ours = await on('wasm', convTGrads(x, xShape, w, fShape, outShape, 2, pad));
        const ref = await on('cpu', convTGrads(x, xShape, w, fShape, outShape, 2, pad));
        expectClose(ours[0], ref[0], 'dL/dx');
        expectClose(ours[1], ref[1], 'dL/dW');
      });
    }
  }
});

describe('padding facts (against PyTorch semantics written as plain loops)', () => {
  // PyTorch Conv2d(k, stride s, padding p): y[oh] = Σ_kh x[oh·s + kh − p] W[kh] (zero outside).
  function torchConv(x: Float32Array, xs: S4, w: Float32Array, k: number, co: number, s: number, p: number) {
    const [n, h, wd, ci] = xs;
    const oh = Math.floor((h + 2 * p - k) / s) + 1;
    const ow = Math.floor((wd + 2 * p - k) / s) + 1;
    const y = new Float32Array(n * oh * ow * co);
    for (let b = 0; b < n; b++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          for (let o = 0; o < co; o++) {
            let acc = 0;
            for (let a = 0; a < k; a++)
              for (let c = 0; c < k; c++) {
                const r = i * s + a - p;
                const q = j * s + c - p;
                if (r < 0 || r >= h || q < 0 || q >= wd) continue;
                for (let m = 0; m < ci; m++) acc += x[((b * h + r) * wd + q) * ci + m] * w[((a * k + c) * ci + m) * co + o];
              }
            y[((b * oh + i) * ow + j) * co + o] = acc;
          }
    return y;
  }
  // PyTorch ConvTranspose2d(k, stride s, padding p): out[oh·s + kh − p] += x[oh] W[kh]; out = (in−1)s − 2p + k.
  function torchConvT(x: Float32Array, xs: S4, w: Float32Array, k: number, co: number, s: number, p: number) {
    const [n, h, wd, ci] = xs;
    const oh = (h - 1) * s - 2 * p + k;
    const ow = (wd - 1) * s - 2 * p + k;
    const y = new Float32Array(n * oh * ow * co);
    for (let b = 0; b < n; b++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < wd; j++)
          for (let a = 0; a < k; a++)
            for (let c = 0; c < k; c++) {
              const r = i * s + a - p;
              const q = j * s + c - p;
              if (r < 0 || r >= oh || q < 0 || q >= ow) continue;
              for (let o = 0; o < co; o++) {
                let acc = 0;
                // tfjs conv2dTranspose filter: [k, k, outChannels, inChannels]
                for (let m = 0; m < ci; m++) acc += x[((b * h + i) * wd + j) * ci + m] * w[((a * k + c) * co + o) * ci + m];
                y[((b * oh + r) * ow + q) * co + o] += acc;
              }
            }
    return y;
  }

  it('conv2d k3 s2: numeric pad 1 is PyTorch padding=1, "same" is not (it pads 0 before, 1 after)', async () => {
    const xShape: S4 = [2, 8, 8, 3];
    const x = randomArray(size(xShape), 13);
    const w = randomArray(3 * 3 * 3 * 4, 14);
    const torch = torchConv(x, xShape, w, 3, 4, 2, 1);
    const fShape: S4 = [3, 3, 3, 4];
    const run = (pad: Pad) => () => tf.conv2d(tf.tensor4d(x, xShape), tf.tensor4d(w, fShape), 2, pad);
    const [pad1] = await on('wasm', run(1));
    const [same] = await on('wasm', run('same'));
    expectClose(pad1, torch, 'pad 1 vs PyTorch');
    expect(same.length).toBe(torch.length); // same shape (4x4)...
    let differs = 0;
    for (let i = 0; i < same.length; i++) differs = Math.max(differs, Math.abs(same[i] - torch[i]));
    expect(differs).toBeGreaterThan(0.1); // ...but shifted by one pixel
    const info = tf.backend_util.computeConv2DInfo(xShape, fShape, 2, 1, 'same');
    expect(info.padInfo).toMatchObject({ top: 0, bottom: 1, left: 0, right: 1 });
  });

  it('conv2dTranspose k4 s2: both pad 1 and "same" are PyTorch ConvTranspose2d(padding=1)', async () => {
    const xShape: S4 = [2, 4, 4, 5];
    const x = randomArray(size(xShape), 15);
    const w = randomArray(4 * 4 * 3 * 5, 16);
    const torch = torchConvT(x, xShape, w, 4, 3, 2, 1);
    const outShape: S4 = [2, 8, 8, 3];
    const run = (pad: Pad) => () =>
      tf.conv2dTranspose(tf.tensor4d(x, xShape), tf.tensor4d(w, [4, 4, 3, 5]), outShape, 2, pad);
    for (const backend of ['wasm', 'cpu'] as const) {
      const [pad1] = await on(backend, run(1));
      const [same] = await on(backend, run('same'));
      expectClose(pad1, torch, `${backend} pad 1 vs PyTorch`);
      expectClose(same, torch, `${backend} "same" vs PyTorch`);
    }
    const info = tf.backend_util.computeConv2DInfo(outShape, [4, 4, 3, 5], 2, 1, 'same');
    expect(info.padInfo).toMatchObject({ top: 1, bottom: 1, left: 1, right: 1 });
  });
});

describe('no leaks', () => {
  it('repeated gradients keep tensors, bytes and wasm buffers constant', async () => {
    await useBackend('wasm');
    const backend = tf.backend() as unknown as BackendWasm;
    const xShape: S4 = [4, 16, 16, 8];
    const x = tf.tensor4d(randomArray(size(xShape), 17), xShape);
    const w = tf.tensor4d(randomArray(3 * 3 * 8 * 16, 18), [3, 3, 8, 16]);
    const wt = tf.tensor4d(randomArray(4 * 4 * 8 * 16, 19), [4, 4, 8, 16]);
    const step = (): void => {
      const gs = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
        const h = tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 1)); // [4,8,8,16]
        const y = tf.conv2dTranspose(h, c as tf.Tensor4D, xShape, 2, 1); // [4,16,16,8]
        return tf.sum(tf.square(y));
      })([x, w, wt]);
      tf.dispose(gs);
    };
    for (let i = 0; i < 3; i++) step();
    const before = tf.memory();
    const buffers = backend.numDataIds();
    const heapBytes = (): number => (backend.typedArrayFromHeap(x) as Float32Array).buffer.byteLength;
    const heap = heapBytes();
    for (let i = 0; i < 10; i++) step();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(backend.numDataIds()).toBe(buffers);
    expect(heapBytes()).toBe(heap);
    tf.dispose([x, w, wt]);
  });
});
