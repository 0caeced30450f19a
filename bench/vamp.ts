/**
 * VampPrior training speed, native engine against the tfjs engine (wasm): the trainer's own steps
 * (src/train/engine.ts, eps drawn as the trainer draws them) on statically binarised MNIST images,
 * with `--prior vamp:K` (default K = 500, the paper's), for the 784-400-20 ReLU MLP and Burda et
 * al.'s 784-200-200-50 tanh MLP. The two engines run alternately (A B A B …, `--rounds`) in this
 * one process, so both see the same machine load; per engine it prints the median wall time per
 * step, images/s, the CPU time per step (process.cpuUsage: our C code runs one thread per core,
 * tfjs-wasm one), the epoch time that gives for 60,000 images, and native/tfjs.
 *
 *   npm run bench:vamp -- [--k=500] [--batch=128] [--rounds=3] [--steps=N]
 *       [--models=mlp,burda]
 *
 * A full native epoch is quicker to measure directly:
 *   node bin/vae.js train --dataset mnist --model mlp --prior vamp:500 --epochs 1
 */
import * as os from 'node:os';
import * as tf from '../src/engine/tfjs.js';
import { useBackend } from '../src/engine/backend.js';
import { MLP_400_20, type ModelConfig } from '../src/models/config.js';
import { Vae } from '../src/models/vae.js';
import { nativeEngine, tfjsEngine, type StepOptions, type TrainStep } from '../src/train/engine.js';
import { loadDataset } from '../src/data/load.js';
import { binarize } from '../src/data/binarize.js';
import { Rng } from '../src/math/rng.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const K = Number(flag('k', '500'));
const batch = Number(flag('batch', '128'));
const rounds = Number(flag('rounds', '3'));
const models = flag('models', 'mlp,burda').split(',');

const MODELS: Record<string, ModelConfig> = {
  mlp: MLP_400_20,
  burda: { ...MLP_400_20, hidden: [200, 200], activation: 'tanh', latent: 50 },
};

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function main(): Promise<void> {
  const backend = await useBackend('native');
  if (backend !== 'native') throw new Error(`the native engine is not available (backend ${backend})`);
  const data = await loadDataset({ name: 'mnist', seed: 0, trainLimit: 4096, testLimit: 10 });
  const x = binarize(data.train.images, 'threshold');
  const size = 28 * 28;
  const nBatches = Math.floor(data.train.count / batch);
  console.log(`VampPrior training steps, K = ${K} pseudo-inputs, batch ${batch}; ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const name of models) {
    const base = MODELS[name];
    if (!base) throw new Error(`unknown model ${name} (mlp, burda)`);
    const config: ModelConfig = { ...base, prior: { kind: 'vamp', components: K } };
    const options: StepOptions = { batchSize: batch, seed: 0, kl: 'analytic' };
    const engines: { name: string; vae: Vae; opt: tf.AdamOptimizer; step: TrainStep; rng: Rng; wall: number[]; cpu: number[] }[] = [];
    for (const engine of [nativeEngine, tfjsEngine]) {
      const declined = engine.supports(config, options);
      if (declined) throw new Error(`${engine.name} declines: ${declined}`);
      const vae = Vae.create(config, 1);
      const opt = tf.train.adam(1e-3);
      engines.push({ name: engine.name, vae, opt, step: engine.create(vae, options, opt), rng: new Rng(2), wall: [], cpu: [] });
    }
    // steps per round: a few seconds of tfjs work
    const steps = Number(flag('steps', '0')) || Math.max(2, Math.round(8 * 128 / batch));
    let b = 0;
    const run = (e: (typeof engines)[number], record: boolean): void => {
      for (let s = 0; s < steps; s++) {
        const xb = x.subarray((b % nBatches) * batch * size, ((b % nBatches) + 1) * batch * size);
        b++;
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        e.step.step({ x: xb, xEnc: xb, batch, beta: 1, rng: e.rng });
        const c = process.cpuUsage(c0);
        if (record) {
          e.wall.push(performance.now() - t0);
          e.cpu.push((c.user + c.system) / 1000);
        }
      }
    };
    engines.forEach((e) => run(e, false)); // warm-up
    for (let r = 0; r < rounds; r++) engines.forEach((e) => run(e, true));
    console.log(`\n${name === 'mlp' ? 'MLP 784-400-20 relu' : 'Burda MLP 784-200-200-50 tanh'}, vamp:${K}, ${steps} steps × ${rounds} rounds per engine`);
    const rows = engines.map((e) => {
      const wall = median(e.wall);
      const cpu = median(e.cpu);
      const epoch = (60000 / batch) * wall / 1000;
      console.log(`  ${e.name.padEnd(10)} ${wall.toFixed(1).padStart(8)} ms/step  ${((batch * 1000) / wall).toFixed(0).padStart(6)} img/s  cpu ${cpu.toFixed(1).padStart(8)} ms/step  epoch of 60,000 ≈ ${epoch.toFixed(0)} s`);
      return { wall, cpu };
    });
    console.log(`  native/tfjs: ${(rows[1].wall / rows[0].wall).toFixed(1)}× faster (wall), ${(rows[1].cpu / rows[0].cpu).toFixed(1)}× less CPU time`);
    for (const e of engines) {
      e.opt.dispose();
      e.vae.dispose();
    }
  }
  console.log(`\nload average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
