/** `vae decode RUN --z "x,y;x,y"`: decodes given latent points into a PNG. */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { openInferenceRun } from '../onnx/runtime.js';
import { action, defaultOut, intOption, startBackend, writeGridPng } from './common.js';

interface DecodeOptions { z?: string; zFile?: string; cols?: number; out?: string; backend?: string }

/** Parses "a,b;c,d" (or a JSON list of lists) into rows of `d` numbers. */
export function parseZList(text: string, d: number, source: string): Float32Array {
  let rows: number[][];
  const t = text.trim();
  if (t.startsWith('[') || t.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(t);
    } catch {
      throw new UserError(`${source}: not valid JSON`);
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { z?: unknown }).z;
    if (!Array.isArray(list)) throw new UserError(`${source}: expected a list of z vectors (or {"z": [...]})`);
    rows = list as number[][];
  } else {
    rows = t.split(/[;\n]+/).filter((r) => r.trim() !== '').map((r) => r.split(/[,\s]+/).filter((s) => s !== '').map(Number));
  }
  if (rows.length === 0) throw new UserError(`${source}: no z values given`);
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => {
    if (!Array.isArray(r) || r.length !== d || r.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw new UserError(`${source}: z #${i + 1} must have ${d} finite numbers (the run's latent size), got ${JSON.stringify(r)}`);
    }
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
      await startBackend(o.backend, true);
      const { model } = await openInferenceRun(dir);
      try {
        const d = model.latent;
        let text: string;
        if (o.zFile) {
          try {
            text = fs.readFileSync(o.zFile, 'utf8');
          } catch {
            throw new UserError(`${o.zFile}: cannot read the file`);
          }
        } else text = o.z!;
        const z = parseZList(text, d, o.zFile ?? '--z');
        const n = z.length / d;
        const out = defaultOut(dir, 'decoded.png', o.out);
        writeGridPng(out, await model.decode(z, n), n, model.imageShape, { cols: o.cols });
        process.stdout.write(`wrote ${out} (${n} images)\n`);
      } finally {
        await model.dispose();
      }
    }));
}
