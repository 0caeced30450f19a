import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '../../src/engine/tfjs.js';
import { Vae } from '../../src/models/vae.js';
import { SEED000_CONV, MLP_400_20, PRESETS, validateModelConfig } from '../../src/models/config.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('models', () => {
  it('seed-000 conv VAE has the parameter counts of the PyTorch model', () => {
    const vae = Vae.create(SEED000_CONV, 1);
    // PyTorch: conv 896 + 18,496 + 73,856, fc_mu/fc_logvar 4,098 each; decoder 6,144 + 131,136 + 32,800 + 1,539
    expect(vae.paramCounts()).toEqual({ encoder: 101_444, decoder: 171_619 });
    vae.dispose();
  });

  it('conv VAE maps shapes: x [B,32,32,3] -> mu, logvar [B,2] -> decoder [B,32,32,3] in (0,1)', () => {
    const vae = Vae.create(SEED000_CONV, 1);
    tf.tidy(() => {
      const x = tf.randomUniform([5, 32, 32, 3]) as tf.Tensor4D;
      const { mu, logvar } = vae.encode(x);
      expect(mu.shape).toEqual([5, 2]);
      expect(logvar.shape).toEqual([5, 2]);
      const out = vae.decode(mu);
      expect(out.shape).toEqual([5, 32, 32, 3]);
      const v = out.dataSync();
      expect(Math.min(...v)).toBeGreaterThan(0);
      expect(Math.max(...v)).toBeLessThan(1);
    });
    vae.dispose();
  });

  it('generalises to other sizes, channels and latent sizes', () => {
    const vae = Vae.create({ ...SEED000_CONV, height: 28, width: 28, channels: 1, latent: 5, filters: [8, 16], likelihood: { kind: 'bernoulli' } }, 2);
    tf.tidy(() => {
      const { mu } = vae.encode(tf.zeros([2, 28, 28, 1]) as tf.Tensor4D);
      expect(mu.shape).toEqual([2, 5]);
      expect(vae.decode(mu).shape).toEqual([2, 28, 28, 1]);
    });
    vae.dispose();
  });

  it('MLP presets build with the configured hidden sizes', () => {
    const vae = Vae.create(MLP_400_20, 3);
    // 784*400+400 + 2*(400*20+20) ; decoder 20*400+400 + 400*784+784
    expect(vae.paramCounts()).toEqual({ encoder: 784 * 400 + 400 + 2 * (400 * 20 + 20), decoder: 20 * 400 + 400 + 400 * 784 + 784 });
    vae.dispose();
    const leaky = Vae.create(PRESETS['mlp-leaky'], 3);
    expect(leaky.encoder.layers.some((l) => l.getClassName() === 'LeakyReLU')).toBe(true);
    leaky.dispose();
  });

  it('same seed gives the same weights, another seed different ones', () => {
    const a = Vae.create(SEED000_CONV, 7);
    const b = Vae.create(SEED000_CONV, 7);
    const c = Vae.create(SEED000_CONV, 8);
    const wa = a.encoder.getWeights()[0].dataSync();
    expect(Array.from(b.encoder.getWeights()[0].dataSync())).toEqual(Array.from(wa));
    expect(Array.from(c.encoder.getWeights()[0].dataSync())).not.toEqual(Array.from(wa));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('rejects bad configs with a message naming the field', () => {
    expect(() => validateModelConfig({ ...SEED000_CONV, latent: 0 })).toThrow(/latent must be a positive integer/);
    expect(() => validateModelConfig({ ...SEED000_CONV, height: 30 })).toThrow(/divisible by 2\^3/);
    expect(() => validateModelConfig({ ...MLP_400_20, activation: 'gelu' })).toThrow(/activation/);
    expect(() => validateModelConfig({ ...MLP_400_20, likelihood: { kind: 'poisson' } })).toThrow(/likelihood/);
    expect(validateModelConfig(SEED000_CONV)).toBe(SEED000_CONV);
  });
});
