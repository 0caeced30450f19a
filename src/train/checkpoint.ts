/**
 * Checkpoint IO for tfjs models and optimizer state, in the tfjs layers format:
 *   DIR/model.json   (topology + weights manifest; `tf.loadLayersModel('DIR/model.json')` reads it)
 *   DIR/weights-<tag>.bin
 * The weights file is written first under a new name, then model.json is renamed into place, so
 * model.json never names a file that is not there. Older weight files are removed by `pruneFiles`
 * once the run's commit point (run.json) names the new tag; until then a loader can still read the
 * tag run.json names (see `loadModel`'s `weightsFile`).
 *
 * Every reader checks sizes against the file before allocating and throws a UserError naming the
 * file and the problem: these files may be damaged or hand-edited.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '../engine/tfjs.js';
import type { NamedTensor } from '@tensorflow/tfjs-core/dist/tensor_types.js';
import { UserError } from '../errors.js';
import { oneLine, parseJson, readRegularFile } from '../data/files.js';
import { writeFileAtomic, writeJsonAtomic } from './files.js';

interface ModelJson {
  format: string;
  generatedBy: string;
  convertedBy: null;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** A checked model.json: its topology, weight specs, the weights file it names and the byte count they need. */
export interface ModelManifest {
  modelTopology: object;
  weights: tf.io.WeightsManifestEntry[];
  weightsFile: string;
  bytes: number;
}

function toBytes(weightData: tf.io.WeightData | undefined): Uint8Array {
  if (!weightData) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(weightData));
}

/**
 * Removes files of `dir` that match `pattern` except `keep`, and temporary files left by an
 * interrupted atomic write (`*.tmp-<pid>`). A missing folder is fine.
 */
export function pruneFiles(dir: string, pattern: RegExp, keep: readonly string[]): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const f of names) {
    if ((pattern.test(f) && !keep.includes(f)) || /\.tmp-\d+$/.test(f)) fs.rmSync(path.join(dir, f), { force: true });
  }
}

export const WEIGHTS_FILE = /^weights-.*\.bin$/;
export const weightsFileName = (tag: string): string => `weights-${tag}.bin`;

/**
 * Saves a LayersModel to DIR (model.json + weights-<tag>.bin), atomically. With `prune` (default)
 * older weight files are removed at once; a caller with its own commit point passes false and
 * calls `pruneFiles` after committing.
 */
export async function saveModel(model: tf.LayersModel, dir: string, tag: string, { prune = true } = {}): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const weightsFile = weightsFileName(tag);
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      writeFileAtomic(path.join(dir, weightsFile), toBytes(artifacts.weightData));
      const json: ModelJson = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }],
      };
      writeJsonAtomic(path.join(dir, 'model.json'), json);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (prune) pruneFiles(dir, WEIGHTS_FILE, [weightsFile]);
}

/** Largest JSON file of a run we read (run.json with a long history, model.json, manifests). */
export const MAX_JSON_BYTES = 64 << 20;

/**
 * Reads a whole regular file of at most `maxBytes` (default: MAX_JSON_BYTES); a missing,
 * unreadable, folder, FIFO or device path, or a larger file, is a UserError naming it.
 */
export function readFileChecked(file: string, maxBytes = MAX_JSON_BYTES): Buffer {
  return readRegularFile(file, maxBytes, file);
}

/** Parses JSON text; invalid or absurdly nested JSON is a UserError naming `file`. */
export function parseJsonText(text: string, file: string): unknown {
  return parseJson(text, file);
}

function readJson(file: string): unknown {
  return parseJsonText(readFileChecked(file).toString('utf8'), file);
}

/** Largest optimizer-state file (Adam keeps two moments per weight: 2 x 512 MB of weights at most). */
const MAX_TENSOR_BYTES = 2 ** 31;

/** The size of a regular file (following links), or null for anything else (the reader then names the problem). */
const fileSize = (p: string): number | null => {
  try {
    const st = fs.statSync(p);
    return st.isFile() ? st.size : null;
  } catch {
    return null;
  }
};

const isLink = (p: string): boolean => {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
};

const BYTES_PER: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1 };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A shape: a list of at most 8 non-negative safe integers; returns its element count. */
function shapeSize(shape: unknown): number | null {
  if (!Array.isArray(shape) || shape.length > 8) return null;
  let size = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || (d as number) < 0) return null;
    size *= d as number;
  }
  return Number.isSafeInteger(size) ? size : null;
}

