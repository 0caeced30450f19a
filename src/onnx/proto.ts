/**
 * The ONNX protobuf (`onnx-proto`'s generated protobufjs classes) and small builders for the graphs
 * we write: float and int64 initialisers, nodes with attributes, float tensors with a named (dynamic)
 * batch axis. Also the reader of a model's signature (inputs and outputs with their shapes), which
 * `vae import-onnx` checks. No file IO here.
 */
import { createRequire } from 'node:module';
import type { onnx as Onnx } from 'onnx-proto';

// required, not imported: Node would parse the 324 KB CommonJS module for its export names at every
// start of `vae` (see src/engine/tfjs.js); this module is Node-only
export const onnx = (createRequire(import.meta.url)('onnx-proto') as { onnx: typeof Onnx }).onnx;
export type IModelProto = Onnx.IModelProto;
type INodeProto = Onnx.INodeProto;
type IAttributeProto = Onnx.IAttributeProto;
type ITensorProto = Onnx.ITensorProto;
type IValueInfoProto = Onnx.IValueInfoProto;

/** The opset our graphs use (Flatten, Gemm, Conv, ConvTranspose, Reshape, activations: all in 13). */
export const OPSET = 13;
/** IR version 7 is the one ONNX 1.8 paired with opset 13. */
export const IR_VERSION = 7;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/** A float32 initialiser (little-endian raw data, as every ONNX writer stores it). */
export function floatTensor(name: string, dims: number[], values: Float32Array): ITensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  if (values.length !== n) throw new Error(`${name}: ${values.length} values for dims ${dims.join('x')}`);
  const raw = new Uint8Array(n * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < n; i++) view.setFloat32(i * 4, values[i], true);
  return { name, dims, dataType: FLOAT, rawData: raw };
}

/** An int64 initialiser (e.g. a Reshape target). */
export function int64Tensor(name: string, values: number[]): ITensorProto {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return { name, dims: [values.length], dataType: INT64, rawData: raw };
}

type AttrValue = number | number[] | string;
/** Attributes with one integer value (lists are INTS, other numbers FLOAT). */
const INT_ATTRS = new Set(['axis', 'transA', 'transB', 'group']);

function attribute(name: string, v: AttrValue): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (INT_ATTRS.has(name)) return { name, type: T.INT, i: v };
  return { name, type: T.FLOAT, f: v };
}

export function node(opType: string, inputs: string[], outputs: string[], name: string, attrs: Record<string, AttrValue> = {}): INodeProto {
  return { opType, input: inputs, output: outputs, name, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) };
}

/** A float tensor value whose first axis is the dynamic `batch` and the others fixed. */
export function batchedFloat(name: string, dims: number[]): IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'batch' }, ...dims.map((d) => ({ dimValue: d }))] } } },
  };
}

/** One input or output of a graph: its name, element type and shape (a string for a named axis, null for an unknown one). */
export interface ValueSignature {
  name: string;
  /** ONNX data type name ('FLOAT', 'INT64', ...). */
  type: string;
  shape: (number | string | null)[] | null;
}

export interface ModelSignature {
  inputs: ValueSignature[];
  outputs: ValueSignature[];
  opset: number | null;
  producer: string;
  docString: string;
  metadata: Record<string, string>;
}

const toNumber = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v)));

/**
 * The inputs (initialisers excluded, as older exporters also list them as inputs) and outputs of a
 * model's graph. Throws a plain Error when the bytes are not an ONNX model; callers name the file.
 */
export function readSignature(bytes: Uint8Array): ModelSignature {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph;
  if (!g || (g.node?.length ?? 0) === 0) throw new Error('no graph in it (not an ONNX model)');
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  const value = (v: IValueInfoProto): ValueSignature => {
    const tt = v.type?.tensorType;
    const dims = tt?.shape?.dim;
    return {
      name: v.name ?? '',
      type: tt ? (onnx.TensorProto.DataType[tt.elemType ?? 0] ?? String(tt.elemType)) : 'not a tensor',
      shape: dims ? dims.map((d) => (d.dimValue !== undefined && d.dimValue !== null && toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : d.dimParam ? d.dimParam : null)) : null,
    };
  };
  const opset = (m.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return {
    inputs: (g.input ?? []).filter((v) => !inits.has(v.name ?? '')).map(value),
    outputs: (g.output ?? []).map(value),
    opset: opset ? toNumber(opset.version) : null,
    producer: `${m.producerName ?? ''} ${m.producerVersion ?? ''}`.trim(),
    docString: m.docString ?? '',
    metadata: Object.fromEntries((m.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? ''])),
  };
}
