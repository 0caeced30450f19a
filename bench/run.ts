/**
 * `npm run bench`: training speed of the seed-000 conv VAE and the 784-400-20 MLP VAE on every
 * backend available. Prints images/s (median over timed steps after warm-up), peak RSS, and
 * GFLOP/s as a share of the machine's peak (~233 GFLOP/s FP32 on this 2-core machine, measured
 * with an FMA loop; override with BENCH_PEAK_GFLOPS).
 *
 * Flags: --quick (fewer steps), --backends wasm,cpu, --kernels (also the kernel micro-benchmark).
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedVariableMap } from '@tensorflow/tfjs-core/dist/tensor_types.js';
import { useBackend, type BackendName } from '../src/engine/backend.js';
import { SEED000_CONV, MLP_400_20, type ModelConfig } from '../src/models/config.js';
import { Vae } from '../src/models/vae.js';
import { elboSingleSample, negElboLoss } from '../src/math/elbo.js';
import { sampleEps } from '../src/math/gaussian.js';
import { Rng } from '../src/math/rng.js';
import { trainingFlopsPerImage } from './flops.js';
import { benchKernels } from './kernels.js';

const PEAK_GFLOPS = Number(process.env.BENCH_PEAK_GFLOPS ?? 233);

interface Case {
  name: string;
  config: ModelConfig;
  batch: number;
  /** [warm-up, timed] steps per backend */
  steps: Record<BackendName, [number, number]>;
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const backendArg = args.find((a) => a.startsWith('--backends='))?.split('=')[1];
const backends = (backendArg ? backendArg.split(',') : ['wasm', 'cpu']) as BackendName[];

const CASES: Case[] = [
  { name: 'conv VAE (seed 000)', config: SEED000_CONV, batch: 64, steps: { wasm: [3, quick ? 5 : 15], cpu: [0, 0] } },
  // the cpu backend needs ~1 s per conv image: a small batch keeps the run short
  { name: 'conv VAE (seed 000)', config: SEED000_CONV, batch: 8, steps: { wasm: [0, 0], cpu: [1, quick ? 1 : 3] } },
  { name: 'conv VAE (seed 000)', config: SEED000_CONV, batch: 128, steps: { wasm: [2, quick ? 4 : 10], cpu: [0, 0] } },
  { name: 'MLP 784-400-20', config: MLP_400_20, batch: 128, steps: { wasm: [5, quick ? 10 : 40], cpu: [2, quick ? 4 : 10] } },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Times full training steps (forward, −ELBO, backward, Adam) on random data of the right shape. */
function benchCase(c: Case, backend: BackendName): { imgPerSec: number; msPerStep: number; flopsPerImage: number } | null {
  const [warm, timed] = c.steps[backend];
  if (timed === 0) return null;
  const vae = Vae.create(c.config, 1);
  const opt = tf.train.adam(1e-3);
  const rng = new Rng(1);
  const vars = vae.trainableWeights;
  const shape: [number, number, number, number] = [c.batch, c.config.height, c.config.width, c.config.channels];
  const x = tf.tidy(() => {
    const u = tf.randomUniform(shape, 0, 1, 'float32', 7);
    return c.config.likelihood.kind === 'bernoulli' ? tf.cast(tf.greater(u, 0.5), 'float32') : u;
  });
  const step = (): void => {
    tf.tidy(() => {
      const eps = sampleEps(rng, [c.batch, c.config.latent]);
      const { grads, value } = tf.variableGrads(() => {
        const { mu, logvar } = vae.encode(x as tf.Tensor4D, true);
        return negElboLoss(elboSingleSample({ x, mu, logvar, eps, likelihood: c.config.likelihood, decode: (z) => vae.decode(z, true) }));
      }, vars);
      opt.applyGradients(grads as NamedVariableMap);
      value.dataSync(); // wait for the step to finish (the loss is read every step in training too)
    });
  };
  for (let i = 0; i < warm; i++) step();
  const times: number[] = [];
  for (let i = 0; i < timed; i++) {
    const t = performance.now();
    step();
    times.push(performance.now() - t);
  }
  const flopsPerImage = trainingFlopsPerImage(vae);
  x.dispose();
  opt.dispose();
  vae.dispose();
  const ms = median(times);
  return { imgPerSec: (c.batch * 1000) / ms, msPerStep: ms, flopsPerImage };
}

async function main(): Promise<void> {
  tf.env().set('PROD', true); // no debug checks, no advice to install tfjs-node
  console.log(`VAE training benchmark: median of timed steps after warm-up; machine peak taken as ${PEAK_GFLOPS} GFLOP/s`);
  console.log(`node ${process.version}, tfjs ${tf.version.tfjs}, ${quick ? 'quick' : 'full'} run\n`);
  const rows: string[][] = [['model', 'backend', 'batch', 'ms/step', 'images/s', 'GFLOP/s', '% of peak', 'peak RSS MB']];
  for (const backend of backends) {
    try {
      await useBackend(backend);
    } catch (e) {
      console.log(`backend ${backend}: not available (${(e as Error).message})`);
      continue;
    }
    for (const c of CASES) {
      const r = benchCase(c, backend);
      if (!r) continue;
      const gflops = (r.imgPerSec * r.flopsPerImage) / 1e9;
      const rss = process.resourceUsage().maxRSS / 1024;
      rows.push([c.name, backend, String(c.batch), r.msPerStep.toFixed(1), r.imgPerSec.toFixed(1), gflops.toFixed(2), ((100 * gflops) / PEAK_GFLOPS).toFixed(2), rss.toFixed(0)]);
      console.log(`  ${c.name} on ${backend}, batch ${c.batch}: ${r.imgPerSec.toFixed(1)} images/s (${(r.flopsPerImage / 1e6).toFixed(1)} MFLOP per image)`);
    }
  }
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  console.log('\n' + rows.map((r) => r.map((v, j) => v.padEnd(widths[j])).join('  ')).join('\n'));
  console.log('\n(peak RSS is the process maximum so far, so it only grows down the table)');
  if (args.includes('--kernels')) {
    await useBackend('wasm');
    await benchKernels();
  }
}

await main();
