/**
 * The package's two entry points: `vae-ts` (src/index.ts) must bundle for a browser without a
 * single Node module anywhere in its import graph (ours or a dependency's), and both entry points
 * must export what the README's examples use.
 */
import { describe, expect, it } from 'vitest';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BUILTIN = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * Bundles `entry` for the browser (esbuild, which honours each package's "browser" field, e.g.
 * tfjs-backend-wasm's `fs: false`); returns every import of a Node built-in module it could not
 * drop, with its importer.
 */
async function nodeImports(entry: string): Promise<string[]> {
  try {
    await build({ entryPoints: [path.join(ROOT, entry)], bundle: true, write: false, platform: 'browser', format: 'esm', logLevel: 'silent', absWorkingDir: ROOT });
    return [];
  } catch (e) {
    const errors = (e as { errors?: { text: string; location?: { file: string } | null }[] }).errors;
    if (!errors) throw e;
    return errors.map((err) => {
      const m = /Could not resolve "([^"]+)"/.exec(err.text);
      if (!m || !BUILTIN.has(m[1])) throw e; // any other bundling error is a failure of its own
      return `${m[1]} (imported by ${err.location?.file ?? '?'})`;
    });
  }
}

describe('library entry points', () => {
  it('vae-ts (src/index.ts) imports no Node module, directly or through any dependency', async () => {
    expect(await nodeImports('src/index.ts')).toEqual([]);
  });

  it('the check sees Node modules where they are (vae-ts/node)', async () => {
    const found = await nodeImports('src/node.ts');
    expect(found.some((f) => /^node:fs \(imported by src\//.test(f))).toBe(true);
  });

  it('export the API the README uses', async () => {
    const root = await import('../../src/index.js');
    for (const name of ['Vae', 'train', 'datasetFromArray', 'fitModelToData', 'MLP_400_20', 'SEED000_CONV', 'useBackend', 'decodeZ',
      'sampleImages', 'encodeImages', 'anomalyScores', 'rankByScore', 'loadRunFromUrl', 'generateFaces']) {
      expect(root, name).toHaveProperty(name);
    }
    const node = await import('../../src/node.js');
    for (const name of ['loadRunModel', 'trainRun', 'loadDataset', 'loadMnist', 'loadImageFolder', 'readImageFile', 'writePngAtomic', 'loadNativeAddon']) {
      expect(node, name).toHaveProperty(name);
    }
  });
});
