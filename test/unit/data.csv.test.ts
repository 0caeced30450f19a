import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCsv } from '../../src/data/csv.js';
import { DataError } from '../../src/data/dataset.js';
import { loadDataset } from '../../src/data/load.js';

const root = mkdtempSync(join(tmpdir(), 'vae-csv-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const file = (text: string): string => {
  const p = join(root, `f${n++}.csv`);
  writeFileSync(p, text);
  return p;
};

describe('loadCsv', () => {
  const text = [
    'id,x,y,name,kind',
    '0,1,10,ann,b',
    '1,2,20,bob,a',
    '2,3,,cy,a', // missing y: dropped
    '3,4,40,dee,NA', // missing label: dropped
    '4,5,50,"e, f",c',
    '5,6,60,gus,a',
  ].join('\n');

  it('uses numeric columns as features, standardised with the training rows; text columns ignored; rows with missing values dropped', () => {
    const d = loadCsv(file(text), { labelColumn: 'kind', ignoreColumns: ['id'], validationFraction: 0 });
    expect([d.height, d.width, d.channels]).toEqual([1, 2, 1]);
    expect(d.features.columns).toEqual(['x', 'y']);
    expect(d.train.count).toBe(4);
    expect(d.train.rows).toEqual([0, 1, 4, 5]);
    // independent computation: x = 1,2,5,6 → mean 3.5, population std sqrt(((2.5²+1.5²)·2)/4) = sqrt(4.25)
    const sx = Math.sqrt(4.25);
    expect(d.features.mean[0]).toBeCloseTo(3.5, 12);
    expect(d.features.std[0]).toBeCloseTo(sx, 12);
    expect(d.features.mean[1]).toBeCloseTo(35, 12);
    expect(d.features.std[1]).toBeCloseTo(10 * sx, 12);
    expect(Array.from(d.train.images)).toEqual([1, 10, 2, 20, 5, 50, 6, 60].map((v, i) => Math.fround(i % 2 ? (v - 35) / (10 * sx) : (v - 3.5) / sx)));
    // classes in code-point order
    expect(d.classNames).toEqual(['a', 'b', 'c']);
    expect(Array.from(d.train.labels!)).toEqual([1, 0, 2, 0]);
    expect(d.summary).toContain('4 rows × 2 numeric features');
    expect(d.summary).toContain('ignored columns: id, name');
    expect(d.summary).toContain('dropped 2 rows with missing values');
  });

  it('sorts numeric class values numerically and keeps a run\'s classes and transform on new data', () => {
    const d = loadCsv(file('v,k\n1,10\n2,9\n3,10\n4,100\n'), { labelColumn: 'k', validationFraction: 0 });
    expect(d.classNames).toEqual(['9', '10', '100']);
    const again = loadCsv(file('k,v,extra\n7,10,x\n9,20,y\n'), { labelColumn: 'k', transform: d.features, classNames: d.classNames, validationFraction: 0 });
    expect(again.classNames).toEqual(['9', '10', '100', '7']);
    expect(Array.from(again.train.labels!)).toEqual([3, 0]);
    expect(again.features).toBe(d.features);
    expect(again.train.images[0]).toBeCloseTo((10 - 2.5) / Math.sqrt(1.25), 6);
    // the label column is optional on new data
    expect(loadCsv(file('v\n1\n'), { labelColumn: 'k', transform: d.features, validationFraction: 0 }).train.labels).toBeUndefined();
  });

  it('splits with the seed; the split and the stored transform reproduce through loadDataset', async () => {
    const rows = ['a,b', ...Array.from({ length: 50 }, (_, i) => `${i},${(i * 7) % 13}`)].join('\n');
    const p = file(rows);
    const d = loadCsv(p, { seed: 4, validationFraction: 0.2 });
    expect(d.validation.count).toBe(10);
    expect([...d.train.rows!, ...d.validation.rows!].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const viaSpec = await loadDataset({ name: 'csv', path: p, seed: 4, validation: 0.2, features: d.features });
    expect(Array.from(viaSpec.validation.images)).toEqual(Array.from(d.validation.images));
    expect(loadCsv(p, { seed: 5, validationFraction: 0.2 }).validation.rows).not.toEqual(d.validation.rows);
  });

  it('gives one-line errors naming the row and column, or the problem', () => {
    const bad = file('x,y\n1,2\n3,abc\n');
    expect(() => loadCsv(bad)).toThrow(DataError);
    expect(() => loadCsv(bad)).toThrow(`${bad}: row 1 (line 3), column 'y': 'abc' is not a number`);
    expect(() => loadCsv(file('x,y\n1,2\n3,1e999\n'))).toThrow(/row 1 \(line 3\), column 'y': '1e999' is not a finite number/);
    expect(() => loadCsv(file('x,y\n1,2\n3\n'))).toThrow(/not a valid CSV file/);
    expect(() => loadCsv(file('x,x\n1,2\n'))).toThrow(/names column 'x' twice/);
    expect(() => loadCsv(file(''))).toThrow(/empty CSV file/);
    expect(() => loadCsv(file('x,y\n'))).toThrow(/no data rows/);
    expect(() => loadCsv(file('name\nann\n'))).toThrow(/no numeric columns/);
    expect(() => loadCsv(file('x\n1\n'), { labelColumn: 'nope' })).toThrow(/no column 'nope' for --label-column \(columns: x\)/);
    expect(() => loadCsv(file('x\n1\n'), { transform: { columns: ['q'], mean: [0], std: [1] } })).toThrow(/no column 'q' \(the run was trained on q\)/);
    expect(() => loadCsv(join(root, 'missing.csv'))).toThrow(/missing\.csv: file not found/);
    for (const e of [() => loadCsv(bad), () => loadCsv(file('x,y\n1,2\n3\n'))]) {
      try {
        e();
      } catch (err) {
        expect((err as Error).message).not.toContain('\n');
      }
    }
  });
});
