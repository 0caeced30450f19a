/**
 * ONNX export of a trained VAE: the encoder and the decoder as two graphs with a dynamic batch axis,
 * with the signature PyTorch's exporter gives the seed article's models, channels first (NCHW):
 *
 *   encoder.onnx   x [batch, C, H, W]  ->  mu [batch, latent], logvar [batch, latent]
 *   decoder.onnx   z [batch, latent]   ->  x_mean [batch, C, H, W]    (Gaussian: means, after sigmoid)
 *                                      or  x_logits [batch, C, H, W]  (Bernoulli: logits, no sigmoid)
 *
 * Our tfjs models are channels last (NHWC). Rather than transposing inside the graph, the weights
 * are laid out for NCHW: conv kernels [kh, kw, in, out] -> [out, in, kh, kw] (transposed convs
 * [kh, kw, out, in] -> [in, out, kh, kw], ONNX's ConvTranspose layout, no flip), and the dense
 * layers next to a flatten / unflatten have their rows / columns permuted from (h, w, c) order to
 * (c, h, w) order. The graph is built from the ModelConfig and the tfjs layers' weights, looked up
 * by layer name; the ops follow src/models/build.ts (explicit padding 1 + 3x3 stride-2 convs,
 * 4x4 stride-2 transposed convs with padding 1, Gemm for dense layers). Opset 13, IR version 7.
 * No file IO here: the bytes are returned.
 */
import type * as tf from '../engine/tfjs.js';
import type { Activation, ModelConfig } from '../models/config.js';
import { IR_VERSION, OPSET, batchedFloat, floatTensor, int64Tensor, node, onnx, type IModelProto } from './proto.js';

export const PRODUCER = 'vae-ts';

type Node = ReturnType<typeof node>;
type Init = ReturnType<typeof floatTensor>;

/** The weights of one tfjs layer, as flat arrays with their shapes. */
function layerWeights(model: tf.LayersModel, name: string): { shape: number[]; values: Float32Array }[] {
  let layer: tf.layers.Layer;
  try {
    layer = model.getLayer(name);
  } catch {
    throw new Error(`ONNX export: the ${model.name} has no layer '${name}' (src/models/build.ts changed its layer names?)`);
  }
  return layer.getWeights().map((w) => ({ shape: w.shape.slice(), values: w.dataSync() as Float32Array }));
}

/** Conv kernel [kh, kw, a, b] -> [b, a, kh, kw] (Conv: a=in, b=out; ConvTranspose: a=out, b=in, giving ONNX's [in, out, kh, kw]). */
function kernelToOnnx(shape: number[], v: Float32Array): { dims: number[]; values: Float32Array } {
  const [kh, kw, a, b] = shape;
  const out = new Float32Array(v.length);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let p = 0; p < a; p++) {
        for (let q = 0; q < b; q++) out[((q * a + p) * kh + i) * kw + j] = v[((i * kw + j) * a + p) * b + q];
      }
    }
  }
  return { dims: [b, a, kh, kw], values: out };
}

/** Index in (c, h, w) order of the element at (h, w, c) order index `k` of an [h, w, c] block. */
const hwcToChw = (k: number, h: number, w: number, c: number): number => {
  const ch = k % c;
  const pix = (k - ch) / c; // i*w + j
  return ch * h * w + pix;
};

/** Dense kernel [in, out] whose rows are an (h, w, c)-ordered flatten: rows moved to (c, h, w) order. */
function permuteRows(v: Float32Array, rows: number, cols: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r < rows; r++) out.set(v.subarray(r * cols, (r + 1) * cols), hwcToChw(r, h, w, c) * cols);
  return out;
}

/** Dense kernel [in, out] (or a bias [out]) whose columns are an (h, w, c)-ordered image: columns moved to (c, h, w) order. */
function permuteCols(v: Float32Array, rows: number, cols: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < cols; k++) out[r * cols + hwcToChw(k, h, w, c)] = v[r * cols + k];
  }
  return out;
}

