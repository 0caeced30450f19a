/**
 * `npm run bench`: training speed of the seed-000 conv VAE and the 784-400-20 MLP VAE on every
 * backend available ('native' = our C training step, 'wasm', 'cpu'). Prints images/s (median over
 * timed steps after warm-up), peak RSS, and GFLOP/s as a share of the machine's peak (~233 GFLOP/s
 * FP32 on this 2-core machine, measured with an FMA loop; override with BENCH_PEAK_GFLOPS).
 *
 * `npm run bench -- --peer`: ours (native if built, else wasm) against PyTorch (bench/peer/torch_vae.py,
 * Debian's python3-torch, OPENBLAS_NUM_THREADS=1, torch.set_num_threads(2)) on the same models,
 * losses, Adam settings and batch sizes, run alternately (A B A B …, both processes alive, one
 * working at a time) so both see the same machine load; prints both medians and ours/PyTorch.
 * PYTHON=/path/to/python3 picks the interpreter (default /usr/bin/python3: a pyenv shim on PATH
 * usually lacks Debian's torch).
 *
 * The evaluation figure (printed by the default run and by --eval): IWAE-5000 estimate of log p(x)
 * on all 10,000 MNIST test images (statically binarised) for the 784-400-20 MLP (fresh seeded
 * weights: the work does not depend on their values) through the native engine, with a progress
 * bar and ETA; decoder + likelihood ≈ 0.64 MFLOP per sample, ~32 TFLOP in all. --quick: 500 images.
 *
 * `npm run bench` runs all four (training table, --peer ratios, --eval figure, --startup: how long
 * the CLI takes to start, bench/startup.ts); --train, --peer, --eval or --startup runs only those.
 *
 * Flags: --quick (fewer steps), --backends=native,wasm,cpu, --kernels (the wasm kernel
 * micro-benchmark), --peer, --rounds=N (peer rounds, default 6), --threads=N (threads of our
 * native step and of PyTorch; default: ours one per CPU, PyTorch 2). On a machine shared with
 * other work, --threads=1 compares per-core speed: with more runnable threads than cores,
 * PyTorch's OpenMP barriers wait for preempted threads at every op and its 2-thread figures
 * collapse, which says more about the load than about either engine.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '../src/engine/tfjs.js';
import type { NamedVariableMap } from '@tensorflow/tfjs-core/dist/tensor_types.js';
import { useBackend, nativeUnavailable, type BackendName } from '../src/engine/backend.js';
import { NativeNet, nativeRefusal } from '../src/engine/native/nativeNet.js';
import { modelLayers } from '../src/models/layers.js';
import { loadNativeAddon } from '../src/engine/native/addon.js';
import { SEED000_CONV, MLP_400_20, type ModelConfig } from '../src/models/config.js';
import { Vae } from '../src/models/vae.js';
import { elboSingleSample, negElboLoss } from '../src/math/elbo.js';
import { sampleEps } from '../src/math/gaussian.js';
import { Rng } from '../src/math/rng.js';
import { trainingFlopsPerImage } from './flops.js';
import { loadDataset } from '../src/data/load.js';
import { binarize } from '../src/data/binarize.js';
import { chooseEvaluator } from '../src/train/evaluate.js';
import { progressBar } from '../src/cli/progress.js';
import { benchKernels } from './kernels.js';
import { startupFigure } from './startup.js';

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
const backends = (backendArg ? backendArg.split(',') : ['native', 'wasm', 'cpu']) as BackendName[];
const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.split('=')[1] ?? (quick ? 3 : 6));
const threads = args.find((a) => a.startsWith('--threads='))?.split('=')[1];
if (threads !== undefined) process.env.VAE_NATIVE_THREADS = threads; // read when the addon loads

const CASES: Case[] = [
  { name: 'conv VAE (seed 000)', config: SEED000_CONV, batch: 64, steps: { native: [3, quick ? 10 : 30], wasm: [3, quick ? 5 : 15], cpu: [0, 0] } },
  // the cpu backend needs ~1 s per conv image: a small batch keeps the run short
  { name: 'conv VAE (seed 000)', config: SEED000_CONV, batch: 8, steps: { native: [0, 0], wasm: [0, 0], cpu: [1, quick ? 1 : 3] } },
  { name: 'conv VAE (seed 000)', config: SEED000_CONV, batch: 128, steps: { native: [3, quick ? 10 : 30], wasm: [2, quick ? 4 : 10], cpu: [0, 0] } },
  { name: 'MLP 784-400-20', config: MLP_400_20, batch: 128, steps: { native: [10, quick ? 40 : 150], wasm: [5, quick ? 10 : 40], cpu: [2, quick ? 4 : 10] } },
];

/** Alternating rounds against PyTorch: [model, our config, batch, warm-up steps, steps per round]. */
const PEER_CASES: [string, ModelConfig, number, number, number][] = [
  ['conv', SEED000_CONV, 64, 3, quick ? 5 : 10],
  ['conv', SEED000_CONV, 128, 3, quick ? 4 : 8],
  ['mlp', MLP_400_20, 64, 10, quick ? 20 : 50],
  ['mlp', MLP_400_20, 128, 10, quick ? 20 : 50],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A training step of ours on random data of the right shape, timed one call at a time. */
interface OurStep {
  step(): void;
  dispose(): void;
  flopsPerImage: number;
}

function randomImages(config: ModelConfig, batch: number, rng: Rng): Float32Array {
  const x = new Float32Array(batch * config.height * config.width * config.channels);
  for (let i = 0; i < x.length; i++) x[i] = config.likelihood.kind === 'bernoulli' ? (rng.uniform() < 0.5 ? 1 : 0) : rng.uniform();
  return x;
}

/** The step the trainer runs on `backend`: the native engine for 'native', tfjs otherwise. */
function makeStep(config: ModelConfig, batch: number, backend: BackendName): OurStep | null {
  const vae = Vae.create(config, 1);
  const opt = tf.train.adam(1e-3);
  const rng = new Rng(1);
  const xs = randomImages(config, batch, rng);
  const flopsPerImage = trainingFlopsPerImage(vae);
  const dispose = (): void => {
    opt.dispose();
    vae.dispose();
  };
  if (backend === 'native') {
    if (nativeRefusal(modelLayers(config), vae.trainableWeights)) {
      dispose();
      return null;
    }
    const net = NativeNet.create(modelLayers(config), vae.trainableWeights, opt, batch);
    return {
      step: () => net.step(xs, rng.normals(batch * config.latent), batch, { objective: 'elbo', k: 1, beta: 1, kl: 'analytic' }),
      dispose,
      flopsPerImage,
    };
  }
  const vars = vae.trainableWeights;
  const x = tf.tensor4d(xs, [batch, config.height, config.width, config.channels]);
  return {
    step: () => {
      tf.tidy(() => {
        const eps = sampleEps(rng, [batch, config.latent]);
        const { grads, value } = tf.variableGrads(() => {
          const { mu, logvar } = vae.encode(x, true);
          return negElboLoss(elboSingleSample({ x, mu, logvar, eps, likelihood: config.likelihood, decode: (z) => vae.decode(z, true) }));
        }, vars);
        opt.applyGradients(grads as NamedVariableMap);
        value.dataSync(); // wait for the step to finish (the loss is read every step in training too)
      });
    },
    dispose: () => {
      x.dispose();
      dispose();
    },
    flopsPerImage,
  };
}

function timeSteps(s: OurStep, n: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    s.step();
    times.push(performance.now() - t);
  }
  return times;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r) => r.map((v, j) => v.padEnd(widths[j])).join('  ')).join('\n');
}

