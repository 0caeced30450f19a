/**
 * Interrupted training, as a user (or a crash) does it to the compiled CLI: `vae train` is stopped
 * at seeded random moments by SIGKILL, by Ctrl-C (SIGINT) and by Ctrl-C twice, sometimes again
 * while it resumes. After every stop the run folder must load (readRun + loadRunModel, the last
 * complete epoch), and `vae train --resume` to the end must give weights, Adam state and history
 * bit for bit equal to an uninterrupted run with the same seed. On tfjs-wasm 21 stops in all, on MNIST
 * 512 images (about 30 processes; ~1.5 min on 2 idle cores); on the native engine 9 more, with an
 * IWAE-50 784-400-20 model whose steps (~20–90 ms here) are long enough for a Ctrl-C to land inside an
 * epoch, and a signal that arrives during a native call is held until the call returns (pool.c).
 *
 * SIGKILL lands at a random time (from the start of the process or of training). Ctrl-C lands at a
 * random step: the child prints every step (VAE_PROGRESS_SECONDS=0) and the signal goes out when it
 * reports that step, so whether a Ctrl-C falls inside an epoch does not depend on how loaded the
 * machine is (a clock-timed stop did: once the reference run was slow, most stops came too late).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { useBackend } from '../../src/engine/backend.js';
import { loadNativeAddon } from '../../src/engine/native/addon.js';
import { Rng } from '../../src/math/rng.js';
import { loadRunModel, readRun, stateTag } from '../../src/train/run.js';
import { UserError } from '../../src/errors.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'vae.js');
const EPOCHS = 3;
const STEPS = 512 / 32; // steps per epoch of every setup
const native = loadNativeAddon();
const CI = process.env.CI === 'true';
if (!native.addon) console.log(`native interrupt test ${CI ? 'FAIL (CI=true)' : 'skipped'}: ${native.reason}`);

/** One engine's run to interrupt: its `vae train` arguments and, once trained, its uninterrupted reference. */
interface Setup {
  backend: 'wasm' | 'native';
  train: string[];
  reference: string;
  referenceMs: number;
  referenceTrainingMs: number;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-interrupt-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const setup = (backend: Setup['backend'], model: string[]): Setup => ({
  backend,
  train: ['train', '--backend', backend, '--dataset', 'mnist', '--model', 'mlp', ...model, '--train-limit', '512', '--batch-size', '32',
    '--epochs', String(EPOCHS), '--seed', '7'],
  reference: path.join(tmp, `reference-${backend}`),
  referenceMs: 0,
  referenceTrainingMs: 0,
});
// wasm: a tiny model, ~25 ms a step. native: that model trains in a fraction of a second there, so
// stops would mostly land after an epoch's end; 784-400-20 with IWAE-50 takes ~20–90 ms a step here
const WASM = setup('wasm', ['--hidden', '32', '--latent', '2']);
const NATIVE = setup('native', ['--objective', 'iwae', '--k', '50']);
const RESUME = (s: Setup, dir: string): string[] => ['train', '--backend', s.backend, '--resume', dir, '--epochs', String(EPOCHS)];

type Stop = 'SIGKILL' | 'SIGINT' | 'SIGINTx2';
interface Exit { code: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number; trainingMs: number }
/**
 * A stop `afterMs` after the start of the process or after it printed that training starts, or
 * (`from: 'step'`) as soon as it reports step `at` = [epoch, step] or a later one.
 */
type StopAt = { kind: Stop; afterMs: number; from: 'spawn' | 'training' } | { kind: Stop; from: 'step'; at: [number, number] };

/** Runs the CLI, optionally stopping it. */
function vae(args: string[], stop?: StopAt): Promise<Exit> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let tTrain = 0;
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, VAE_PROGRESS_SECONDS: '0' } });
    const timers: NodeJS.Timeout[] = [];
    let armed = false;
    const arm = (afterMs: number): void => {
      if (!stop || armed) return;
      armed = true;
      timers.push(setTimeout(() => child.kill(stop.kind === 'SIGKILL' ? 'SIGKILL' : 'SIGINT'), afterMs));
      if (stop.kind === 'SIGINTx2') timers.push(setTimeout(() => child.kill('SIGINT'), afterMs + 30));
    };
    if (stop?.from === 'spawn') arm(stop.afterMs);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      stderr += text;
      if (!tTrain && /^training /m.test(stderr)) {
        tTrain = Date.now();
        if (stop?.from === 'training') arm(stop.afterMs);
      }
      if (stop?.from === 'step') {
        for (const m of text.matchAll(/^epoch (\d+) (\d+)\/\d+ /gm)) {
          const [e, k] = [Number(m[1]), Number(m[2])];
          if (e > stop.at[0] || (e === stop.at[0] && k >= stop.at[1])) arm(0);
        }
      }
    });
    child.on('close', (code, signal) => {
      timers.forEach(clearTimeout);
      resolve({ code, signal, stderr, ms: Date.now() - t0, trainingMs: tTrain ? Date.now() - tTrain : 0 });
    });
  });
}