class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly inits: Init[] = [];
  private last: string;

  constructor(input: string) {
    this.last = input;
  }

  get current(): string {
    return this.last;
  }

  op(opType: string, name: string, extraInputs: string[] = [], attrs: Record<string, number | number[] | string> = {}, output = name, from = this.last): string {
    this.nodes.push(node(opType, [from, ...extraInputs], [output], name, attrs));
    this.last = output;
    return output;
  }

  weight(name: string, dims: number[], values: Float32Array): string {
    this.inits.push(floatTensor(name, dims, values));
    return name;
  }

  activation(a: Activation | 'sigmoid' | 'linear', name: string, output?: string): string {
    if (a === 'linear') return this.last;
    if (a === 'leakyRelu') return this.op('LeakyRelu', name, [], { alpha: 0.2 }, output);
    const ops = { relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid' } as const;
    return this.op(ops[a], name, [], {}, output);
  }

  /** Gemm y = x·W + b from a tfjs dense layer, optionally with permuted rows/columns. */
  dense(model: tf.LayersModel, layer: string, opts: { rows?: [number, number, number]; cols?: [number, number, number]; output?: string; from?: string } = {}): string {
    const [k, b] = layerWeights(model, layer);
    const [rows, cols] = k.shape;
    let kv = k.values;
    let bv = b.values;
    if (opts.rows) kv = permuteRows(kv, rows, cols, ...opts.rows);
    if (opts.cols) {
      kv = permuteCols(kv, rows, cols, ...opts.cols);
      bv = permuteCols(bv, 1, cols, ...opts.cols);
    }
    const W = this.weight(`${layer}.weight`, [rows, cols], kv);
    const B = this.weight(`${layer}.bias`, [cols], bv);
    return this.op('Gemm', layer, [W, B], {}, opts.output ?? layer, opts.from ?? this.last);
  }
}

interface Built {
  encoder: IModelProto;
  decoder: IModelProto;
}

function describeLikelihood(c: ModelConfig): { output: string; doc: string; meta: Record<string, string> } {
  const shape = `[batch, ${c.channels}, ${c.height}, ${c.width}]`;
  if (c.likelihood.kind === 'gaussian') {
    return {
      output: 'x_mean',
      doc: `vae-ts decoder: z [batch, ${c.latent}] -> x_mean ${shape}, the means (after sigmoid, in (0, 1)) of a fixed-variance Gaussian p(x|z) with sigma^2 = ${c.likelihood.sigma2}. Channels first (NCHW).`,
      meta: { likelihood: 'gaussian', sigma2: String(c.likelihood.sigma2), output: 'mean' },
    };
  }
  return {
    output: 'x_logits',
    doc: `vae-ts decoder: z [batch, ${c.latent}] -> x_logits ${shape}, the logits of a Bernoulli p(x|z) (apply a sigmoid for pixel probabilities). Channels first (NCHW).`,
    meta: { likelihood: 'bernoulli', output: 'logits' },
  };
}

function model(graphName: string, b: GraphBuilder, inputs: ReturnType<typeof batchedFloat>[], outputs: ReturnType<typeof batchedFloat>[], doc: string, meta: Record<string, string>): IModelProto {
  return {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: PRODUCER,
    producerVersion: '1',
    docString: doc,
    metadataProps: Object.entries(meta).map(([key, value]) => ({ key, value })),
    graph: { name: graphName, node: b.nodes, initializer: b.inits, input: inputs, output: outputs, docString: doc },
  };
}

function commonMeta(c: ModelConfig): Record<string, string> {
  return {
    producer: PRODUCER, layout: 'NCHW', latent: String(c.latent), height: String(c.height), width: String(c.width), channels: String(c.channels),
    family: c.kind, ...(c.prior?.kind === 'gmm' ? { prior: `gmm:${c.prior.components} (its parameters are not in these graphs: see the run's prior-eN.json)` } : { prior: 'standard normal' }),
  };
}