/** Checks a parsed model.json (tfjs layers format with one weights file) without touching tfjs. */
export function checkModelJson(json: unknown, file: string): ModelManifest {
  if (!isObject(json) || !isObject(json.modelTopology) || !Array.isArray(json.weightsManifest) || json.weightsManifest.length !== 1) {
    throw new UserError(`${file}: not a tfjs layers model (missing modelTopology or weightsManifest)`);
  }
  const group: unknown = json.weightsManifest[0];
  if (!isObject(group) || !Array.isArray(group.paths) || group.paths.length !== 1 || typeof group.paths[0] !== 'string' || !Array.isArray(group.weights)) {
    throw new UserError(`${file}: weightsManifest must name one weights file`);
  }
  const weightsFile = path.basename(group.paths[0]);
  if (!/^[\w.-]+$/.test(weightsFile) || weightsFile.startsWith('.')) throw new UserError(`${file}: bad weights file name '${group.paths[0]}'`);
  let bytes = 0;
  for (const w of group.weights as unknown[]) {
    if (!isObject(w) || typeof w.name !== 'string') throw new UserError(`${file}: a weight entry has no name`);
    const per = BYTES_PER[(w.dtype as string | undefined) ?? 'float32'];
    const size = shapeSize(w.shape);
    if (!per || size === null || w.quantization !== undefined) throw new UserError(`${file}: weight ${w.name} has an unsupported dtype or shape`);
    bytes += per * size;
  }
  if (!Number.isSafeInteger(bytes)) throw new UserError(`${file}: the weights manifest describes an impossible size`);
  checkTopology(json.modelTopology, group.weights as tf.io.WeightsManifestEntry[], file);
  return { modelTopology: json.modelTopology, weights: group.weights as tf.io.WeightsManifestEntry[], weightsFile, bytes };
}

/** Layer classes our models use; tfjs would build anything it knows, so nothing else is accepted. */
const LAYER_CLASSES = new Set(['InputLayer', 'Dense', 'Conv2D', 'Conv2DTranspose', 'Flatten', 'Reshape', 'Activation', 'LeakyReLU', 'ZeroPadding2D']);
/** Most values one example may have at a model's input or a reshape (2^24: e.g. 2048 x 2048 x 4). */
const MAX_VALUES = 2 ** 24;

/**
 * Checks a functional model's topology before tfjs builds it: tfjs loops forever on an inbound
 * node that names a missing layer or node, and allocates whatever sizes the configs claim. Every
 * inbound reference must name an earlier layer's existing node; layer classes are ours; input and
 * reshape sizes are bounded; each Dense / Conv layer's size must agree with its kernel in the
 * manifest (whose total size was checked against the weights file).
 */