/** Every file of a run folder except the pictures, relative, sorted. */
function files(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(dir, f)).isFile() && !/^(samples\.png|curves\.(svg|png))$/.test(f))
    .sort();
}

const bytes = (dir: string, f: string): Buffer => fs.readFileSync(path.join(dir, f));

beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('build first: npm run build');
  await useBackend('wasm');
});

/** Trains the setup's uninterrupted reference run. */
async function trainReference(s: Setup): Promise<void> {
  const r = await vae([...s.train, '--out', s.reference]);
  if (r.code !== 0) throw new Error(`reference run failed: ${r.stderr}`);
  s.referenceMs = r.ms;
  s.referenceTrainingMs = r.trainingMs;
}

/** After a stop: run.json parses, and the models run.json names load (best and last state). */
async function expectLoadable(dir: string): Promise<void> {
  if (!fs.existsSync(path.join(dir, 'run.json'))) return; // stopped before the run folder was created
  const run = readRun(dir);
  if (run.bestEpoch !== null) {
    const best = await loadRunModel(dir);
    best.vae.dispose();
  } else {
    await expect(loadRunModel(dir)).rejects.toThrow(UserError);
  }
  if (run.epochsDone > 0 || run.partial) {
    const last = await loadRunModel(dir, 'last');
    last.vae.dispose();
    expect(fs.existsSync(path.join(dir, 'state', `optimizer-${stateTag(run)}.bin`))).toBe(true);
  }
}

/** Resumes (or, when nothing was written yet, starts) the run until it is done. */
async function finish(s: Setup, dir: string, stop?: StopAt): Promise<Exit> {
  const started = fs.existsSync(path.join(dir, 'run.json'));
  if (started && readRun(dir).status === 'done') return { code: 0, signal: null, stderr: '', ms: 0, trainingMs: 0 };
  return vae(started ? RESUME(s, dir) : [...s.train, '--out', dir], stop);
}

function checkStopped(r: Exit, kind: Stop): void {
  if (kind === 'SIGKILL') {
    expect(r.code === 0 || r.signal === 'SIGKILL', r.stderr).toBe(true);
    return;
  }
  // Ctrl-C: a saved state and one line saying how to continue (exit 130); before training starts
  // and after it ends Node's default handling applies (killed by SIGINT), or it had already finished
  expect(r.code === 130 || r.code === 0 || r.signal === 'SIGINT', `code ${r.code} signal ${r.signal}: ${r.stderr}`).toBe(true);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  if (r.code === 130) {
    const last = r.stderr.trim().split('\n').pop()!;
    if (kind === 'SIGINT') expect(last).toMatch(/^SIGINT: saved epoch \d+ at step \d+ of \d+ in .*; continue with: node bin\/vae\.js train --resume .* --epochs 3$/);
    else expect(last).toMatch(/SIGINT( again: stopped at once|: saved epoch)/);
  }
}

/** A finished run folder equals the uninterrupted reference: history, RNG state, files, weight bytes; every epoch on the setup's engine. */
function expectSameAsReference(s: Setup, dir: string): void {
  const run = readRun(dir);
  const ref = readRun(s.reference);
  const engine = s.backend === 'native' ? 'native' : 'tfjs-wasm';
  expect(run.history.map((h) => h.engine), 'engine of each epoch').toEqual(run.history.map(() => engine));
  expect(run.status).toBe('done');
  expect(run.partial ?? null).toBeNull();
  expect(run.history.map((h) => [h.epoch, h.train, h.validation])).toEqual(ref.history.map((h) => [h.epoch, h.train, h.validation]));
  expect(run.rngState).toEqual(ref.rngState);
  // the same files (no stale weights or temporary files left), and the same bytes in every weight file
  expect(files(dir)).toEqual(files(s.reference));
  for (const f of files(s.reference).filter((x) => x.endsWith('.bin'))) expect(bytes(dir, f).equals(bytes(s.reference, f)), f).toBe(true);
}

/** Runs `jobs` two at a time (two cores); rejects with the first failure, named. */
async function pool<T>(items: T[], width: number, job: (item: T) => Promise<void>, name: (item: T) => string): Promise<void> {
  const queue = [...items];
  const errors: string[] = [];
  await Promise.all(Array.from({ length: width }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      try {
        await job(item);
      } catch (e) {
        errors.push(`${name(item)}: ${(e as Error).message}`);
      }
    }
  }));
  if (errors.length > 0) throw new Error(errors.join('\n'));
}

interface Tally { stops: number; midEpoch: number; aimedMidEpoch: number; finishedFirst: number }

/**
 * `chains` chains of 3 stops each: the first anywhere in a whole run, the next ones while resuming;
 * then each is resumed to the end and compared with the reference. A run that finishes before its
 * stop is checked against the reference and started again. Returns what happened.
 */
