/**
 * Faults of the machine, through the compiled CLI: a full disk (a 3 MB tmpfs where the machine
 * lets us mount one, else the documented injected write fault VAE_FAULT_WRITE), a read-only run
 * folder (a tmpfs remounted read-only; chmod does not stop root, and CI runs as root), concurrent
 * writers of one run folder, a writer killed with SIGKILL, an export killed mid-way, and the peak
 * memory of a gzip bomb. Each fault must end with one line (exit 2, no stack trace), a run that
 * still loads, and no file of the user changed.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createGzip } from 'node:zlib';
import { encodeIdx } from '../../src/data/idx.js';
import { BIN, ROOT, expectUserError, type Result } from './cliRun.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-faults-'));
const mounts: string[] = [];
const base = path.join(tmp, 'base');

function vaeEnv(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000, maxBuffer: 16 << 20, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}
const vae = (...args: string[]): Promise<Result> => vaeEnv(args);

/** Mounts a tmpfs of `size` at `dir`; false where the machine does not allow it (then the tests inject the fault). */
function mountTmpfs(dir: string, size: string): boolean {
  fs.mkdirSync(dir, { recursive: true });
  if (process.env.VAE_TEST_INJECT_FAULTS === '1') return false; // exercise the injected path where mounting works too
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    mounts.push(dir);
    return true;
  } catch {
    return false;
  }
}
/** Remounts a tmpfs read-only; false where that is not allowed (then the test injects the fault). */
function remountReadOnly(dir: string): boolean {
  try {
    execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function hashTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    const abs = path.join(dir, rel);
    const st = fs.lstatSync(abs);
    if (st.isDirectory()) {
      out.set(rel, 'dir');
      for (const f of fs.readdirSync(abs)) walk(path.join(rel, f));
    } else out.set(rel, createHash('sha256').update(fs.readFileSync(abs)).digest('hex'));
  };
  walk('.');
  return out;
}

const readJson = (file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
/** A small MLP on MNIST: epoch 1 (best + state + Adam, ~1.6 MB) fits in 3 MB, epoch 2 does not. */
const mlp = (out: string, epochs = 3): string[] =>
  ['train', '--dataset', 'mnist', '--model', 'mlp', '--hidden', '64', '--latent', '2', '--train-limit', '256', '--epochs', String(epochs), '--seed', '1', '--quiet', '--backend', 'wasm', '--out', out];

beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('build first: npm run build');
  const r = await vae(...mlp(base, 1));
  if (r.status !== 0) throw new Error(`training the base run failed: ${r.stderr}`);
}, 300_000);

