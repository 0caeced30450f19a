import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '../../src/engine/tfjs.js';
import { Vae } from '../../src/models/vae.js';
import { SEED000_CONV, MLP_400_20, validateModelConfig, type ModelConfig } from '../../src/models/config.js';
import { parseInit, torchFanIn } from '../../src/models/init.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** name -> values of every weight of a model. */
function weights(m: tf.LayersModel): Map<string, Float32Array> {
  return new Map(m.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
}

/** Bit-for-bit equality of two float arrays (fast on large layers). */
const same = (a: Float32Array | undefined, b: Float32Array | undefined): boolean =>
  a !== undefined && b !== undefined && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

const GLOROT: ModelConfig = { ...SEED000_CONV, init: 'glorot' };
const TORCH: ModelConfig = { ...SEED000_CONV, init: 'pytorch' };

describe('weight initialisation', () => {
  it("PyTorch 1.13's fan_in: Linear in, Conv2d in·k², ConvTranspose2d out·k² (weight.size(1) × kernel area)", () => {
    expect(torchFanIn({ kind: 'dense', inputs: 2048, units: 2 })).toBe(2048);
    expect(torchFanIn({ kind: 'conv2d', inChannels: 3, filters: 32, kernelSize: 3 })).toBe(27);
    // nn.ConvTranspose2d(128, 64, 4): weight [128, 64, 4, 4], fan_in = 64·16 (measured in torch: max |w| 0.03125 = 1/32)
    expect(torchFanIn({ kind: 'conv2dTranspose', inChannels: 128, filters: 64, kernelSize: 4 })).toBe(1024);
  });

  it('pytorch: every kernel and bias of the conv VAE is U(±1/√fan_in), PyTorch fan_in (transposed conv: output channels × k²)', () => {
    const vae = Vae.create(TORCH, 3);
    const all = new Map([...weights(vae.encoder), ...weights(vae.decoder)]);
    // fan_in of each layer of PyTorch's ConvVae (bench/peer/torch_vae.py), computed by hand
    const fanIn: Record<string, number> = {
      conv1: 3 * 9, conv2: 32 * 9, conv3: 64 * 9, mu: 2048, logvar: 2048, fc: 2, deconv1: 64 * 16, deconv2: 32 * 16, deconv3: 3 * 16,
    };
    for (const [layer, fin] of Object.entries(fanIn)) {
      const bound = 1 / Math.sqrt(fin);
      for (const part of ['kernel', 'bias']) {
        const v = all.get(`${layer}/${part}`);
        expect(v, `${layer}/${part}`).toBeDefined();
        const max = v!.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        expect(max, `${layer}/${part} within the bound`).toBeLessThanOrEqual(bound);
        if (v!.length >= 1000) {
          // a uniform on ±b: max |x| close to b, variance b²/3
          expect(max).toBeGreaterThan(0.99 * bound);
          const mean = v!.reduce((s, x) => s + x, 0) / v!.length;
          const variance = v!.reduce((s, x) => s + (x - mean) ** 2, 0) / v!.length;
          expect(variance / (bound * bound / 3)).toBeGreaterThan(0.9);
          expect(variance / (bound * bound / 3)).toBeLessThan(1.1);
        } else {
          expect(v!.some((x) => x !== 0), `${layer}/${part} not all zero`).toBe(true);
        }
      }
    }
    vae.dispose();
  });

  it('glorot: zero biases and Glorot-uniform kernels (conv2dTranspose fans from [k, k, out, in])', () => {
    const vae = Vae.create(GLOROT, 3);
    const all = new Map([...weights(vae.encoder), ...weights(vae.decoder)]);
    for (const [name, v] of all) if (name.endsWith('/bias')) expect(v.every((x) => x === 0), name).toBe(true);
    const k = all.get('deconv1/kernel')!; // 128 -> 64 channels, k = 4: limit √(6 / (16·64 + 16·128))
    const limit = Math.sqrt(6 / (16 * 64 + 16 * 128));
    const max = k.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    expect(max).toBeLessThanOrEqual(limit);
    expect(max).toBeGreaterThan(0.99 * limit);
    vae.dispose();
  });

  it("a config without init (a run made before the option) builds exactly the glorot weights; pytorch differs; same seed, same weights", () => {
    for (const base of [SEED000_CONV, MLP_400_20]) {
      const { init: _, ...legacy } = base as ModelConfig & { init?: string };
      const a = Vae.create(legacy as ModelConfig, 5);
      const b = Vae.create({ ...base, init: 'glorot' }, 5);
      const c = Vae.create({ ...base, init: 'pytorch' }, 5);
      const d = Vae.create({ ...base, init: 'pytorch' }, 5);
      const [wa, wb, wc, wd] = [a, b, c, d].map((v) => new Map([...weights(v.encoder), ...weights(v.decoder)]));
      for (const [name, v] of wa) {
        expect(same(wb.get(name), v), name).toBe(true);
        expect(same(wd.get(name), wc.get(name)), name).toBe(true);
        expect(same(wc.get(name), v), name).toBe(false);
      }
      [a, b, c, d].forEach((v) => v.dispose());
    }
  });

  it('MLP pytorch init: enc1 U(±1/√784), out U(±1/√400)', () => {
    const vae = Vae.create({ ...MLP_400_20, init: 'pytorch' }, 1);
    const all = new Map([...weights(vae.encoder), ...weights(vae.decoder)]);
    for (const [name, fin] of [['enc1/kernel', 784], ['enc1/bias', 784], ['out/kernel', 400], ['out/bias', 400], ['dec1/kernel', 20]] as const) {
      const max = all.get(name)!.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      expect(max, name).toBeLessThanOrEqual(1 / Math.sqrt(fin));
      expect(max, name).toBeGreaterThan(0.95 / Math.sqrt(fin));
    }
    vae.dispose();
  });

  it('a pytorch-initialised model saves and loads in the tfjs layers format (browser-loadable initialiser config)', async () => {
    const vae = Vae.create({ ...MLP_400_20, hidden: [16], latent: 2, init: 'pytorch' }, 1);
    let saved: tf.io.ModelArtifacts | undefined;
    await vae.decoder.save(tf.io.withSaveHandler(async (art) => {
      saved = art;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect(Array.from(loaded.getWeights()[0].dataSync())).toEqual(Array.from(vae.decoder.getWeights()[0].dataSync()));
    loaded.dispose();
    vae.dispose();
  });

  it('config validation and parsing name a bad init', () => {
    expect(() => validateModelConfig({ ...SEED000_CONV, init: 'kaiming' })).toThrow(/init must be 'glorot' or 'pytorch'/);
    expect(parseInit('pytorch')).toBe('pytorch');
    expect(() => parseInit('he')).toThrow(/init must be one of glorot, pytorch/);
  });
});
