/**
 * Micro-benchmark of our wasm conv kernels on the seed-000 conv VAE shapes at batch 64:
 * the stock `Conv2DBackpropInput` against ours (both forms), our `Conv2DBackpropFilter`, and a
 * training-step-like forward + backward of the six conv layers. Prints median milliseconds.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { useBackend } from '../src/engine/backend.js';
import { stockWasmKernel } from '../src/engine/kernels/register.js';
import {
  conv2dBackpropInputPerPhase,
  conv2dBackpropInputPolyphase,
  conv2dBackpropInputZeroInsert,
} from '../src/engine/kernels/conv2dBackpropInput.js';
import { conv2dBackpropFilterWasm } from '../src/engine/kernels/conv2dBackpropFilter.js';
import type { BackendWasm } from '../src/engine/kernels/util.js';

type S4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number;

const BATCH = 64;

/** A conv layer seen as the forward conv2d it is (or whose transpose it is). */
interface Layer {
  name: string;
  x: S4; // input of the forward conv2d
  filter: S4; // [K,K,Cin,Cout] of the forward conv2d
  stride: number;
  pad: Pad;
}

// Encoder convs (k3 s2 p1) and decoder conv-transposes (k4 s2 p1, whose forward pass is the
// backprop-input of a conv2d from the big image to the small one).
const LAYERS: Layer[] = [
  { name: 'enc conv 32x32 3->32', x: [BATCH, 32, 32, 3], filter: [3, 3, 3, 32], stride: 2, pad: 1 },
  { name: 'enc conv 16x16 32->64', x: [BATCH, 16, 16, 32], filter: [3, 3, 32, 64], stride: 2, pad: 1 },
  { name: 'enc conv 8x8 64->128', x: [BATCH, 8, 8, 64], filter: [3, 3, 64, 128], stride: 2, pad: 1 },
  { name: 'dec convT 4x4 128->64', x: [BATCH, 8, 8, 64], filter: [4, 4, 64, 128], stride: 2, pad: 1 },
  { name: 'dec convT 8x8 64->32', x: [BATCH, 16, 16, 32], filter: [4, 4, 32, 64], stride: 2, pad: 1 },
  { name: 'dec convT 16x16 32->3', x: [BATCH, 32, 32, 3], filter: [4, 4, 3, 32], stride: 2, pad: 1 },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median wall time of `f` in ms (after warm-up); `f` must free what it makes. */
function time(f: () => void, repeats = 15, warmup = 3): number {
  for (let i = 0; i < warmup; i++) f();
  const ts: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

const fmt = (ms: number): string => ms.toFixed(2).padStart(8);

export async function benchKernels(): Promise<void> {
  await useBackend('wasm');
  const backend = tf.backend() as unknown as BackendWasm;
  const stock = stockWasmKernel('Conv2DBackpropInput');
  stock?.setupFunc?.(backend); // it was unregistered before the backend ran its setup

  console.log(`wasm conv kernels, seed-000 shapes, batch ${BATCH} (median ms)`);
  console.log(
    `${'layer'.padEnd(24)} ${'BPInput stock'.padStart(13)} ${'polyphase'.padStart(9)} ${'perphase'.padStart(8)} ${'zero-ins'.padStart(8)} ${'BPFilter'.padStart(8)} ${'Conv2D fwd'.padStart(10)}`,
  );
  for (const layer of LAYERS) {
    const info = tf.backend_util.computeConv2DInfo(layer.x, layer.filter, layer.stride, 1, layer.pad);
    const dyShape = info.outShape as S4;
    const x = tf.randomNormal(layer.x);
    const w = tf.randomNormal(layer.filter);
    const dy = tf.randomNormal(dyShape);
    const inputAttrs = { strides: [layer.stride, layer.stride], pad: layer.pad, dataFormat: 'NHWC', inputShape: layer.x };
    const filterAttrs = { strides: [layer.stride, layer.stride], pad: layer.pad, dataFormat: 'NHWC', filterShape: layer.filter };
    const once = (make: () => TensorInfo) => () => backend.disposeData(make().dataId);
    const args = { inputs: { dy, filter: w }, backend, attrs: inputAttrs as never };
    const stockMs = stock
      ? time(once(() => stock.kernelFunc(args as never) as TensorInfo), 5, 1)
      : NaN;
    const polyMs = time(once(() => conv2dBackpropInputPolyphase(args)));
    const zeroMs = time(once(() => conv2dBackpropInputZeroInsert(args)));
    const phaseMs = time(once(() => conv2dBackpropInputPerPhase(args)));
    const filterMs = time(once(() => conv2dBackpropFilterWasm({ inputs: { x, dy }, backend, attrs: filterAttrs as never })));
    const fwdMs = time(() => tf.dispose(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, layer.stride, layer.pad)));
    console.log(
      `${layer.name.padEnd(24)} ${fmt(stockMs).padStart(13)} ${fmt(polyMs).padStart(9)} ${fmt(phaseMs)} ${fmt(zeroMs)} ${fmt(filterMs)} ${fmt(fwdMs).padStart(10)}`,
    );
    tf.dispose([x, w, dy]);
  }

  // A training-step-like pass over the six conv layers (ReLU between them, no dense layers):
  // forward, then gradients w.r.t. all six filters.
  const ws = [
    tf.variable(tf.randomNormal([3, 3, 3, 32], 0, 0.1)),
    tf.variable(tf.randomNormal([3, 3, 32, 64], 0, 0.05)),
    tf.variable(tf.randomNormal([3, 3, 64, 128], 0, 0.05)),
    tf.variable(tf.randomNormal([4, 4, 64, 128], 0, 0.05)),
    tf.variable(tf.randomNormal([4, 4, 32, 64], 0, 0.05)),
    tf.variable(tf.randomNormal([4, 4, 3, 32], 0, 0.05)),
  ];
  const input = tf.randomUniform([BATCH, 32, 32, 3]) as tf.Tensor4D;
  const loss = (): tf.Scalar => {
    let h = input as tf.Tensor4D;
    for (let i = 0; i < 3; i++) h = tf.relu(tf.conv2d(h, ws[i] as tf.Tensor4D, 2, 1));
    const sizes = [8, 16, 32];
    for (let i = 0; i < 3; i++) {
      const w = ws[3 + i] as tf.Tensor4D;
      const out: S4 = [BATCH, sizes[i], sizes[i], w.shape[2]];
      h = tf.conv2dTranspose(h, w, out, 2, 1);
      if (i < 2) h = tf.relu(h);
    }
    return tf.mean(tf.square(tf.sub(tf.sigmoid(h), input)));
  };
  const stepMs = time(() => {
    const { value, grads } = tf.variableGrads(loss);
    tf.dispose([value, ...Object.values(grads)]);
  }, 10, 2);
  console.log(
    `conv layers forward+backward, batch ${BATCH}: ${stepMs.toFixed(1)} ms/step = ${((BATCH * 1000) / stepMs).toFixed(0)} img/s`,
  );
  tf.dispose([...ws, input]);
}
