/**
 * Inference speed of the seed-000 conv VAE in Node: tfjs (wasm backend, our kernels) against
 * onnxruntime-node on the graphs `vae export --format onnx` writes (fresh seeded weights; speed does
 * not depend on them). Prints the median milliseconds of decode and encode at batch 1 and 256.
 *   npx tsc -p tsconfig.build.json && node dist/bench/onnxSpeed.js [reps]
 */
import * as tf from '../src/engine/tfjs.js';
import { useBackend } from '../src/engine/backend.js';
import { Vae } from '../src/models/vae.js';
import { SEED000_CONV } from '../src/models/config.js';
import { exportOnnx } from '../src/onnx/export.js';

const reps = Number(process.argv[2] ?? 30);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(fn: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

const backend = await useBackend('wasm');
const ort = await import('onnxruntime-node');
const vae = Vae.create(SEED000_CONV, 0);
const bytes = exportOnnx(SEED000_CONV, vae.encoder, vae.decoder);
const enc = await ort.InferenceSession.create(bytes.encoder);
const dec = await ort.InferenceSession.create(bytes.decoder);
console.log(`seed-000 conv VAE, median of ${reps} (tfjs backend ${backend}, onnxruntime-node ${ort.env.versions.node})`);
for (const b of [1, 256]) {
  const z = new Float32Array(b * 2).map((_, i) => Math.sin(i));
  const x = new Float32Array(b * 3072).map((_, i) => (i % 255) / 255);
  const tDec = await time(async () => tf.tidy(() => vae.decode(tf.tensor2d(z, [b, 2]))).data().then(() => undefined));
  const oDec = await time(async () => void (await dec.run({ z: new ort.Tensor('float32', z, [b, 2]) })));
  const tEnc = await time(async () => {
    const q = tf.tidy(() => vae.encode(tf.tensor4d(x, [b, 32, 32, 3])).mu);
    await q.data();
    q.dispose();
  });
  const oEnc = await time(async () => void (await enc.run({ x: new ort.Tensor('float32', x, [b, 3, 32, 32]) })));
  console.log(`batch ${b}: decode tfjs ${tDec.toFixed(2)} ms, onnxruntime ${oDec.toFixed(2)} ms; encode tfjs ${tEnc.toFixed(2)} ms, onnxruntime ${oEnc.toFixed(2)} ms`);
}