async function stopChains(s: Setup, chains: number): Promise<Tally> {
  const kinds: Stop[] = ['SIGKILL', 'SIGINT', 'SIGINTx2'];
  const tally: Tally = { stops: 0, midEpoch: 0, aimedMidEpoch: 0, finishedFirst: 0 };
  const outcomes: string[] = [];
  await pool(Array.from({ length: chains }, (_, i) => i), 2, async (i) => {
    const rng = new Rng(2024 + i);
    const dir = path.join(tmp, `run-${s.backend}-${i}`);
    let stops = 0;
    for (let attempt = 0; stops < 3 && attempt < 8; attempt++) {
      const kind = kinds[(i + stops + Math.floor(rng.uniform() * 2)) % 3];
      const u = rng.uniform();
      // the share of training still to do (whole epochs and the steps of a saved partial epoch)
      const run = fs.existsSync(path.join(dir, 'run.json')) ? readRun(dir) : null;
      const doneSteps = run ? run.epochsDone * STEPS + (run.partial?.step ?? 0) : 0;
      const left = (EPOCHS * STEPS - doneSteps) / (EPOCHS * STEPS);
      let stop: StopAt;
      if (kind !== 'SIGKILL') {
        // Ctrl-C at a random step still to do (its last one included: the stop then meets the end of training)
        const g = doneSteps + 1 + Math.floor(u * (EPOCHS * STEPS - doneSteps));
        stop = { kind, from: 'step', at: [Math.ceil(g / STEPS), ((g - 1) % STEPS) + 1] };
        if (stop.at[1] <= STEPS - 4) tally.aimedMidEpoch++;
      } else {
        stop = !run
          ? { kind, afterMs: Math.round(u * s.referenceMs), from: 'spawn' } // start-up included
          : { kind, afterMs: Math.round(u * left * s.referenceTrainingMs * 0.9), from: 'training' };
      }
      const r = await finish(s, dir, stop);
      outcomes.push(`${kind}@${stop.from === 'step' ? `e${stop.at[0]}s${stop.at[1]}` : `${stop.afterMs}ms/${stop.from}`}->${r.code ?? r.signal}`);
      checkStopped(r, kind);
      if (r.code === 130 && /saved epoch/.test(r.stderr)) tally.midEpoch++;
      await expectLoadable(dir);
      if (r.code === 0) {
        // finished before the stop: it must still equal the reference; then a new run
        tally.finishedFirst++;
        expectSameAsReference(s, dir);
        fs.rmSync(dir, { recursive: true, force: true });
      } else {
        stops++;
        tally.stops++;
      }
    }
    const last = await finish(s, dir);
    expect(last.code, last.stderr).toBe(0);
    expectSameAsReference(s, dir);
  }, (i) => `chain ${i}`);
  console.log(`interrupt test (${s.backend}): ${tally.stops} stops, ${tally.midEpoch} saved mid-epoch by Ctrl-C (${tally.aimedMidEpoch} aimed ≥ 4 steps before an epoch's end), ` +
    `${tally.finishedFirst} runs finished before their stop; reference run ${s.referenceMs} ms (training ${s.referenceTrainingMs} ms)\n  ${outcomes.join(' ')}`);
  return tally;
}

describe('interrupted training (compiled CLI; seeded random stop times)', () => {
  it('tfjs-wasm, 21 stops (SIGKILL, Ctrl-C, Ctrl-C twice; most while resuming): the folder always loads, and resuming gives the uninterrupted weights bit for bit', { timeout: 420_000 }, async () => {
    await trainReference(WASM);
    const tally = await stopChains(WASM, 7);
    expect(tally.stops).toBeGreaterThanOrEqual(20);
    // every Ctrl-C aimed at least 4 steps (~100 ms) before an epoch's end is saved mid-epoch
    expect(tally.aimedMidEpoch).toBeGreaterThanOrEqual(6);
    expect(tally.midEpoch).toBeGreaterThanOrEqual(tally.aimedMidEpoch);
  });

  it.skipIf(!native.addon && !CI)('native engine, 9 stops: the same, every epoch on native (a Ctrl-C during a native call is held until it returns, then saved)', { timeout: 300_000 }, async () => {
    if (CI) expect(native.reason, 'CI=true: the native addon must be built').toBe('');
    await trainReference(NATIVE);
    expect(readRun(NATIVE.reference).history.map((h) => h.engine)).toEqual(Array(EPOCHS).fill('native'));
    const tally = await stopChains(NATIVE, 3);
    expect(tally.stops).toBeGreaterThanOrEqual(8);
    // at least 3 runs saved and resumed from inside an epoch (6 in every run so far), and every Ctrl-C
    // aimed ≥ 4 steps before an epoch's end among them
    expect(tally.midEpoch).toBeGreaterThanOrEqual(3);
    expect(tally.midEpoch).toBeGreaterThanOrEqual(tally.aimedMidEpoch);
  });
});
