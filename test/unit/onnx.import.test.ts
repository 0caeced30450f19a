/**
 * Importing ONNX pairs: the signature checks of `vae import-onnx` (src/onnx/run.ts checkPair) on
 * hand-made signatures, and a hand-built channels-last pair with a fixed batch of 1 run through
 * the commands' model interface (OnnxModel): images go in NHWC, one at a time, and the results
 * equal the closed-form values of the tiny graphs.
 */
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../../src/errors.js';
import { checkPair, importOnnxPair } from '../../src/onnx/run.js';
import { floatTensor, int64Tensor, node, onnx, type ModelSignature, type ValueSignature } from '../../src/onnx/proto.js';
import { openInferenceRun } from '../../src/onnx/runtime.js';

const v = (name: string, shape: ValueSignature['shape'], type = 'FLOAT'): ValueSignature => ({ name, type, shape });
const sig = (inputs: ValueSignature[], outputs: ValueSignature[]): ModelSignature => ({ inputs, outputs, opset: 13, producer: 'test', docString: '', metadata: {} });
const ENC = sig([v('x', ['batch', 3, 32, 32])], [v('mu', ['batch', 2]), v('logvar', ['batch', 2])]);
const DEC = sig([v('z', ['batch', 2])], [v('y', ['batch', 3, 32, 32])]);

function expectUserError(f: () => unknown, pattern: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UserError);
  expect((err as Error).message).toMatch(pattern);
  expect((err as Error).message).not.toContain('\n');
}

