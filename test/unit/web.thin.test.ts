import { describe, it, expect } from 'vitest';
import { thin } from '../../web/training/thin.js';

describe('thin (the training panel\'s minibatch curve)', () => {
  it('keeps short series as they are', () => {
    const pts: [number, number][] = [[0, 5], [0.5, 4], [1, 3.5]];
    expect(thin(pts, 3)).toEqual(pts);
  });

  it('replaces runs of k consecutive points by their means, k = ceil(n / max)', () => {
    const pts = Array.from({ length: 3001 }, (_, i) => [i / 100, i * i] as [number, number]);
    const out = thin(pts, 1500); // k = 3
    expect(out).toHaveLength(1001);
    // run j holds i = 3j, 3j+1, 3j+2: mean x = (3j+1)/100, mean of i² = ((3j)² + (3j+1)² + (3j+2)²) / 3
    for (const j of [0, 1, 500, 999]) {
      expect(out[j][0]).toBeCloseTo((3 * j + 1) / 100, 12);
      expect(out[j][1]).toBeCloseTo((27 * j * j + 18 * j + 5) / 3, 6);
    }
    expect(out[1000]).toEqual([30, 3000 * 3000]); // the last run holds one point
  });
});
