/**
 * Micro-benchmark of our wasm conv kernels on the seed-000 conv VAE shapes at batch 64: the stock
 * `Conv2DBackpropInput` against ours (the registered choice and each of its three forms), our
 * `Conv2DBackpropFilter`, the forward Conv2D for scale, and a training-step-like forward + backward
 * of the six conv layers. Prints median wall-clock milliseconds (and, for the step, the process's
 * CPU time, which is less disturbed by other work on a shared machine).
 */
import * as tf from '../src/engine/tfjs.js';
import type { TensorInfo } from '../src/engine/tfjs.js';
import { useBackend } from '../src/engine/backend.js';
import { stockWasmKernel } from '../src/engine/kernels/register.js';
import {
  conv2dBackpropInputPerPhase,
  conv2dBackpropInputStacked,
  conv2dBackpropInputWasm,
  conv2dBackpropInputZeroInsert,
} from '../src/engine/kernels/conv2dBackpropInput.js';
import { conv2dBackpropFilterWasm } from '../src/engine/kernels/conv2dBackpropFilter.js';
import type { BackendWasm } from '../src/engine/kernels/util.js';

type S4 = [number, number, number, number];

const BATCH = 64;

/** A conv layer of the seed-000 VAE, seen as the forward conv2d it is (or whose transpose it is). */
interface Layer {
  name: string;
  x: S4; // input of the forward conv2d
  filter: S4; // [K,K,Cin,Cout] of the forward conv2d
}

// Encoder convs (k3 s2 p1) and decoder conv-transposes (k4 s2 p1, whose forward pass is the
// backprop-input of a conv2d from the big image to the small one). All with stride 2, padding 1.
const LAYERS: Layer[] = [
  { name: 'enc conv 32x32 3->32', x: [BATCH, 32, 32, 3], filter: [3, 3, 3, 32] },
  { name: 'enc conv 16x16 32->64', x: [BATCH, 16, 16, 32], filter: [3, 3, 32, 64] },
  { name: 'enc conv 8x8 64->128', x: [BATCH, 8, 8, 64], filter: [3, 3, 64, 128] },
  { name: 'dec convT 4x4 128->64', x: [BATCH, 8, 8, 64], filter: [4, 4, 64, 128] },
  { name: 'dec convT 8x8 64->32', x: [BATCH, 16, 16, 32], filter: [4, 4, 32, 64] },
  { name: 'dec convT 16x16 32->3', x: [BATCH, 32, 32, 3], filter: [4, 4, 3, 32] },
];
const STRIDE = 2;
const PAD = 1;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median wall-clock and CPU milliseconds of `f` after warm-up; `f` must free what it makes. */
function time(f: () => void, repeats = 15, warmup = 3): { wall: number; cpu: number } {
  for (let i = 0; i < warmup; i++) f();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

const col = (v: string | number, width = 9): string =>
  (typeof v === 'number' ? (Number.isFinite(v) ? v.toFixed(2) : '-') : v).padStart(width);

export async function benchKernels(): Promise<void> {
  await useBackend('wasm');
  const backend = tf.backend() as unknown as BackendWasm;
  const stock = stockWasmKernel('Conv2DBackpropInput');
  stock?.setupFunc?.(backend); // we unregistered it before the backend ran its setup

  console.log(`wasm conv kernels on the seed-000 shapes, batch ${BATCH}, stride 2, padding 1: median ms`);
  console.log(
    'layer'.padEnd(24) +
      ['BPIn stock', 'BPIn ours', 'stacked', 'per-phase', 'zero-ins', 'BPFilter', 'Conv2D'].map((h) => col(h, 11)).join(''),
  );
  for (const layer of LAYERS) {
    const info = tf.backend_util.computeConv2DInfo(layer.x, layer.filter, STRIDE, 1, PAD);
    const x = tf.randomNormal(layer.x);
    const w = tf.randomNormal(layer.filter);
    const dy = tf.randomNormal(info.outShape);
    const common = { strides: [STRIDE, STRIDE], pad: PAD, dataFormat: 'NHWC' };
    const inputArgs = { inputs: { dy, filter: w }, backend, attrs: { ...common, inputShape: layer.x } as never };
    const filterArgs = { inputs: { x, dy }, backend, attrs: { ...common, filterShape: layer.filter } as never };
    const once = (make: () => TensorInfo) => () => {
      backend.disposeData(make().dataId);
    };
    const ms = [
      stock ? time(once(() => stock.kernelFunc(inputArgs) as TensorInfo), 5, 1).wall : NaN,
      time(once(() => conv2dBackpropInputWasm(inputArgs))).wall,
      time(once(() => conv2dBackpropInputStacked(inputArgs))).wall,
      time(once(() => conv2dBackpropInputPerPhase(inputArgs))).wall,
      time(once(() => conv2dBackpropInputZeroInsert(inputArgs))).wall,
      time(once(() => conv2dBackpropFilterWasm(filterArgs))).wall,
      time(() => tf.dispose(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, STRIDE, PAD))).wall,
    ];
    console.log(layer.name.padEnd(24) + ms.map((v) => col(v, 11)).join(''));
    tf.dispose([x, w, dy]);
  }

  // A training-step-like pass over the six conv layers (ReLU between them, sigmoid + squared
  // error at the end, no dense layers): forward, then gradients w.r.t. all six filters.
  const shapes: S4[] = [
    [3, 3, 3, 32],
    [3, 3, 32, 64],
    [3, 3, 64, 128],
    [4, 4, 64, 128],
    [4, 4, 32, 64],
    [4, 4, 3, 32],
  ];
  const ws = shapes.map((s) => tf.variable(tf.randomNormal(s, 0, 0.05)));
  const input = tf.randomUniform([BATCH, 32, 32, 3]) as tf.Tensor4D;
  const loss = (): tf.Scalar => {
    let h = input;
    for (let i = 0; i < 3; i++) h = tf.relu(tf.conv2d(h, ws[i] as tf.Tensor4D, STRIDE, PAD));
    for (let i = 0; i < 3; i++) {
      const w = ws[3 + i] as tf.Tensor4D;
      const size = 8 << i;
      h = tf.conv2dTranspose(h, w, [BATCH, size, size, w.shape[2]], STRIDE, PAD);
      if (i < 2) h = tf.relu(h);
    }
    return tf.mean(tf.square(tf.sub(tf.sigmoid(h), input)));
  };
  const step = time(
    () => {
      const { value, grads } = tf.variableGrads(loss);
      tf.dispose([value, ...Object.values(grads)]);
    },
    10,
    2,
  );
  const rate = (ms: number): string => ((BATCH * 1000) / ms).toFixed(0);
  console.log(
    `six conv layers forward+backward, batch ${BATCH}: ${step.wall.toFixed(1)} ms/step wall ` +
      `(${rate(step.wall)} img/s), ${step.cpu.toFixed(1)} ms CPU (${rate(step.cpu)} img/s)`,
  );
  tf.dispose([...ws, input]);
}
