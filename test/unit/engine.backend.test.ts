import { describe, it, expect } from 'vitest';
import * as tf from '../../src/engine/tfjs.js';
import { useBackend, backendInUse, parseBackend } from '../../src/engine/index.js';
import { UserError } from '../../src/errors.js';

describe('parseBackend', () => {
  it('accepts native, wasm and cpu (any case, surrounding blanks)', () => {
    expect(parseBackend('native')).toBe('native');
    expect(parseBackend('wasm')).toBe('wasm');
    expect(parseBackend(' CPU ')).toBe('cpu');
  });

  it('rejects anything else with a UserError naming the choices', () => {
    for (const bad of ['webgl', '', 'tensorflow', 'wasm2']) {
      expect(() => parseBackend(bad)).toThrow(UserError);
      expect(() => parseBackend(bad)).toThrow(`unknown backend '${bad}' (use native, wasm or cpu)`);
    }
  });
});

describe('useBackend', () => {
  it('defaults to wasm and can switch wasm -> cpu -> wasm in one process', async () => {
    expect(await useBackend()).toBe('wasm');
    expect(backendInUse()).toBe('wasm');
    expect(await useBackend('cpu')).toBe('cpu');
    expect(backendInUse()).toBe('cpu');
    expect(await useBackend('wasm')).toBe('wasm');
    expect(backendInUse()).toBe('wasm');
    // our kernels are there after every switch: a conv gradient runs on wasm
    const g = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same')));
    const [dx, dw] = g([tf.ones([1, 6, 6, 2]), tf.ones([3, 3, 2, 4])]);
    expect(dx.shape).toEqual([1, 6, 6, 2]);
    expect(dw.shape).toEqual([3, 3, 2, 4]);
    tf.dispose([dx, dw]);
  });

  it('throws (no silent fallback) when the wasm backend cannot start, and recovers after', async () => {
    await useBackend('cpu');
    const engine = tf.engine() as unknown as {
      registryFactory: Record<string, { factory: () => tf.KernelBackend | Promise<tf.KernelBackend>; priority: number }>;
    };
    const real = engine.registryFactory['wasm'];
    expect(real).toBeDefined();
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', async () => {
      throw new Error('no wasm here');
    });
    const warn = console.warn;
    console.warn = () => {}; // tfjs logs the failed initialisation itself
    try {
      await expect(useBackend('wasm')).rejects.toThrow(/the 'wasm' backend could not start.*silently slow/);
      expect(backendInUse()).toBe('cpu');
    } finally {
      console.warn = warn;
      tf.removeBackend('wasm');
      tf.registerBackend('wasm', real.factory, real.priority);
    }
    expect(await useBackend('wasm')).toBe('wasm');
    const y = tf.conv2dTranspose(tf.ones([1, 2, 2, 3]) as tf.Tensor4D, tf.ones([4, 4, 5, 3]) as tf.Tensor4D, [1, 4, 4, 5], 2, 'same');
    expect(y.shape).toEqual([1, 4, 4, 5]);
    y.dispose();
  });
});
