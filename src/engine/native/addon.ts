/**
 * Finds and loads our N-API addon (native/src/*.c, built by `npm ci` through
 * native/build.mjs when OpenBLAS and a C toolchain are there). Browser-safe: no static Node
 * imports; in a browser, or when the addon is not built, `loadNativeAddon()` says why and returns
 * no addon. `VAE_NATIVE=0` in the environment turns it off (the wasm path is used).
 */

/** The addon's functions (see native/src/napi.c for the exact contracts). */
export interface NativeAddon {
  createNet(spec: Int32Array, maxBatch: number, maxK: number): { net: object; paramSizes: number[]; rowsCap: number };
  step(
    net: object, params: Float32Array[], x: Float32Array, xEnc: Float32Array, eps: Float32Array, batch: number,
    hyper: Float64Array, stats: Float64Array, out: Float32Array[],
    m?: Float32Array[], v?: Float32Array[], mOut?: Float32Array[], vOut?: Float32Array[],
  ): void;
  forward(
    net: object, params: Float32Array[], x: Float32Array, xEnc: Float32Array, eps: Float32Array, batch: number,
    hyper: Float64Array, stats: Float64Array, result?: Float64Array | Float32Array,
  ): void;
  info(): { threads: number; blas: string };
}

export interface NativeLoad {
  addon: NativeAddon | null;
  /** Why there is no addon (empty when there is one). */
  reason: string;
  /** The file loaded, if any. */
  file?: string;
}

interface NodeProcessLike {
  versions?: { node?: string };
  env?: Record<string, string | undefined>;
  getBuiltinModule?: (id: string) => unknown;
}

let cached: NativeLoad | undefined;

/** Relative to the package root. */
export const ADDON_PATH = ['native', 'build', 'Release', 'vae_native.node'];

/** Loads the addon once per process; later calls return the same answer. */
export function loadNativeAddon(): NativeLoad {
  cached ??= tryLoad();
  return cached;
}

function tryLoad(): NativeLoad {
  const proc = (globalThis as { process?: NodeProcessLike }).process;
  if (!proc?.versions?.node) return { addon: null, reason: 'not running in Node' };
  if (proc.env?.VAE_NATIVE === '0') return { addon: null, reason: 'turned off by VAE_NATIVE=0' };
  if (typeof proc.getBuiltinModule !== 'function') {
    return { addon: null, reason: `Node ${proc.versions.node} lacks process.getBuiltinModule (Node >= 20.16 needed)` };
  }
  const mod = proc.getBuiltinModule('node:module') as { createRequire(from: string): (id: string) => unknown };
  const fs = proc.getBuiltinModule('node:fs') as { existsSync(p: string): boolean };
  const path = proc.getBuiltinModule('node:path') as { dirname(p: string): string; join(...p: string[]): string };
  const url = proc.getBuiltinModule('node:url') as { fileURLToPath(u: string): string };
  // src/engine/native/ (tests, tsx) or dist/src/engine/native/ (built): walk up to the package root
  let dir = path.dirname(url.fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = path.join(dir, ...ADDON_PATH);
    if (fs.existsSync(file)) {
      try {
        const addon = mod.createRequire(import.meta.url)(file) as NativeAddon;
        if (typeof addon.createNet !== 'function' || typeof addon.step !== 'function' || typeof addon.forward !== 'function') {
          return { addon: null, reason: `${file} is not our addon (rebuild it: npm run build:native)` };
        }
        return { addon, reason: '', file };
      } catch (e) {
        return { addon: null, reason: `${file} did not load (${(e as Error).message.split('\n')[0]}); rebuild it: npm run build:native` };
      }
    }
    dir = path.dirname(dir);
  }
  return {
    addon: null,
    reason: 'the native addon is not built (it needs OpenBLAS and a C compiler: apt-get install libopenblas-dev, then npm run build:native)',
  };
}
