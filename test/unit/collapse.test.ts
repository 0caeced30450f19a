import { describe, it, expect } from 'vitest';
import { COLLAPSED_KL, COLLAPSE_MIN_STEPS, collapseAdvice, collapseWarning, isCollapsed } from '../../src/train/collapse.js';
import { MLP_400_20 } from '../../src/models/config.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/trainer.js';

describe('isCollapsed', () => {
  it('a small KL after enough steps, not before (a fresh encoder starts near KL 0)', () => {
    expect(isCollapsed(0.01, COLLAPSE_MIN_STEPS)).toBe(true);
    expect(isCollapsed(0.01, COLLAPSE_MIN_STEPS - 1)).toBe(false);
    expect(isCollapsed(COLLAPSED_KL, 10 * COLLAPSE_MIN_STEPS)).toBe(false);
    expect(isCollapsed(COLLAPSED_KL * 0.99, 10 * COLLAPSE_MIN_STEPS)).toBe(true);
  });
});

describe('collapseAdvice', () => {
  it('names only the settings this run can change', () => {
    expect(collapseAdvice(MLP_400_20, DEFAULT_TRAIN_OPTIONS)).toBe('try a KL warm-up, e.g. --warmup 10 or --free-bits 0.5');
    expect(collapseAdvice(MLP_400_20, { ...DEFAULT_TRAIN_OPTIONS, beta: 4, warmup: 20, freeBits: 0.2 })).toBe('try a smaller --beta than 4 or a longer --warmup than 20 epochs (e.g. 40)');
    // the VampPrior: no free bits (refused with a non-standard prior), the paper's 100-epoch warm-up
    const vamp = { ...MLP_400_20, prior: { kind: 'vamp', components: 500 } } as const;
    expect(collapseAdvice(vamp, { ...DEFAULT_TRAIN_OPTIONS, warmup: 10 })).toBe('try a longer --warmup than 10 epochs (e.g. 100)');
  });
});

describe('collapseWarning', () => {
  it('one message for the CLI and the page, only for a collapsed epoch', () => {
    expect(collapseWarning(3, 0.5, 10 * COLLAPSE_MIN_STEPS, MLP_400_20, DEFAULT_TRAIN_OPTIONS)).toBeNull();
    expect(collapseWarning(1, 0.001, COLLAPSE_MIN_STEPS - 1, MLP_400_20, DEFAULT_TRAIN_OPTIONS)).toBeNull();
    expect(collapseWarning(4, 0.0123, COLLAPSE_MIN_STEPS, MLP_400_20, DEFAULT_TRAIN_OPTIONS)).toBe(
      'epoch 4: KL 0.012 nats per image: the latent code carries almost no information about the input (posterior collapse); ' +
        'try a KL warm-up, e.g. --warmup 10 or --free-bits 0.5',
    );
  });
});