function checkTopology(topology: Record<string, unknown>, weights: tf.io.WeightsManifestEntry[], file: string): void {
  const bad = (what: string): UserError => new UserError(`${file}: ${what}`);
  const config = topology.config;
  if (!(topology.class_name === 'Model' || topology.class_name === 'Functional') || !isObject(config) || !Array.isArray(config.layers)) {
    throw bad('modelTopology is not a functional model (class_name Model with a list of layers)');
  }
  const nodes = new Map<string, number>();
  const kernels = new Map(weights.map((w) => [w.name, w.shape]));
  const ref = (r: unknown, where: string): void => {
    if (!Array.isArray(r) || typeof r[0] !== 'string' || !Number.isSafeInteger(r[1]) || r[2] !== 0) throw bad(`${where}: bad inbound reference`);
    const count = nodes.get(r[0]);
    if (count === undefined || (r[1] as number) < 0 || (r[1] as number) >= count) throw bad(`${where}: refers to a missing layer or node '${r[0]}' [${r[1]}]`);
  };
  const positive = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) > 0;
  const sizeOf = (dims: unknown): number | null => (Array.isArray(dims) && dims.length <= 4 && dims.every(positive) ? (dims as number[]).reduce((a, b) => a * b, 1) : null);
  (config.layers as unknown[]).forEach((layer, i) => {
    if (!isObject(layer) || typeof layer.name !== 'string' || typeof layer.class_name !== 'string' || !isObject(layer.config) || !Array.isArray(layer.inbound_nodes)) {
      throw bad(`layer ${i} is malformed (name, class_name, config, inbound_nodes)`);
    }
    const { name, class_name: cls, config: c } = layer as { name: string; class_name: string; config: Record<string, unknown> };
    const where = `layer '${name}'`;
    if (nodes.has(name)) throw bad(`${where} appears twice`);
    if (!LAYER_CLASSES.has(cls)) throw bad(`${where}: unsupported layer class '${cls}'`);
    for (const node of layer.inbound_nodes as unknown[]) {
      if (!Array.isArray(node) || node.length === 0) throw bad(`${where}: bad inbound node`);
      node.forEach((r) => ref(r, where));
    }
    if (cls === 'InputLayer') {
      const shape = Array.isArray(c.batch_input_shape) ? c.batch_input_shape.slice(1) : null;
      const size = sizeOf(shape);
      if (size === null || size > MAX_VALUES) throw bad(`${where}: bad input shape ${JSON.stringify(c.batch_input_shape)}`);
    } else if ((layer.inbound_nodes as unknown[]).length === 0) throw bad(`${where}: has no input`);
    if (cls === 'Reshape') {
      const size = sizeOf(c.target_shape);
      if (size === null || size > MAX_VALUES) throw bad(`${where}: bad target shape ${JSON.stringify(c.target_shape)}`);
    }
    const pads = [c.padding].flat(2);
    if (cls === 'ZeroPadding2D' && !pads.every((p) => Number.isSafeInteger(p) && (p as number) >= 0 && (p as number) <= 64)) throw bad(`${where}: bad padding`);
    if (cls === 'Dense' || cls === 'Conv2D' || cls === 'Conv2DTranspose') {
      const kernel = kernels.get(`${name}/kernel`);
      const out = cls === 'Dense' ? c.units : c.filters;
      const outAt = cls === 'Dense' ? 1 : cls === 'Conv2D' ? 3 : 2;
      const k = c.kernel_size;
      const kernelOk = cls === 'Dense' || (Array.isArray(k) && k.length === 2 && kernel?.[0] === k[0] && kernel?.[1] === k[1]);
      if (!positive(out) || !kernel || kernel.length !== (cls === 'Dense' ? 2 : 4) || kernel[outAt] !== out || !kernelOk) {
        throw bad(`${where}: its size does not agree with its kernel in the weights manifest`);
      }
    }
    nodes.set(name, Math.max(1, (layer.inbound_nodes as unknown[]).length));
  });
  for (const key of ['input_layers', 'output_layers']) {
    const list = config[key];
    if (!Array.isArray(list) || list.length === 0) throw bad(`modelTopology has no ${key}`);
    list.forEach((r) => ref(r, key));
  }
}

/** The index of the first NaN or infinite float32 value of the weights, or -1. */
function firstNonFinite(weights: tf.io.WeightsManifestEntry[], buffer: ArrayBuffer): { name: string } | null {
  let offset = 0;
  for (const w of weights) {
    const size = shapeSize(w.shape) ?? 0;
    const dtype = w.dtype ?? 'float32';
    if (dtype === 'float32') {
      const values = new Float32Array(buffer, offset, size);
      for (let i = 0; i < size; i++) if (!Number.isFinite(values[i])) return { name: w.name };
    }
    offset += (BYTES_PER[dtype] ?? 4) * size;
  }
  return null;
}

/**
 * Loads a LayersModel saved by `saveModel`, checking the files before tfjs sees them.
 * `weightsFile` (a name inside DIR) reads those weights instead of the file model.json names:
 * the tag a run's run.json committed (same architecture, so the same manifest).
 */
export async function loadModel(dir: string, weightsFile?: string): Promise<tf.LayersModel> {
  const file = path.join(dir, 'model.json');
  const manifest = checkModelJson(readJson(file), file);
  const weightsPath = path.join(dir, weightsFile ?? manifest.weightsFile);
  if (!fs.existsSync(weightsPath) && !isLink(weightsPath)) throw new UserError(`${weightsPath}: weights file missing (named by ${file})`);
  // the size is checked before reading: a longer file is refused without reading it
  const size = fileSize(weightsPath);
  if (size !== null && size !== manifest.bytes) throw new UserError(`${weightsPath}: has ${size} bytes, model.json expects ${manifest.bytes}`);
  const bytes = readRegularFile(weightsPath, manifest.bytes, weightsPath);
  if (bytes.length !== manifest.bytes) {
    throw new UserError(`${weightsPath}: has ${bytes.length} bytes, model.json expects ${manifest.bytes}`);
  }
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  const bad = firstNonFinite(manifest.weights, weightData);
  if (bad) throw new UserError(`${weightsPath}: weight ${bad.name} holds NaN or infinite values`);
  // a model tfjs fails to finish leaves its variables and intermediate tensors behind: free them
  const variablesBefore = new Set(Object.keys(tf.engine().registeredVariables));
  tf.engine().startScope();
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: manifest.modelTopology, weightSpecs: manifest.weights, weightData }));
  } catch (e) {
    for (const [name, v] of Object.entries(tf.engine().registeredVariables)) if (!variablesBefore.has(name)) v.dispose();
    throw new UserError(`${file}: cannot build the model (${oneLine(e).slice(0, 200)})`);
  } finally {
    tf.engine().endScope();
  }
}

