/**
 * An imported ONNX run: a run folder holding a pair of ONNX graphs instead of tfjs models.
 *
 *   runs/NAME/
 *     encoder.onnx   x [batch, C, H, W] -> mu [batch, latent], logvar [batch, latent]
 *     decoder.onnx   z [batch, latent]  -> means (Gaussian) or logits (Bernoulli) [batch, C, H, W]
 *     run.json       { format: 'onnx', model: { kind: 'onnx', height, width, channels, latent, likelihood }, ... }
 *
 * `vae import-onnx` writes it (importOnnxPair), after checking the pair's signatures (read from the
 * graphs with onnx-proto) and running both once in onnxruntime-node. Graphs with channels-last
 * images ([batch, H, W, C]) are accepted too, recorded as layout 'NHWC'.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors.js';
import type { LikelihoodConfig } from '../models/config.js';
import { DATASET_NAMES, type DatasetSpec } from '../data/load.js';
import { readRegularFile } from '../data/files.js';
import { writeFileAtomic, writeJsonAtomic } from '../train/files.js';
import { parseJsonText } from '../train/checkpoint.js';
import { readSignature, type ModelSignature, type ValueSignature } from './proto.js';

export const ONNX_RUN_FORMAT = 'onnx';
export const ENCODER_FILE = 'encoder.onnx';
export const DECODER_FILE = 'decoder.onnx';
/** At most this large an ONNX file (weights included). */
const MAX_ONNX_BYTES = 512 << 20;

/** What an ONNX run says about its model (the fields the commands and the explorer read from a model config). */
export interface OnnxModelInfo {
  kind: 'onnx';
  height: number;
  width: number;
  channels: number;
  latent: number;
  likelihood: LikelihoodConfig;
  /** ONNX runs have p(z) = N(0, I). */
  prior?: undefined;
}

export type ImageLayout = 'NCHW' | 'NHWC';

export interface OnnxGraphInfo {
  file: string;
  inputs: string[];
  outputs: string[];
  producer: string;
  opset: number | null;
}