function load(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

async function backendTable(): Promise<void> {
  const rows: string[][] = [['model', 'backend', 'batch', 'ms/step', 'images/s', 'GFLOP/s', '% of peak', 'peak RSS MB']];
  for (const backend of backends) {
    let inUse: BackendName;
    try {
      inUse = await useBackend(backend);
    } catch (e) {
      console.log(`backend ${backend}: not available (${(e as Error).message})`);
      continue;
    }
    if (inUse !== backend) {
      console.log(`backend ${backend}: not available (${nativeUnavailable()})`);
      continue;
    }
    for (const c of CASES) {
      const [warm, timed] = c.steps[backend];
      if (timed === 0) continue;
      const s = makeStep(c.config, c.batch, backend);
      if (!s) continue;
      timeSteps(s, warm);
      const ms = median(timeSteps(s, timed));
      s.dispose();
      const imgPerSec = (c.batch * 1000) / ms;
      const gflops = (imgPerSec * s.flopsPerImage) / 1e9;
      const rss = process.resourceUsage().maxRSS / 1024;
      rows.push([c.name, backend, String(c.batch), ms.toFixed(2), imgPerSec.toFixed(1), gflops.toFixed(2), ((100 * gflops) / PEAK_GFLOPS).toFixed(2), rss.toFixed(0)]);
      console.log(`  ${c.name} on ${backend}, batch ${c.batch}: ${imgPerSec.toFixed(1)} images/s (${(s.flopsPerImage / 1e6).toFixed(1)} MFLOP per image)`);
    }
  }
  console.log('\n' + table(rows));
  console.log('\n(peak RSS is the process maximum so far, so it only grows down the table)');
}

/** The PyTorch peer as a child process answering "MODEL BATCH WARMUP STEPS" lines. */
class Peer {
  private readonly lines: AsyncIterableIterator<string>;
  private constructor(private readonly child: ChildProcessWithoutNullStreams, readonly version: string) {
    this.lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async start(): Promise<Peer | string> {
    const here = path.dirname(fileURLToPath(import.meta.url));
    // dist/bench/run.js or bench/run.ts: the script stays in the source tree
    const candidates = [path.join(here, 'peer', 'torch_vae.py'), path.join(here, '..', '..', 'bench', 'peer', 'torch_vae.py')];
    const { existsSync } = await import('node:fs');
    const script = candidates.find((p) => existsSync(p));
    if (!script) return 'bench/peer/torch_vae.py not found';
    const python = process.env.PYTHON ?? '/usr/bin/python3';
    const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', ...(threads !== undefined ? { PEER_THREADS: threads } : {}) };
    const child = spawn(python, [script], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const failed = new Promise<string>((resolve) => {
      child.on('error', (e) => resolve(`${python}: ${e.message}`));
      child.on('exit', (code) => resolve(`${python} exited with ${code}: ${stderr.trim().split('\n').slice(-1)[0] ?? ''}`));
    });
    const peer = new Peer(child, '');
    const first = await Promise.race([peer.lines.next().then((r) => (r.done ? null : r.value)), failed]);
    if (first === null) return await failed; // stdout closed: the exit message says why
    if (!first.startsWith('{')) {
      child.kill();
      return first;
    }
    const ready = JSON.parse(first) as { ready?: boolean; torch?: string; threads?: number };
    return Object.assign(peer, { version: `PyTorch ${ready.torch} (${ready.threads} threads, OPENBLAS_NUM_THREADS=1)` });
  }

  async run(model: string, batch: number, warmup: number, steps: number): Promise<number[]> {
    this.child.stdin.write(`${model} ${batch} ${warmup} ${steps}\n`);
    const r = await this.lines.next();
    if (r.done) throw new Error('the PyTorch peer stopped');
    const reply = JSON.parse(r.value) as { ms?: number[]; error?: string };
    if (!reply.ms) throw new Error(`the PyTorch peer failed: ${reply.error}`);
    return reply.ms;
  }

  stop(): void {
    this.child.stdin.write('quit\n');
    this.child.stdin.end();
  }
}

async function peerTable(): Promise<void> {
  const want = backendArg ? backends[0] : 'native';
  const ours = await useBackend(want);
  if (ours !== want) console.log(`ours: the native path is not available (${nativeUnavailable()}); timing ${ours}`);
  const peer = await Peer.start();
  if (typeof peer === 'string') {
    console.log(`PyTorch peer not available (${peer}).`);
    console.log('Install it (Debian): apt-get install python3-torch libopenblas0-pthread   (or set PYTHON=/path/to/python3 with torch)');
    console.log('Our figures alone:');
  } else {
    console.log(`peer: ${peer.version}; alternating ${rounds} rounds per case (A B A B …)`);
    if (ours === 'native') {
      // conv: the convolution kernels in use (native/src/conv_dnnl.c), absent from older addons
      const info = loadNativeAddon().addon?.info() as { threads?: number; blas?: string; core?: string; conv?: string; dense?: string } | undefined;
      console.log(`ours: native step with ${info?.threads} threads, ${info?.blas?.trim()} ${info?.core?.trim()}; convolutions: ${info?.conv ?? 'im2col+sgemm'}; dense layers: ${info?.dense ?? 'OpenBLAS sgemm'}`);
    }
  }
  const startLoad = load();
  const rows: string[][] = [['model', 'batch', `ours (${ours}) img/s`, 'PyTorch img/s', 'ours/PyTorch', 'ours ms/step', 'PyTorch ms/step']];
  for (const [model, config, batch, warm, steps] of PEER_CASES) {
    const s = makeStep(config, batch, ours);
    if (!s) continue;
    const mine: number[] = [];
    const theirs: number[] = [];
    timeSteps(s, warm);
    if (typeof peer !== 'string') await peer.run(model, batch, warm, 0);
    for (let r = 0; r < rounds; r++) {
      mine.push(...timeSteps(s, steps));
      if (typeof peer !== 'string') theirs.push(...(await peer.run(model, batch, 0, steps)));
    }
    s.dispose();
    const a = median(mine);
    const b = theirs.length ? median(theirs) : NaN;
    const label = model === 'conv' ? 'conv VAE (seed 000)' : 'MLP 784-400-20';
    rows.push([
      label, String(batch), ((batch * 1000) / a).toFixed(0), theirs.length ? ((batch * 1000) / b).toFixed(0) : '-',
      theirs.length ? (b / a).toFixed(2) : '-', a.toFixed(2), theirs.length ? b.toFixed(2) : '-',
    ]);
    console.log(`  ${label}, batch ${batch}: ours ${((batch * 1000) / a).toFixed(0)} img/s` + (theirs.length ? `, PyTorch ${((batch * 1000) / b).toFixed(0)} img/s` : ''));
  }
  if (typeof peer !== 'string') peer.stop();
  console.log('\n' + table(rows));
  console.log(`\nmedians over ${rounds} alternating rounds; load average (1/5/15 min) at start ${startLoad}, at end ${load()} on ${os.cpus().length} CPUs`);
}

/** IWAE-K log p(x) of the MNIST test set for the 784-400-20 MLP through the native engine. */
async function evalFigure(): Promise<void> {
  const K = 5000;
  const n = quick ? 500 : 10000;
  if ((await useBackend('native')) !== 'native') {
    console.log(`evaluation figure: the native engine is not available (${nativeUnavailable()})`);
    return;
  }
  const data = await loadDataset({ name: 'mnist', seed: 0, testLimit: n });
  const images = binarize(data.test!.images.subarray(0, n * 784), 'static', { rng: new Rng(1) });
  const vae = Vae.create(MLP_400_20, 1);
  const ev = chooseEvaluator(vae);
  const { hidden, latent } = MLP_400_20;
  const flopsPerSample = 2 * (latent * hidden[0] + hidden[0] * 784);
  console.log(`\nevaluation: IWAE-${K} log p(x) of ${n} MNIST test images, MLP 784-400-20, engine ${ev.label}`);
  const bar = progressBar(`IWAE-${K}`, n * K);
  const startLoad = load();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const est = await ev.logPx({ x: images, samples: K, rng: new Rng(2), batchSize: 100, onProgress: (done) => bar.update(done) });
  bar.stop();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const mean = est.logPx.reduce((a, b) => a + b, 0) / n;
  const tflop = (n * K * flopsPerSample) / 1e12;
  console.log(`  ${seconds.toFixed(1)} s for ${n} images × ${K} samples (${tflop.toFixed(1)} TFLOP in the decoder's GEMMs, ${(tflop * 1000 / seconds).toFixed(0)} GFLOP/s); ` +
    `-log p(x) ≈ ${(-mean).toFixed(2)} nats (untrained weights)`);
  console.log(`  CPU time ${cpuSeconds.toFixed(1)} s (${(tflop * 1000 / cpuSeconds).toFixed(0)} GFLOP per CPU-second): on ${os.cpus().length} otherwise idle cores ≈ ${(cpuSeconds / os.cpus().length).toFixed(0)} s`);
  if (n < 10000) console.log(`  all 10,000 test images at this rate: ${((seconds * 10000) / n / 60).toFixed(1)} min (idle cores: ≈ ${((cpuSeconds * 10000) / n / os.cpus().length / 60).toFixed(1)} min)`);
  else console.log(`  target ≤ 5 min on 2 cores: ${seconds <= 300 ? 'met' : 'NOT met'} (${(seconds / 60).toFixed(1)} min)`);
  console.log(`  load average at start ${startLoad}, at end ${load()} on ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);
  vae.dispose();
}

async function main(): Promise<void> {
  tf.env().set('PROD', true); // no debug checks, no advice to install tfjs-node
  console.log(`VAE training benchmark: median of timed steps after warm-up; machine peak taken as ${PEAK_GFLOPS} GFLOP/s`);
  console.log(`node ${process.version}, tfjs ${tf.version.tfjs}, ${quick ? 'quick' : 'full'} run, load average ${load()}, CPU ${os.cpus()[0]?.model ?? '?'} ×${os.cpus().length}\n`);
  // default: the training table, the training ratios against PyTorch, the evaluation figure, start-up
  const only = ['--peer', '--eval', '--train', '--startup'].filter((f) => args.includes(f));
  const all = only.length === 0;
  if (all || args.includes('--train')) await backendTable();
  if (all || args.includes('--peer')) await peerTable();
  if (all || args.includes('--eval')) await evalFigure();
  if (all || args.includes('--startup')) startupFigure(quick ? 5 : 15, load);
  if (args.includes('--kernels')) {
    await useBackend('wasm');
    await benchKernels();
  }
}

await main();
