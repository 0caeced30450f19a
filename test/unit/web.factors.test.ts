/** The comparison widget's line of factor scores (runs/NAME/factors.json). */
import { describe, it, expect } from 'vitest';
import { factorLine } from '../../web/widgets/modelComparison.js';

describe('factorLine', () => {
  it('shows the validation scores when there are, with two decimals', () => {
    const f = {
      train: { r2: { size: 0.5, hue: 0.5 }, mig: 0.1, dci: { disentanglement: 0.1, completeness: 0.1, informativeness: 0.1 } },
      validation: { r2: { size: 0.9812, hue: 0.951 }, mig: 0.4249, dci: { disentanglement: 0.611, completeness: 0.5, informativeness: 0.876 } },
    };
    expect(factorLine(f)).toBe('R² size 0.98, hue 0.95 · MIG 0.42 · DCI 0.61/0.50/0.88 (validation)');
  });
  it('falls back to the training scores and leaves out what is missing', () => {
    expect(factorLine({ train: { mig: 0.2 } })).toBe('MIG 0.20 (training)');
    expect(factorLine({ train: { r2: { hue: 0.3 } } })).toBe('R² size –, hue 0.30 (training)');
  });
  it('is empty without scores or with non-numbers', () => {
    expect(factorLine(null)).toBe('');
    expect(factorLine({})).toBe('');
    expect(factorLine({ validation: { mig: Number.NaN } })).toBe('');
  });
});
