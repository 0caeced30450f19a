/** `vae decode RUN --z "x,y;x,y"`: decodes given latent points into a PNG. */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { openInferenceRun } from '../onnx/runtime.js';
import { parseJson, readRegularFile } from '../data/files.js';
import { action, defaultOut, intOption, startBackend, writeGridPng } from './common.js';

/** At most this many points per decode (as `vae sample --n`), and this many bytes of --z-file. */
const MAX_POINTS = 10000;
const MAX_Z_FILE_BYTES = 16 << 20;
const FLOAT32_MAX = 3.4028234663852886e38;

interface DecodeOptions { z?: string; zFile?: string; cols?: number; out?: string; backend?: string }

/** Parses "a,b;c,d" (or a JSON list of lists) into rows of `d` numbers. */
export function parseZList(text: string, d: number, source: string): Float32Array {
  let rows: number[][];
  const t = text.trim();
  if (t.startsWith('[') || t.startsWith('{')) {
    const parsed = parseJson(t, source, 4);
    const list = Array.isArray(parsed) ? parsed : (parsed as { z?: unknown }).z;
    if (!Array.isArray(list)) throw new UserError(`${source}: expected a list of z vectors (or {"z": [...]})`);
    rows = list as number[][];
  } else {
    rows = t.split(/[;\n]+/).filter((r) => r.trim() !== '').map((r) => r.split(/[,\s]+/).filter((s) => s !== '').map(Number));
  }
  if (rows.length === 0) throw new UserError(`${source}: no z values given`);
  if (rows.length > MAX_POINTS) throw new UserError(`${source}: ${rows.length} z vectors, more than the ${MAX_POINTS} one decode writes (split the list)`);
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => {
    if (!Array.isArray(r) || r.length !== d || r.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw new UserError(`${source}: z #${i + 1} must have ${d} finite numbers (the run's latent size), got ${JSON.stringify(r)}`);
    }
    const big = r.find((v) => Math.abs(v) > FLOAT32_MAX);
    if (big !== undefined) throw new UserError(`${source}: z #${i + 1} holds ${big}, beyond the float32 range (±3.4e38) the model computes in`);
    out.set(r, i * d);
  });
  return out;
}

export function registerDecode(program: Command): void {
  program
    .command('decode')
    .argument('<run>', 'run folder')
    .description('decode latent points into images (PNG grid)')
    .option('--z <list>', 'latent points: "z1,z2;z1,z2;..." (one point per ;)')
    .option('--z-file <file>', 'JSON file with a list of z vectors (e.g. the .z.json of vae sample)')
    .option('--cols <n>', 'grid columns', intOption('--cols'))
    .option('--out <file.png>', 'output PNG (default RUN/decoded.png)')
    .option('--backend <name>', 'wasm | cpu', 'wasm')
    .action(action(async (dir: string, o: DecodeOptions) => {
      if (!o.z && !o.zFile) throw new UserError('give latent points with --z "x,y;x,y" or --z-file FILE');
      const out = defaultOut(dir, 'decoded.png', o.out);
      await startBackend(o.backend, true);
      const { model } = await openInferenceRun(dir);
      try {
        const d = model.latent;
        const text = o.zFile ? readRegularFile(o.zFile, MAX_Z_FILE_BYTES, o.zFile).toString('utf8') : o.z!;
        const z = parseZList(text, d, o.zFile ?? '--z');
        const n = z.length / d;
        writeGridPng(out, await model.decode(z, n), n, model.imageShape, { cols: o.cols });
        process.stdout.write(`wrote ${out} (${n} images)\n`);
      } finally {
        await model.dispose();
      }
    }));
}