describe('checkPair: the signature of an encoder/decoder pair', () => {
  it('accepts the seed article\'s pair (NCHW, dynamic batch) and reads its sizes', () => {
    expect(checkPair(ENC, DEC, 'e', 'd')).toEqual({ model: { kind: 'onnx', height: 32, width: 32, channels: 3, latent: 2 }, layout: 'NCHW', batch: 'dynamic' });
  });
  it('accepts channels-last images and a fixed batch of 1; symbolic image dimensions of the decoder output', () => {
    const e = sig([v('x', [1, 28, 20, 1])], [v('m', [1, 5]), v('l', [1, 5])]);
    const d = sig([v('z', [1, 5])], [v('y', [1, 'h', null, 1])]);
    expect(checkPair(e, d, 'e', 'd')).toEqual({ model: { kind: 'onnx', height: 28, width: 20, channels: 1, latent: 5 }, layout: 'NHWC', batch: 1 });
  });
  it('refuses wrong pairs with one line naming the problem', () => {
    expectUserError(() => checkPair(DEC, ENC, 'e.onnx', 'd.onnx'), /look swapped/);
    expectUserError(() => checkPair(ENC, ENC, 'e.onnx', 'd.onnx'), /d\.onnx: a decoder gives one output/);
    expectUserError(() => checkPair(sig([v('x', ['b', 3, 32, 32]), v('t', [1])], ENC.outputs), DEC, 'e.onnx', 'd'), /takes 2 \(x\[b,3,32,32\], t\[1\]\)/);
    expectUserError(() => checkPair(sig([v('x', ['b', 3072])], ENC.outputs), DEC, 'e.onnx', 'd'), /is not an image batch/);
    expectUserError(() => checkPair(sig([v('x', ['b', 3, 'h', 32])], ENC.outputs), DEC, 'e.onnx', 'd'), /fixed image dimensions/);
    expectUserError(() => checkPair(sig(ENC.inputs, [v('mu', ['b', 2]), v('logvar', ['b', 3])]), DEC, 'e.onnx', 'd'), /same latent size/);
    expectUserError(() => checkPair(ENC, sig([v('z', ['b', 3])], DEC.outputs), 'e', 'd.onnx'), /does not take the encoder's 2-D latent points/);
    expectUserError(() => checkPair(ENC, sig(DEC.inputs, [v('y', ['b', 3, 28, 28])]), 'e', 'd.onnx'), /not an image batch of the encoder's input shape \[batch, 3, 32, 32\]/);
    expectUserError(() => checkPair(sig([v('x', ['b', 3, 32, 32], 'DOUBLE')], ENC.outputs), DEC, 'e.onnx', 'd'), /is DOUBLE, not float32/);
    expectUserError(() => checkPair(sig([v('x', [4, 3, 32, 32])], [v('mu', [4, 2]), v('logvar', [4, 2])]), sig([v('z', [4, 2])], [v('y', [4, 3, 32, 32])]), 'e', 'd'),
      /batch axis must be dynamic/);
  });
});

/** A one-op-per-layer model with fixed batch 1 (no dynamic axis), channels last. */
function model(name: string, inputs: [string, number[]][], outputs: [string, number[]][], nodes: ReturnType<typeof node>[], inits: ReturnType<typeof floatTensor>[]): Uint8Array {
  const info = ([n, dims]: [string, number[]]): object => ({ name: n, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject({
    irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'test',
    graph: { name, node: nodes, initializer: inits, input: inputs.map(info), output: outputs.map(info) },
  })).finish();
}

describe('an NHWC pair with batch 1 through the commands\' model interface', () => {
  it('encodes and decodes image by image to the closed-form values', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-onnx-nhwc-'));
    try {
      // encoder: x [1, 6, 5, 2] -> flatten (h, w, c order) -> mu = x·A, logvar = x·B
      const D = 60;
      const A = Float32Array.from({ length: D * 2 }, (_, i) => (((i * 37) % 11) / 10 - 0.5) / 4);
      const B = Float32Array.from({ length: D * 2 }, (_, i) => (((i * 13) % 7) / 7 - 0.4) / 4);
      const enc = model('enc', [['x', [1, 6, 5, 2]]], [['mu', [1, 2]], ['logvar', [1, 2]]], [
        node('Flatten', ['x'], ['f'], 'flatten', { axis: 1 }),
        node('MatMul', ['f', 'A'], ['mu'], 'mu'),
        node('MatMul', ['f', 'B'], ['logvar'], 'logvar'),
      ], [floatTensor('A', [D, 2], A), floatTensor('B', [D, 2], B)]);
      // decoder: z [1, 2] -> z·C [1, 60] -> reshape [1, 6, 5, 2]: logits (Bernoulli)
      const C = Float32Array.from({ length: 2 * D }, (_, i) => (i % 5) - 2);
      const dec = model('dec', [['z', [1, 2]]], [['y', [1, 6, 5, 2]]], [
        node('MatMul', ['z', 'C'], ['h'], 'h'),
        node('Reshape', ['h', 'shape'], ['y'], 'unflatten'),
      ], [floatTensor('C', [2, D], C), int64Tensor('shape', [1, 6, 5, 2])]);
      fs.writeFileSync(path.join(tmp, 'e.onnx'), enc);
      fs.writeFileSync(path.join(tmp, 'd.onnx'), dec);
      const out = path.join(tmp, 'run');
      const { run } = await importOnnxPair({ encoder: path.join(tmp, 'e.onnx'), decoder: path.join(tmp, 'd.onnx'), out, likelihood: 'bernoulli' });
      expect(run).toMatchObject({ layout: 'NHWC', batch: 1, dataset: null, model: { height: 6, width: 5, channels: 2, latent: 2 } });

      const { model: m } = await openInferenceRun(out);
      try {
        const n = 3;
        const x = Float32Array.from({ length: n * D }, (_, i) => (i % 9) / 8);
        const { mu, logvar } = await m.encode(x, n);
        const z = Float32Array.from([0.5, -1, 2, 0.25, -0.75, 1.5]);
        const images = await m.decode(z, n);
        for (let b = 0; b < n; b++) {
          for (let j = 0; j < 2; j++) {
            let sa = 0;
            let sb = 0;
            for (let k = 0; k < D; k++) {
              sa += x[b * D + k] * A[k * 2 + j];
              sb += x[b * D + k] * B[k * 2 + j];
            }
            expect(mu[b * 2 + j]).toBeCloseTo(sa, 5);
            expect(logvar[b * 2 + j]).toBeCloseTo(sb, 5);
          }
          for (let k = 0; k < D; k++) {
            const logit = z[b * 2] * C[k] + z[b * 2 + 1] * C[D + k];
            expect(images[b * D + k]).toBeCloseTo(1 / (1 + Math.exp(-logit)), 5);
          }
        }
      } finally {
        await m.dispose();
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
