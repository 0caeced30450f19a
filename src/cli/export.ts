/**
 * `vae export RUN --format onnx --out DIR`: the run's best model as two ONNX graphs,
 * DIR/encoder.onnx (x [batch, C, H, W] -> mu, logvar) and DIR/decoder.onnx (z -> means or logits
 * [batch, C, H, W]), channels first with a dynamic batch axis: what `torch.onnx.export` gives the
 * seed article's models. Layout and ops: src/onnx/export.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { loadRunModel, runFile } from '../train/run.js';
import { writeFileAtomic } from '../train/files.js';
import { exportOnnx } from '../onnx/export.js';
import { isOnnxRunDir } from '../onnx/run.js';
import { action, choiceOption, printJson, startBackend } from './common.js';

interface ExportOptions { format: 'onnx'; out: string; force?: boolean; json?: boolean }

const FILES = ['encoder.onnx', 'decoder.onnx'] as const;

export function registerExport(program: Command): void {
  program
    .command('export')
    .argument('<run>', 'run folder (with a trained model)')
    .description('export the run\'s encoder and decoder as ONNX graphs (NCHW, dynamic batch axis, opset 13), for PyTorch users and onnxruntime')
    .option('--format <f>', 'onnx', choiceOption('--format', ['onnx'] as const), 'onnx')
    .requiredOption('--out <dir>', 'folder to write encoder.onnx and decoder.onnx into (created if missing)')
    .option('--force', 'replace encoder.onnx / decoder.onnx if --out already holds them')
    .option('--json', 'print what was written as JSON')
    .action(action(async (dir: string, o: ExportOptions) => {
      if (isOnnxRunDir(dir)) throw new UserError(`${dir}: already an imported ONNX run; its ${FILES.join(' and ')} are the export`);
      const out = o.out;
      if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new UserError(`--out ${out}: is a file, not a folder`);
      if (fs.existsSync(runFile(out)) && path.resolve(out) !== path.resolve(dir)) {
        // writing next to another run's files is allowed only into the run being exported
        throw new UserError(`--out ${out}: is another run folder; choose an empty or new folder`);
      }
      const existing = FILES.filter((f) => fs.existsSync(path.join(out, f)));
      if (existing.length > 0 && !o.force) throw new UserError(`--out ${out}: already holds ${existing.join(' and ')} (use --force to replace)`);
      await startBackend('cpu', true);
      const { run, vae } = await loadRunModel(dir);
      let bytes: { encoder: Uint8Array; decoder: Uint8Array };
      try {
        bytes = exportOnnx(run.model, vae.encoder, vae.decoder);
      } finally {
        vae.dispose();
      }
      fs.mkdirSync(out, { recursive: true });
      writeFileAtomic(path.join(out, FILES[0]), bytes.encoder);
      writeFileAtomic(path.join(out, FILES[1]), bytes.decoder);
      const m = run.model;
      const outputKind = m.likelihood.kind === 'gaussian' ? 'x_mean (Gaussian means, after sigmoid)' : 'x_logits (Bernoulli logits)';
      const summary = {
        encoder: path.join(out, FILES[0]), decoder: path.join(out, FILES[1]), epoch: run.bestEpoch,
        signature: {
          encoder: `x [batch, ${m.channels}, ${m.height}, ${m.width}] -> mu [batch, ${m.latent}], logvar [batch, ${m.latent}]`,
          decoder: `z [batch, ${m.latent}] -> ${outputKind} [batch, ${m.channels}, ${m.height}, ${m.width}]`,
        },
        bytes: bytes.encoder.length + bytes.decoder.length,
      };
      if (o.json) printJson(summary);
      else {
        process.stdout.write(
          `wrote ${summary.encoder} and ${summary.decoder} (epoch ${run.bestEpoch}, ${(summary.bytes / 1e3).toFixed(0)} kB, opset 13)\n` +
            `  encoder: ${summary.signature.encoder}\n  decoder: ${summary.signature.decoder}\n`,
        );
      }
    }));
}
