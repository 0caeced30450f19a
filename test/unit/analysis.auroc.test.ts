import { describe, expect, it } from 'vitest';
import { auroc } from '../../src/analysis/auroc.js';
import { Rng } from '../../src/math/rng.js';

/** P(s+ > s-) + ½ P(s+ = s-) by counting every positive/negative pair. */
function bruteForce(scores: number[], positive: boolean[]): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!positive[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (positive[j]) continue;
      pairs++;
      sum += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return sum / pairs;
}

describe('auroc', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one, ½ for all ties', () => {
    expect(auroc([0.1, 0.2, 0.8, 0.9], [false, false, true, true])).toBe(1);
    expect(auroc([0.9, 0.8, 0.2, 0.1], [false, false, true, true])).toBe(0);
    expect(auroc([3, 3, 3, 3, 3], [true, false, true, false, false])).toBe(0.5);
  });

  it('counts ties half: a hand-computed case', () => {
    // positives 2, 3; negatives 1, 2, 4: pairs (2>1)=1, (2=2)=½, (2<4)=0, (3>1)=1, (3>2)=1, (3<4)=0 → 3.5/6
    expect(auroc([2, 3, 1, 2, 4], [true, true, false, false, false])).toBeCloseTo(3.5 / 6, 12);
  });

  it('matches the brute-force pairwise count on random scores with many ties', () => {
    const rng = new Rng(9);
    for (let trial = 0; trial < 20; trial++) {
      const n = 5 + rng.int(200);
      const scores = Array.from({ length: n }, () => rng.int(trial % 2 ? 6 : 1000) / 7);
      const positive = Array.from({ length: n }, (_, i) => i === 0 || (i !== 1 && rng.uniform() < 0.3));
      expect(auroc(scores, positive)).toBeCloseTo(bruteForce(scores, positive), 12);
    }
  });

  it('rejects a single class, NaN scores and length mismatches', () => {
    expect(() => auroc([1, 2], [true, true])).toThrow(/positives and negatives/);
    expect(() => auroc([1, NaN], [true, false])).toThrow(/NaN/);
    expect(() => auroc([1, 2, 3], [true, false])).toThrow(/3 scores/);
  });
});