afterAll(() => {
  for (const m of mounts.reverse()) {
    try {
      execFileSync('umount', [m], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('faults of the machine (compiled CLI)', () => {
  it('disk full during training: one line, exit 2, run.json not left "running", the last good checkpoint loads and resumes', { timeout: 400_000 }, async () => {
    const disk = path.join(tmp, 'full');
    const mounted = mountTmpfs(disk, '3m');
    const run = path.join(disk, 'run');
    // without a tmpfs: the injected fault makes the second epoch's first weight file fail like a full disk
    const r = await vaeEnv(mlp(run), mounted ? {} : { VAE_FAULT_WRITE: 'ENOSPC:weights-e2' });
    expectUserError(r, /^vae: cannot write .*run\/.*: no space left on the device \(ENOSPC\); the run keeps its last good checkpoint \(epoch 1\): free space or fix the folder, then vae train --resume .* --epochs 3$/);
    const saved = readJson(path.join(run, 'run.json'));
    expect(saved.status).toBe('interrupted');
    expect(saved.epochsDone).toBe(1);
    expect(fs.readdirSync(run).filter((f) => /\.tmp-\d+$/.test(f))).toEqual([]);
    const s = await vae('sample', run, '--n', '4', '--out', path.join(tmp, 'full-sample.png'));
    expect(s.status, s.stderr).toBe(0);
    // with space again (a copy outside the small disk), the advice continues the run
    const moved = path.join(tmp, 'full-moved');
    fs.cpSync(run, moved, { recursive: true });
    const again = await vae('train', '--resume', moved, '--epochs', '3', '--quiet', '--backend', 'wasm');
    expect(again.status, again.stderr).toBe(0);
    expect(readJson(path.join(moved, 'run.json')).epochsDone).toBe(3);
  });

  it('read-only run folder: sample, plot and --resume refuse at once with one line; nothing changes', { timeout: 300_000 }, async () => {
    const disk = path.join(tmp, 'ro');
    const mounted = mountTmpfs(disk, '8m');
    const run = path.join(disk, 'run');
    fs.cpSync(base, run, { recursive: true });
    const readOnly = mounted && remountReadOnly(disk);
    const env: Record<string, string> = readOnly ? {} : { VAE_FAULT_WRITE: `EROFS:${run}` };
    const before = hashTree(run);
    const reason = /read-only file system \(EROFS\)/;
    const [sample, plot, resume, sampleOut] = await Promise.all([
      vaeEnv(['sample', run, '--n', '4'], env),
      vaeEnv(['plot', run], env),
      vaeEnv(['train', '--resume', run, '--epochs', '2', '--backend', 'wasm'], env),
      vaeEnv(['sample', run, '--n', '4', '--out', path.join(run, 'mine.png')], env),
    ]);
    expectUserError(sample, /^vae: output .*run\/samples-s0\.png: cannot write in .*run \(read-only file system \(EROFS\)\)$/);
    expectUserError(plot, /^vae: output .*run\/curves\.svg: cannot write in .*run/);
    expectUserError(resume, /^vae: run folder .*run is not writable: cannot write .*run\/\.vae-lock: read-only file system \(EROFS\)$/);
    expectUserError(sampleOut, reason);
    expect(resume.stderr).not.toMatch(/epoch 1|data:/); // refused before any training or data loading
    expect(hashTree(run)).toEqual(before);
  });

  it('concurrent writers: of three trainings into one folder exactly one runs, the others name its pid; the same for two --resume', { timeout: 400_000 }, async () => {
    // Every process asks for far more epochs than it will train, so the one that takes the lock is
    // still training while the others look (with 1 epoch the winner could finish before a slow
    // starter even checks, and that one would then find a finished run instead); once the others
    // have been refused, Ctrl-C stops the winner, which saves and releases the lock.
    const out = path.join(tmp, 'shared');
    const ENDLESS = '100000';
    /** Starts all `n` at once, waits until all but one have exited, Ctrl-Cs that one, returns all results. */
    const race = async (n: number, args: string[]): Promise<Result[]> => {
      const children = Array.from({ length: n }, () => {
        const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '', stderr = '';
        child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        const done = new Promise<Result>((resolve) => child.on('close', (code) => resolve({ status: code, stdout, stderr })));
        return { child, done, exited: false };
      });
      for (const c of children) void c.done.then(() => (c.exited = true));
      for (let i = 0; i < 3000 && children.filter((c) => c.exited).length < n - 1; i++) await new Promise((r) => setTimeout(r, 100));
      const running = children.filter((c) => !c.exited);
      expect(running).toHaveLength(1); // exactly one trains: the others were refused and exited
      running[0].child.kill('SIGINT');
      return Promise.all(children.map((c) => c.done));
    };
    const results = await race(3, mlp(out, Number(ENDLESS)));
    const refused = results.filter((r) => r.status === 2);
    expect(refused).toHaveLength(2);
    for (const r of refused) expectUserError(r, /^vae: run folder .*shared in use by (pid \d+ \(vae train since [^)]+\)|another process)/);
    expect(results.filter((r) => r.status === 130)).toHaveLength(1); // the winner, stopped by Ctrl-C
    const first = readJson(path.join(out, 'run.json'));
    expect(first.status).toBe('interrupted');
    expect(fs.existsSync(path.join(out, '.vae-lock'))).toBe(false); // released at exit
    const resumes = await race(2, ['train', '--resume', out, '--epochs', ENDLESS, '--quiet', '--backend', 'wasm']);
    expect(resumes.map((r) => r.status).sort((a, b) => a! - b!)).toEqual([2, 130]);
    expectUserError(resumes.find((r) => r.status === 2)!, /in use by (pid \d+ \(vae train --resume since|another process)/);
    const second = readJson(path.join(out, 'run.json'));
    expect(second.status).toBe('interrupted');
    expect(second.epochsDone as number).toBeGreaterThanOrEqual(first.epochsDone as number); // the resume went on from there
    expect(fs.existsSync(path.join(out, '.vae-lock'))).toBe(false);
  });

  it('kill -9 while training leaves a lock that the next --resume takes over', { timeout: 300_000 }, async () => {
    const out = path.join(tmp, 'killed');
    const child = spawn(process.execPath, [BIN, ...mlp(out, 30)], { cwd: ROOT, stdio: 'ignore' });
    const lock = path.join(out, '.vae-lock');
    for (let i = 0; i < 600 && !fs.existsSync(path.join(out, 'state')); i++) await new Promise((r) => setTimeout(r, 100));
    expect(fs.existsSync(lock)).toBe(true);
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(fs.existsSync(lock)).toBe(true); // left behind by the killed process
    const r = await vae('train', '--resume', out, '--epochs', String((readJson(path.join(out, 'run.json')).epochsDone as number) + 1), '--quiet', '--backend', 'wasm');
    expect(r.status, r.stderr).toBe(0);
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('export-site: a full disk leaves no partial folder; temporaries of a killed export are removed by the next one', { timeout: 300_000 }, async () => {
    const disk = path.join(tmp, 'site-disk');
    const mounted = mountTmpfs(disk, '1m');
    const out = path.join(disk, 'site');
    const r = await vaeEnv(['export-site', base, '--out', out], mounted ? {} : { VAE_FAULT_WRITE: 'ENOSPC:weights-e1' });
    expectUserError(r, /^vae: cannot write the site .*site: no space left on the device \(ENOSPC\); nothing was exported \(the partial copy was removed\)$/);
    expect(fs.readdirSync(disk)).toEqual([]);
    // a SIGKILLed export (pid that no longer runs) left its temporaries next to --out
    const dead = 2 ** 22 + 12345; // above pid_max's default: no such process
    const site = path.join(tmp, 'site');
    for (const t of [`.site.tmp-${dead}`, `.site.old-${dead}`]) fs.mkdirSync(path.join(tmp, t, 'runs'), { recursive: true });
    const ok = await vae('export-site', base, '--out', site);
    expect(ok.status, ok.stderr).toBe(0);
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('.site.'))).toEqual([]);
    // --force replaces an earlier export
    const again = await vae('export-site', base, '--out', site, '--force');
    expect(again.status, again.stderr).toBe(0);
  });

  it('a gzip bomb (1 MB declaring 120 images, inflating to 512 MB) is refused with bounded peak memory', { timeout: 120_000 }, async () => {
    const file = path.join(tmp, 'bomb-images-idx3-ubyte.gz');
    await new Promise<void>((resolve, reject) => {
      const gz = createGzip({ level: 1 });
      const sink = fs.createWriteStream(file);
      gz.pipe(sink);
      sink.on('finish', resolve);
      sink.on('error', reject);
      gz.write(encodeIdx([120, 28, 28], new Uint8Array(120 * 784)));
      const zero = Buffer.alloc(1 << 20);
      let n = 0;
      const more = (): void => {
        while (n < 512) {
          n++;
          if (!gz.write(zero)) {
            gz.once('drain', more);
            return;
          }
        }
        gz.end();
      };
      more();
    });
    expect(fs.statSync(file).size).toBeLessThan(4 << 20);
    const script = `import { readIdxFile } from ${JSON.stringify(path.join(ROOT, 'dist', 'src', 'data', 'idx.js'))};
      let msg = 'no error';
      try { await readIdxFile(process.argv[1]); } catch (e) { msg = e.name + ': ' + e.message; }
      process.stdout.write(JSON.stringify({ msg, rssMB: process.resourceUsage().maxRSS / 1024 }));`;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', script, file], { encoding: 'utf8' }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    const { msg, rssMB } = JSON.parse(out) as { msg: string; rssMB: number };
    expect(msg).toMatch(/^DataError: .*bomb-images-idx3-ubyte\.gz: \d+ unexpected trailing bytes after the IDX data \(dimensions 120×28×28\)$/);
    // node itself takes ~50 MB; inflating the whole bomb would take > 512 MB
    expect(rssMB).toBeLessThan(200);
  });
});
