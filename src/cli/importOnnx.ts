/**
 * `vae import-onnx --encoder e.onnx --decoder d.onnx --out runs/NAME`: makes a run folder of an
 * ONNX encoder/decoder pair (e.g. the seed article's models as `torch.onnx.export` writes them:
 * x [B, 3, 32, 32] -> (mu [B, 2], logvar [B, 2]); z [B, 2] -> [B, 3, 32, 32] in (0, 1)), which
 * `vae sample`, `decode`, `encode`, `reconstruct`, `interpolate`, `traverse`, `serve` and `export-site` then use.
 * The pair is checked (signatures read from the graphs, then one run of each in onnxruntime-node).
 */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import type { DatasetSpec } from '../data/load.js';
import { importOnnxPair, type OnnxRunJson } from '../onnx/run.js';
import { OnnxModel } from '../onnx/runtime.js';
import { action, choiceOption, numberOption, printJson } from './common.js';

interface ImportOptions {
  encoder: string; decoder: string; out: string; likelihood?: 'gaussian' | 'bernoulli'; sigma2?: number;
  dataset?: 'faces' | 'mnist' | 'fashion-mnist' | 'none'; json?: boolean;
}

/** Runs both graphs on two inputs; throws a UserError if they do not run or give non-finite values; returns a note for the user or null. */
async function smokeTest(run: OnnxRunJson, encoder: Uint8Array, decoder: Uint8Array): Promise<string | null> {
  const m = await OnnxModel.create(run, encoder, decoder);
  try {
    const n = 2;
    const size = run.model.height * run.model.width * run.model.channels;
    const images = new Float32Array(n * size);
    for (let i = 0; i < images.length; i++) images[i] = ((i * 7919) % 1000) / 1000;
    const { mu, logvar } = await m.encode(images, n);
    if (![...mu, ...logvar].every(Number.isFinite)) throw new UserError('--encoder: gives non-finite mu or logvar for ordinary images');
    if (run.model.likelihood.kind === 'gaussian') {
      // decode() applies nothing to Gaussian means: look at the raw outputs' range
      const y = await m.decode(new Float32Array(n * run.model.latent).fill(0.5), n);
      if (!y.every(Number.isFinite)) throw new UserError('--decoder: gives non-finite values');
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of y) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      if (lo < -1e-3 || hi > 1 + 1e-3) {
        return `note: the decoder's outputs span [${lo.toFixed(2)}, ${hi.toFixed(2)}], not (0, 1): if they are logits, import with --likelihood bernoulli`;
      }
    } else {
      const y = await m.decode(new Float32Array(n * run.model.latent), n);
      if (!y.every(Number.isFinite)) throw new UserError('--decoder: gives non-finite values');
    }
    return null;
  } finally {
    await m.dispose();
  }
}

export function registerImportOnnx(program: Command): void {
  program
    .command('import-onnx')
    .description('make a run folder of an ONNX encoder/decoder pair (e.g. exported from PyTorch), for sample, decode, encode, reconstruct, interpolate, traverse and the explorer')
    .requiredOption('--encoder <file>', 'encoder.onnx: images [batch, C, H, W] -> mu, logvar [batch, latent]')
    .requiredOption('--decoder <file>', 'decoder.onnx: z [batch, latent] -> means in (0, 1) or logits [batch, C, H, W]')
    .requiredOption('--out <dir>', 'run folder to create (must not exist, or be empty)')
    .option('--likelihood <kind>', 'gaussian (the decoder gives means) | bernoulli (it gives logits); default: what the decoder\'s metadata says, else gaussian',
      choiceOption('--likelihood', ['gaussian', 'bernoulli'] as const))
    .option('--sigma2 <v>', 'variance of the Gaussian likelihood (default: the decoder\'s metadata, else 1)', numberOption('--sigma2', { positive: true }))
    .option('--dataset <name>', 'faces | mnist | fashion-mnist | none: the data the images are like (which explorer views apply; SPLIT:INDEX inputs); default: faces for 3x32x32, mnist for 1x28x28, else none',
      choiceOption('--dataset', ['faces', 'mnist', 'fashion-mnist', 'none'] as const))
    .option('--json', 'print the run.json written')
    .action(action(async (o: ImportOptions) => {
      if (o.sigma2 !== undefined && o.likelihood === 'bernoulli') throw new UserError('--sigma2 applies to --likelihood gaussian only');
      const dataset: DatasetSpec | null | undefined = o.dataset === undefined ? undefined : o.dataset === 'none' ? null : { name: o.dataset };
      const { run, note } = await importOnnxPair({
        encoder: o.encoder, decoder: o.decoder, out: o.out, likelihood: o.likelihood, sigma2: o.sigma2, dataset, check: smokeTest,
      });
      if (note) process.stderr.write(`${note}\n`);
      if (o.json) {
        printJson(run);
        return;
      }
      const m = run.model;
      const lik = m.likelihood.kind === 'gaussian' ? `Gaussian means (sigma^2 = ${m.likelihood.sigma2})` : 'Bernoulli logits';
      process.stdout.write(
        `wrote ${o.out}: ONNX pair, images ${m.channels}x${m.height}x${m.width} (${run.layout}), latent ${m.latent}, decoder gives ${lik}, ` +
          `batch ${run.batch}, dataset ${run.dataset?.name ?? 'none'}\n` +
          `try: vae sample ${o.out} · vae decode ${o.out} --z "${Array(m.latent).fill(0).join(',')}" · vae serve ${o.out}\n`,
      );
    }));
}