interface TensorSpec { name: string; shape: number[]; dtype: 'float32' | 'int32'; offset: number; length: number }

/** Saves named tensors (optimizer state) as DIR/NAME.json + DIR/NAME-<tag>.bin, atomically. */
export async function saveTensors(dir: string, name: string, tag: string, tensors: NamedTensor[], { prune = true } = {}): Promise<void> {
  const binName = `${name}-${tag}.bin`;
  const specs: TensorSpec[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const { name: n, tensor } of tensors) {
    const data = await tensor.data();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    specs.push({ name: n, shape: tensor.shape, dtype: tensor.dtype as TensorSpec['dtype'], offset, length: bytes.length });
    parts.push(bytes);
    offset += bytes.length;
  }
  const all = new Uint8Array(offset);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  writeFileAtomic(path.join(dir, binName), all);
  writeJsonAtomic(path.join(dir, `${name}.json`), { file: binName, tensors: specs });
  if (prune) pruneFiles(dir, tensorFilePattern(name), [binName]);
}

export const tensorFilePattern = (name: string): RegExp => new RegExp(`^${name}-.*\\.bin$`);

/** Checks a parsed tensor manifest against the size of its data file. */
export function checkTensorManifest(manifest: unknown, file: string, binPath: string, binLength: number): TensorSpec[] {
  if (!isObject(manifest) || typeof manifest.file !== 'string' || !Array.isArray(manifest.tensors)) {
    throw new UserError(`${file}: not a tensor manifest`);
  }
  return (manifest.tensors as unknown[]).map((s, i) => {
    const size = isObject(s) ? shapeSize(s.shape) : null;
    if (!isObject(s) || size === null || (s.dtype !== 'float32' && s.dtype !== 'int32') || s.length !== size * 4 ||
      !Number.isSafeInteger(s.offset) || (s.offset as number) < 0 || (s.offset as number) + size * 4 > binLength) {
      const name = isObject(s) && typeof s.name === 'string' ? s.name : `#${i}`;
      throw new UserError(`${binPath}: tensor ${name} does not fit the file (${binLength} bytes) or has a bad shape or dtype`);
    }
    return { name: typeof s.name === 'string' ? s.name : `#${i}`, shape: s.shape as number[], dtype: s.dtype, offset: s.offset as number, length: s.length };
  });
}

/**
 * Loads tensors saved by `saveTensors` (from NAME-<tag>.bin when `tag` is given, else the file the
 * manifest names). The caller owns (disposes) them.
 */
export function loadTensors(dir: string, name: string, tag?: string): NamedTensor[] {
  const file = path.join(dir, `${name}.json`);
  const manifest = readJson(file) as { file?: unknown };
  if (!isObject(manifest) || typeof manifest.file !== 'string') throw new UserError(`${file}: not a tensor manifest`);
  const binPath = path.join(dir, tag !== undefined ? `${name}-${tag}.bin` : path.basename(manifest.file));
  if (!fs.existsSync(binPath) && !isLink(binPath)) throw new UserError(`${binPath}: tensor data missing (named by ${file})`);
  const bytes = readRegularFile(binPath, MAX_TENSOR_BYTES, binPath);
  const specs = checkTensorManifest(manifest, file, binPath, bytes.length);
  const out: NamedTensor[] = [];
  for (const s of specs) {
    const raw = bytes.buffer.slice(bytes.byteOffset + s.offset, bytes.byteOffset + s.offset + s.length);
    const values = s.dtype === 'int32' ? new Int32Array(raw) : new Float32Array(raw);
    if (s.dtype === 'float32' && !(values as Float32Array).every(Number.isFinite)) {
      tf.dispose(out.map((t) => t.tensor));
      throw new UserError(`${binPath}: tensor ${s.name} holds NaN or infinite values`);
    }
    out.push({ name: s.name, tensor: tf.tensor(values, s.shape, s.dtype) });
  }
  return out;
}
