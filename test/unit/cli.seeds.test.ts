import { describe, it, expect } from 'vitest';
import { parseSeeds, seedDir } from '../../src/cli/seeds.js';

describe('--seeds', () => {
  it('reads a count as the seeds 0..N-1 and a list as itself', () => {
    expect(parseSeeds('9')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseSeeds('1')).toEqual([0]);
    expect(parseSeeds('3,5,8')).toEqual([3, 5, 8]);
    expect(parseSeeds(' 0, 12 ')).toEqual([0, 12]);
  });

  it('rejects anything else with a message naming the option', () => {
    for (const bad of ['0', '-1', 'x', '3,', '3,,5', '1.5', '3,3', '2000', '']) expect(() => parseSeeds(bad), bad).toThrow(/--seeds/);
  });

  it('names each run OUT-s<seed>', () => {
    expect(seedDir('runs/faces', 4)).toBe('runs/faces-s4');
  });
});
