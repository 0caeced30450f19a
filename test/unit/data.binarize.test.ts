import { describe, expect, it } from 'vitest';
import { binarize, parseBinarizeMode } from '../../src/data/binarize.js';
import { DataError } from '../../src/data/dataset.js';
import { Rng } from '../../src/math/rng.js';

describe('binarize', () => {
  const x = new Float32Array([0, 0.2, 0.5, 0.51, 0.9, 1]);

  it('none returns an equal copy', () => {
    const y = binarize(x, 'none');
    expect(y).not.toBe(x);
    expect(Array.from(y)).toEqual(Array.from(x));
  });

  it('threshold compares with > threshold', () => {
    expect(Array.from(binarize(x, 'threshold'))).toEqual([0, 0, 0, 1, 1, 1]);
    expect(Array.from(binarize(x, 'threshold', { threshold: 0.1 }))).toEqual([0, 1, 1, 1, 1, 1]);
  });

  it('static samples Bernoulli(v) once, reproducibly from the seed', () => {
    const n = 100000;
    const p = new Float32Array(n).fill(0.3);
    const a = binarize(p, 'static', { rng: new Rng(1) });
    const b = binarize(p, 'static', { rng: new Rng(1) });
    expect(Array.from(a)).toEqual(Array.from(b));
    let ones = 0, other = 0;
    for (const v of a) {
      if (v === 1) ones++;
      else if (v !== 0) other++;
    }
    expect(other).toBe(0);
    expect(ones / n).toBeGreaterThan(0.29);
    expect(ones / n).toBeLessThan(0.31);
    // Pixels at 0 and 1 are certain.
    const ends = binarize(new Float32Array([0, 1, 0, 1]), 'static', { rng: new Rng(5) });
    expect(Array.from(ends)).toEqual([0, 1, 0, 1]);
  });

  it('dynamic gives fresh samples for each epoch rng', () => {
    const p = new Float32Array(1000).fill(0.5);
    const e1 = binarize(p, 'dynamic', { rng: new Rng(10) });
    const e2 = binarize(p, 'dynamic', { rng: new Rng(11) });
    expect(Array.from(e1)).not.toEqual(Array.from(e2));
    expect(Array.from(binarize(p, 'dynamic', { rng: new Rng(10) }))).toEqual(Array.from(e1));
  });

  it('sampling modes need an rng', () => {
    expect(() => binarize(x, 'static')).toThrow(/needs an rng/);
  });
});

describe('parseBinarizeMode', () => {
  it('accepts the four modes and rejects anything else with DataError', () => {
    for (const m of ['none', 'threshold', 'static', 'dynamic']) expect(parseBinarizeMode(m)).toBe(m);
    expect(() => parseBinarizeMode('bernoulli')).toThrow(DataError);
    expect(() => parseBinarizeMode('Static')).toThrow("unknown binarisation mode 'Static': expected one of none, threshold, static, dynamic");
  });
});
