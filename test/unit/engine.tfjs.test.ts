/**
 * src/engine/tfjs.js, the module through which our Node code takes TensorFlow.js: it must match
 * the installed package (it is generated from it), hand out the very objects `@tensorflow/tfjs`
 * does, and keep tfjs away from Node's ES-module loader when the CLI starts.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as shim from '../../src/engine/tfjs.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);

describe('src/engine/tfjs.js', () => {
  it('is what scripts/tfjs-shim.mjs generates from the installed @tensorflow/tfjs', () => {
    const r = spawnSync(process.execPath, ['scripts/tfjs-shim.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it("exports every name of @tensorflow/tfjs, each the package's own object, and trains (gradients, chained methods)", () => {
    const full = require('@tensorflow/tfjs') as Record<string, unknown>;
    const ours = shim as unknown as Record<string, unknown>;
    expect(Object.keys(ours).sort()).toEqual(Object.keys(full).sort());
    expect(Object.keys(ours).filter((k) => ours[k] !== full[k])).toEqual([]);
    // what only the package's Node bundle registers: the gradients and x.mean()
    const w = shim.variable(shim.tensor1d([1, 2, 3]));
    const { value, grads } = shim.variableGrads(() => w.square().mean() as import('../../src/engine/tfjs.js').Scalar);
    expect(value.dataSync()[0]).toBeCloseTo(14 / 3, 5);
    expect(Array.from(grads[w.name].dataSync())).toEqual([2 / 3, 4 / 3, 2].map((g) => Math.fround(g)));
    shim.dispose([w, value, ...Object.values(grads)]);
  });

  it('the vae command starts without handing tfjs or onnx-proto to Node\'s ES-module loader', () => {
    // NODE_DEBUG=esm logs each module the ES-module loader translates; none may be one of these bundles
    const r = spawnSync(process.execPath, ['bin/vae.js', 'export', '--help'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'esm' } });
    expect(r.status).toBe(0);
    const translated = r.stderr.split('\n').filter((l) => /node_modules\/(@tensorflow|onnx-proto)\//.test(l));
    expect(translated).toEqual([]);
    expect(r.stderr).toMatch(/dist\/src\/engine\/tfjs\.js/); // the log does name what it loads
  });
});