function buildGraphs(c: ModelConfig, encoder: tf.LayersModel, decoder: tf.LayersModel): Built {
  const { height: H, width: W, channels: C, latent: L } = c;
  const lik = describeLikelihood(c);
  const encDoc = `vae-ts encoder: x [batch, ${C}, ${H}, ${W}] (pixels in [0, 1], channels first) -> mu, logvar [batch, ${L}] of q(z|x) = N(mu, diag(exp(logvar))).`;
  const meta = commonMeta(c);

  // ---- encoder
  const e = new GraphBuilder('x');
  let flat: [number, number, number];
  if (c.kind === 'conv') {
    let h = H;
    let w = W;
    c.filters.forEach((f, i) => {
      const [k, bias] = layerWeights(encoder, `conv${i + 1}`);
      const kk = kernelToOnnx(k.shape, k.values);
      const Wn = e.weight(`conv${i + 1}.weight`, kk.dims, kk.values);
      const Bn = e.weight(`conv${i + 1}.bias`, [f], bias.values);
      e.op('Conv', `conv${i + 1}`, [Wn, Bn], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
      e.activation('relu', `conv${i + 1}_relu`);
      h /= 2;
      w /= 2;
    });
    flat = [h, w, c.filters[c.filters.length - 1]];
  } else {
    flat = [H, W, C];
  }
  e.op('Flatten', 'flatten', [], { axis: 1 });
  if (c.kind === 'mlp') {
    c.hidden.forEach((_, i) => {
      e.dense(encoder, `enc${i + 1}`, i === 0 ? { rows: flat } : {});
      e.activation(c.activation, `enc${i + 1}_act`);
    });
  }
  const hidden = e.current;
  const rowsPerm = c.kind === 'conv' || c.hidden.length === 0 ? { rows: flat } : {};
  e.dense(encoder, 'mu', { ...rowsPerm, output: 'mu', from: hidden });
  e.dense(encoder, 'logvar', { ...rowsPerm, output: 'logvar', from: hidden });
  const enc = model('encoder', e, [batchedFloat('x', [C, H, W])], [batchedFloat('mu', [L]), batchedFloat('logvar', [L])], encDoc, { ...meta, part: 'encoder' });

  // ---- decoder
  const d = new GraphBuilder('z');
  const outAct = c.likelihood.kind === 'gaussian' ? 'sigmoid' : 'linear';
  if (c.kind === 'conv') {
    const n = c.filters.length;
    const [hs, ws, last] = [H / 2 ** n, W / 2 ** n, c.filters[n - 1]];
    d.dense(decoder, 'fc', { cols: [hs, ws, last] });
    d.activation('relu', 'fc_relu');
    d.inits.push(int64Tensor('unflatten.shape', [-1, last, hs, ws]));
    d.op('Reshape', 'unflatten', ['unflatten.shape']);
    const outFilters = [...c.filters.slice(0, n - 1).reverse(), C];
    outFilters.forEach((f, i) => {
      const isLast = i === outFilters.length - 1;
      const [k, bias] = layerWeights(decoder, `deconv${i + 1}`);
      const kk = kernelToOnnx(k.shape, k.values);
      const Wn = d.weight(`deconv${i + 1}.weight`, kk.dims, kk.values);
      const Bn = d.weight(`deconv${i + 1}.bias`, [f], bias.values);
      d.op('ConvTranspose', `deconv${i + 1}`, [Wn, Bn], { kernel_shape: [4, 4], strides: [2, 2], pads: [1, 1, 1, 1] }, isLast && outAct === 'linear' ? lik.output : `deconv${i + 1}`);
      d.activation(isLast ? outAct : 'relu', `deconv${i + 1}_act`, isLast ? lik.output : undefined);
    });
  } else {
    [...c.hidden].reverse().forEach((_, i) => {
      d.dense(decoder, `dec${i + 1}`);
      d.activation(c.activation, `dec${i + 1}_act`);
    });
    d.dense(decoder, 'out', { cols: [H, W, C] });
    d.activation(outAct, 'out_act');
    d.inits.push(int64Tensor('unflatten.shape', [-1, C, H, W]));
    d.op('Reshape', 'unflatten', ['unflatten.shape'], {}, lik.output);
  }
  const dec = model('decoder', d, [batchedFloat('z', [L])], [batchedFloat(lik.output, [C, H, W])], lik.doc, { ...meta, ...lik.meta, part: 'decoder' });
  return { encoder: enc, decoder: dec };
}

/** The encoder and decoder of a model as ONNX files (bytes). */
export function exportOnnx(config: ModelConfig, encoder: tf.LayersModel, decoder: tf.LayersModel): { encoder: Uint8Array; decoder: Uint8Array } {
  const g = buildGraphs(config, encoder, decoder);
  return {
    encoder: onnx.ModelProto.encode(onnx.ModelProto.fromObject(g.encoder)).finish(),
    decoder: onnx.ModelProto.encode(onnx.ModelProto.fromObject(g.decoder)).finish(),
  };
}
