/**
 * Checkpoint IO for tfjs models and optimizer state, in the tfjs layers format:
 *   DIR/model.json   (topology + weights manifest; `tf.loadLayersModel('DIR/model.json')` reads it)
 *   DIR/weights-<tag>.bin
 * The weights file is written first under a new name, then model.json is renamed into place (the
 * commit point), then older weight files are removed: a crash at any moment leaves a loadable pair.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { NamedTensor } from '@tensorflow/tfjs-core/dist/tensor_types.js';
import { UserError } from '../errors.js';
import { writeFileAtomic, writeJsonAtomic } from './files.js';

interface ModelJson {
  format: string;
  generatedBy: string;
  convertedBy: null;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

function toBytes(weightData: tf.io.WeightData | undefined): Uint8Array {
  if (!weightData) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(weightData));
}

function removeStaleWeights(dir: string, keep: string): void {
  for (const f of fs.readdirSync(dir)) {
    if (/^weights-.*\.bin$/.test(f) && f !== keep) fs.rmSync(path.join(dir, f), { force: true });
  }
}

/** Saves a LayersModel to DIR (model.json + weights-<tag>.bin), atomically. */
export async function saveModel(model: tf.LayersModel, dir: string, tag: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const weightsFile = `weights-${tag}.bin`;
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
  removeStaleWeights(dir, weightsFile);
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`${file}: cannot read the file (missing or not readable)`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
}

const BYTES_PER: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1 };

/** Loads a LayersModel saved by `saveModel`, checking the files before tfjs sees them. */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const file = path.join(dir, 'model.json');
  const json = readJson(file) as Partial<ModelJson>;
  if (typeof json !== 'object' || json === null || !json.modelTopology || !Array.isArray(json.weightsManifest) || json.weightsManifest.length !== 1) {
    throw new UserError(`${file}: not a tfjs layers model (missing modelTopology or weightsManifest)`);
  }
  const group = json.weightsManifest[0];
  if (!Array.isArray(group.paths) || group.paths.length !== 1 || !Array.isArray(group.weights)) {
    throw new UserError(`${file}: weightsManifest must name one weights file`);
  }
  const weightsPath = path.join(dir, path.basename(group.paths[0]));
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(weightsPath);
  } catch {
    throw new UserError(`${weightsPath}: weights file missing (named by ${file})`);
  }
  let expected = 0;
  for (const w of group.weights) {
    const per = BYTES_PER[w.dtype ?? 'float32'];
    if (!per || !Array.isArray(w.shape)) throw new UserError(`${file}: weight ${w.name} has an unsupported dtype or shape`);
    expected += per * w.shape.reduce((a: number, b: number) => a * b, 1);
  }
  if (bytes.length !== expected) {
    throw new UserError(`${weightsPath}: has ${bytes.length} bytes, model.json expects ${expected}`);
  }
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  try {
    return await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs: group.weights, weightData }),
    );
  } catch (e) {
    throw new UserError(`${file}: cannot build the model (${(e as Error).message.split('\n')[0]})`);
  }
}

/** Saves named tensors (optimizer state) as DIR/NAME.json + DIR/NAME-<tag>.bin, atomically. */
export async function saveTensors(dir: string, name: string, tag: string, tensors: NamedTensor[]): Promise<void> {
  const binName = `${name}-${tag}.bin`;
  const specs: { name: string; shape: number[]; dtype: string; offset: number; length: number }[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const { name: n, tensor } of tensors) {
    const data = await tensor.data();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    specs.push({ name: n, shape: tensor.shape, dtype: tensor.dtype, offset, length: bytes.length });
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
  for (const f of fs.readdirSync(dir)) {
    if (f.startsWith(`${name}-`) && f.endsWith('.bin') && f !== binName) fs.rmSync(path.join(dir, f), { force: true });
  }
}

/** Loads tensors saved by `saveTensors`. The caller owns (disposes) them. */
export function loadTensors(dir: string, name: string): NamedTensor[] {
  const file = path.join(dir, `${name}.json`);
  const manifest = readJson(file) as { file?: string; tensors?: { name: string; shape: number[]; dtype: string; offset: number; length: number }[] };
  if (!manifest || typeof manifest.file !== 'string' || !Array.isArray(manifest.tensors)) {
    throw new UserError(`${file}: not a tensor manifest`);
  }
  const binPath = path.join(dir, path.basename(manifest.file));
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(binPath);
  } catch {
    throw new UserError(`${binPath}: tensor data missing (named by ${file})`);
  }
  return manifest.tensors.map((s) => {
    const size = s.shape.reduce((a, b) => a * b, 1);
    if ((s.dtype !== 'float32' && s.dtype !== 'int32') || s.length !== size * 4 || s.offset + s.length > bytes.length) {
      throw new UserError(`${binPath}: tensor ${s.name} does not fit the file (expected ${size} values of 4 bytes at byte ${s.offset})`);
    }
    const raw = bytes.buffer.slice(bytes.byteOffset + s.offset, bytes.byteOffset + s.offset + s.length);
    const values = s.dtype === 'int32' ? new Int32Array(raw) : new Float32Array(raw);
    return { name: s.name, tensor: tf.tensor(values, s.shape, s.dtype) };
  });
}