export interface OnnxRunJson {
  format: typeof ONNX_RUN_FORMAT;
  version: 1;
  model: OnnxModelInfo;
  /** Layout of the image tensors in the graphs. */
  layout: ImageLayout;
  /** 'dynamic', or the fixed batch size the graphs were exported with (then 1). */
  batch: 'dynamic' | 1;
  encoder: OnnxGraphInfo;
  decoder: OnnxGraphInfo;
  /** The data the images are like (named at import), or null: `SPLIT:INDEX` inputs need one. */
  dataset: DatasetSpec | null;
  /** Base names of the imported files (not their paths: run.json is served and exported with the site). */
  importedFrom: { encoder: string; decoder: string };
  createdAt: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPosInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/** Whether `dir` holds a run.json that says `format: 'onnx'` (false for anything else, unreadable included). */
export function isOnnxRunDir(dir: string): boolean {
  const file = path.join(dir, 'run.json');
  try {
    if (!fs.statSync(file).isFile()) return false;
    const run = JSON.parse(readRegularFile(file, 64 << 20).toString('utf8')) as unknown;
    return isObject(run) && run.format === ONNX_RUN_FORMAT;
  } catch {
    return false;
  }
}

/** Parses and checks an ONNX run's run.json text (`file` names it in every error). */
export function parseOnnxRunJson(text: string, file: string): OnnxRunJson {
  const run = parseJsonText(text, file) as OnnxRunJson;
  const bad = (what: string): UserError => new UserError(`${file}: ${what}`);
  if (!isObject(run) || run.format !== ONNX_RUN_FORMAT) throw bad(`not an ONNX run file (format field is not '${ONNX_RUN_FORMAT}')`);
  if (run.version !== 1) throw bad(`ONNX run format version ${JSON.stringify(run.version)} is not supported (this vae-ts reads version 1)`);
  const m = run.model as unknown;
  if (!isObject(m) || m.kind !== 'onnx' || !['height', 'width', 'channels', 'latent'].every((k) => isPosInt(m[k]))) {
    throw bad("model must be { kind: 'onnx', height, width, channels, latent, likelihood } with positive integer sizes");
  }
  const lik = m.likelihood as Record<string, unknown> | undefined;
  if (!isObject(lik) || !(lik.kind === 'bernoulli' || (lik.kind === 'gaussian' && typeof lik.sigma2 === 'number' && lik.sigma2 > 0))) {
    throw bad("model.likelihood must be { kind: 'gaussian', sigma2 > 0 } or { kind: 'bernoulli' }");
  }
  if (run.layout !== 'NCHW' && run.layout !== 'NHWC') throw bad("layout must be 'NCHW' or 'NHWC'");
  if (run.batch !== 'dynamic' && run.batch !== 1) throw bad("batch must be 'dynamic' or 1");
  for (const part of ['encoder', 'decoder'] as const) {
    const g = run[part] as unknown;
    const want = part === 'encoder' ? ENCODER_FILE : DECODER_FILE;
    if (!isObject(g) || g.file !== want || !Array.isArray(g.inputs) || g.inputs.length !== 1 || !Array.isArray(g.outputs) ||
      g.outputs.length !== (part === 'encoder' ? 2 : 1) || ![...g.inputs, ...g.outputs].every((s) => typeof s === 'string')) {
      throw bad(`${part} must name ${want} and its ${part === 'encoder' ? 'input and two outputs' : 'input and output'}`);
    }
  }
  const d = run.dataset as unknown;
  if (d !== null && !(isObject(d) && (DATASET_NAMES as readonly unknown[]).includes(d.name))) throw bad(`dataset must be null or name one of ${DATASET_NAMES.join(', ')}`);
  return run;
}

/** Reads an ONNX run folder's run.json. */
export function readOnnxRun(dir: string): OnnxRunJson {
  const file = path.join(dir, 'run.json');
  return parseOnnxRunJson(readRegularFile(file, 1 << 20).toString('utf8'), file);
}

/** Reads an ONNX file's bytes and signature; a file that is not an ONNX model is a UserError naming it. */
export function readOnnxFile(file: string, what: string): { bytes: Buffer; sig: ModelSignature } {
  const bytes = readRegularFile(file, MAX_ONNX_BYTES, `${what} ${file}`);
  try {
    return { bytes, sig: readSignature(bytes) };
  } catch (e) {
    throw new UserError(`${what} ${file}: not an ONNX model (${(e as Error).message.split('\n')[0]})`);
  }
}

const fmt = (v: ValueSignature): string => `${v.name}${v.shape ? `[${v.shape.map((d) => d ?? '?').join(',')}]` : ''}`;
const isFixed = (d: number | string | null | undefined): d is number => typeof d === 'number';

export interface OnnxPairInfo {
  model: Omit<OnnxModelInfo, 'likelihood'>;
  layout: ImageLayout;
  batch: 'dynamic' | 1;
}

/**
 * Checks an encoder/decoder pair's signatures: the encoder takes one image tensor [batch, C, H, W]
 * (or [batch, H, W, C]) and gives two [batch, latent] tensors; the decoder takes one [batch, latent]
 * and gives one image tensor of the encoder's shape. Throws a one-line UserError for a wrong pair.
 */
export function checkPair(enc: ModelSignature, dec: ModelSignature, encName: string, decName: string): OnnxPairInfo {
  const fail = (msg: string): never => {
    throw new UserError(msg);
  };
  if (enc.inputs.length === 1 && enc.outputs.length === 1 && dec.outputs.length === 2) {
    fail(`${encName} has 1 output and ${decName} has 2: the files look swapped (--encoder gives mu and logvar, --decoder gives images)`);
  }
  if (enc.inputs.length !== 1) fail(`${encName}: an encoder takes one input (the images), this one takes ${enc.inputs.length} (${enc.inputs.map(fmt).join(', ')})`);
  if (enc.outputs.length !== 2) fail(`${encName}: an encoder gives two outputs (mu, logvar), this one gives ${enc.outputs.length} (${enc.outputs.map(fmt).join(', ')})`);
  if (dec.inputs.length !== 1) fail(`${decName}: a decoder takes one input (z), this one takes ${dec.inputs.length} (${dec.inputs.map(fmt).join(', ')})`);
  if (dec.outputs.length !== 1) fail(`${decName}: a decoder gives one output (the images' means or logits), this one gives ${dec.outputs.length} (${dec.outputs.map(fmt).join(', ')})`);
  for (const [v, name] of [[enc.inputs[0], encName], [enc.outputs[0], encName], [enc.outputs[1], encName], [dec.inputs[0], decName], [dec.outputs[0], decName]] as const) {
    if (v.type !== 'FLOAT') fail(`${name}: ${fmt(v)} is ${v.type}, not float32`);
    if (!v.shape) fail(`${name}: ${v.name} has no shape in the graph (export with known shapes)`);
  }
  const x = enc.inputs[0].shape!;
  if (x.length !== 4) fail(`${encName}: input ${fmt(enc.inputs[0])} is not an image batch [batch, C, H, W]`);
  const [, a, b, c] = x;
  if (!isFixed(a) || !isFixed(b) || !isFixed(c)) fail(`${encName}: input ${fmt(enc.inputs[0])} must have fixed image dimensions (only the batch axis may be dynamic)`);
  // PyTorch's NCHW unless only the last axis looks like channels
  const layout: ImageLayout = (a as number) <= 4 || (c as number) > 4 ? 'NCHW' : 'NHWC';
  const [channels, height, width] = layout === 'NCHW' ? [a, b, c] as number[] : [c, a, b] as number[];
  const [mu, lv] = enc.outputs;
  const z = dec.inputs[0].shape!;
  // the latent size: fixed in mu or logvar (exporters may leave one symbolic), else in z
  const encLatent = [mu.shape![1], lv.shape![1]].filter(isFixed);
  if (mu.shape!.length !== 2 || lv.shape!.length !== 2 || !encLatent.every((d) => d === encLatent[0])) {
    fail(`${encName}: outputs ${fmt(mu)} and ${fmt(lv)} must both be [batch, latent] with the same latent size`);
  }
  const latent = encLatent[0] ?? (isFixed(z[1]) ? z[1] : fail(`${encName}, ${decName}: no fixed latent size in ${fmt(mu)}, ${fmt(lv)}, ${fmt(dec.inputs[0])}`));
  if (z.length !== 2 || (isFixed(z[1]) && z[1] !== latent)) fail(`${decName}: input ${fmt(dec.inputs[0])} does not take the encoder's ${latent}-D latent points [batch, ${latent}]`);
  const y = dec.outputs[0].shape!;
  // symbolic image dimensions (PyTorch leaves some after a reshape) are checked when the graphs run
  if (y.length !== 4 || !y.slice(1).every((d, i) => !isFixed(d) || d === x[i + 1])) {
    fail(`${decName}: output ${fmt(dec.outputs[0])} is not an image batch of the encoder's input shape [batch, ${x.slice(1).join(', ')}]`);
  }
  const batches = [x[0], mu.shape![0], lv.shape![0], z[0], y[0]];
  const dynamic = batches.every((d) => !isFixed(d));
  if (!dynamic && !batches.every((d) => d === 1)) {
    fail(`${encName}, ${decName}: the batch axis must be dynamic (torch.onnx.export(..., dynamic_axes={...: {0: 'batch'}})) or 1, got ${batches.map((d) => d ?? '?').join(', ')}`);
  }
  return { model: { kind: 'onnx', height, width, channels, latent }, layout, batch: dynamic ? 'dynamic' : 1 };
}

/** The dataset an imported model's images are like, when the caller names none: faces for 3×32×32, mnist for 1×28×28. */
export function guessDataset(m: { height: number; width: number; channels: number }): DatasetSpec | null {
  if (m.channels === 3 && m.height === 32 && m.width === 32) return { name: 'faces' };
  if (m.channels === 1 && m.height === 28 && m.width === 28) return { name: 'mnist' };
  return null;
}

export interface ImportOptions {
  encoder: string;
  decoder: string;
  out: string;
  likelihood?: 'gaussian' | 'bernoulli';
  sigma2?: number;
  dataset?: DatasetSpec | null;
  /** Runs both graphs once (onnxruntime-node) and returns a note for the user, or null; throws a UserError for graphs that do not run. */
  check?: (run: OnnxRunJson, encoder: Uint8Array, decoder: Uint8Array) => Promise<string | null>;
}

/**
 * Creates an ONNX run folder from an encoder/decoder pair. Refuses an --out that exists and is not
 * an empty folder; the folder is built under a temporary name and renamed into place.
 */
export async function importOnnxPair(o: ImportOptions): Promise<{ run: OnnxRunJson; note: string | null }> {
  if (fs.existsSync(o.out) && !(fs.statSync(o.out).isDirectory() && fs.readdirSync(o.out).length === 0)) {
    throw new UserError(`--out ${o.out}: exists and is not an empty folder (choose a new run folder)`);
  }
  const enc = readOnnxFile(o.encoder, '--encoder');
  const dec = readOnnxFile(o.decoder, '--decoder');
  const pair = checkPair(enc.sig, dec.sig, o.encoder, o.decoder);
  // the likelihood: as asked, else as the decoder says (our exports say it), else the seed article's Gaussian
  const metaLik = dec.sig.metadata.likelihood;
  const kind = o.likelihood ?? (metaLik === 'bernoulli' ? 'bernoulli' : 'gaussian');
  const metaSigma2 = Number(dec.sig.metadata.sigma2);
  const likelihood: LikelihoodConfig = kind === 'bernoulli' ? { kind } : { kind, sigma2: o.sigma2 ?? (metaSigma2 > 0 ? metaSigma2 : 1) };
  const graph = (s: ModelSignature, file: string): OnnxGraphInfo => ({
    file, inputs: s.inputs.map((v) => v.name), outputs: s.outputs.map((v) => v.name), producer: s.producer, opset: s.opset,
  });
  const run: OnnxRunJson = {
    format: ONNX_RUN_FORMAT,
    version: 1,
    model: { ...pair.model, likelihood },
    layout: pair.layout,
    batch: pair.batch,
    encoder: graph(enc.sig, ENCODER_FILE),
    decoder: graph(dec.sig, DECODER_FILE),
    dataset: o.dataset === undefined ? guessDataset(pair.model) : o.dataset,
    importedFrom: { encoder: path.basename(o.encoder), decoder: path.basename(o.decoder) },
    createdAt: new Date().toISOString(),
  };
  const note = o.check ? await o.check(run, enc.bytes, dec.bytes) : null;
  const out = path.resolve(o.out);
  const tmp = `${out}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    writeFileAtomic(path.join(tmp, ENCODER_FILE), enc.bytes);
    writeFileAtomic(path.join(tmp, DECODER_FILE), dec.bytes);
    writeJsonAtomic(path.join(tmp, 'run.json'), run);
    if (fs.existsSync(out)) fs.rmdirSync(out); // the empty folder checked above
    fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { run, note };
}

/** What `/api/runs` adds for an ONNX run: where its graphs are and how to feed them (web/onnxModel.ts). */
export interface OnnxServed {
  /** URLs relative to the site root. */
  encoder: string;
  decoder: string;
  layout: ImageLayout;
  batch: 'dynamic' | 1;
  /** Input and output names of the graphs. */
  encoderIo: { input: string; outputs: [string, string] };
  decoderIo: { input: string; output: string };
}

export function onnxServed(run: OnnxRunJson, base: string): OnnxServed {
  return {
    encoder: `${base}/${ENCODER_FILE}`,
    decoder: `${base}/${DECODER_FILE}`,
    layout: run.layout,
    batch: run.batch,
    encoderIo: { input: run.encoder.inputs[0], outputs: [run.encoder.outputs[0], run.encoder.outputs[1]] },
    decoderIo: { input: run.decoder.inputs[0], output: run.decoder.outputs[0] },
  };
}
