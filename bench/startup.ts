/**
 * The start-up figure of `npm run bench` (and `--startup`): how long `vae --version` takes from
 * spawn to exit, and the part of it that loading TensorFlow.js is, both ways Node can load it: an
 * `import` (Node 20 first parses the CommonJS bundles for their export names) and the `require`
 * that src/engine/tfjs.js does. Alternating rounds (A B C A B C …), medians of wall time.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Wall milliseconds of one `node ARGS` run in the package root (which must exit 0). */
function timeNode(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed (status ${r.status}): ${r.stderr.trim().split('\n')[0]}`);
  return ms;
}

export function startupFigure(rounds: number, load: () => string): void {
  const cases: [string, string[]][] = [
    ['vae --version (the CLI, to exit)', ['bin/vae.js', '--version']],
    ["import('@tensorflow/tfjs') alone", ['--input-type=module', '-e', "await import('@tensorflow/tfjs')"]],
    ["require('@tensorflow/tfjs') alone, as src/engine/tfjs.js does", ['--input-type=module', '-e', "import { createRequire } from 'node:module'; createRequire(process.cwd() + '/')('@tensorflow/tfjs')"]],
    ['node with nothing to do', ['-e', '0']],
  ];
  const times: number[][] = cases.map(() => []);
  const startLoad = load();
  for (let r = 0; r < rounds; r++) cases.forEach(([, args], i) => times[i].push(timeNode(args)));
  console.log(`\nstart-up: wall time from spawn to exit, medians of ${rounds} alternating rounds`);
  const med = times.map(median);
  cases.forEach(([label], i) => console.log(`  ${label.padEnd(62)} ${med[i].toFixed(0).padStart(5)} ms`));
  console.log(`  import / require of tfjs: ${(med[1] / med[2]).toFixed(2)}×`);
  console.log(`  load average at start ${startLoad}, at end ${load()} on ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);
}
