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
  /** src/math/rng.ts's normals from a generator state (spare NaN: none); updates state and spare. */
  normals(state: Uint32Array, spare: Float64Array, out: Float32Array): void;
  /** Threads of our pool, OpenBLAS's version and the kernel set ("core") it runs. */
  info(): { threads: number; blas: string; core: string };
}

/** What `loadNativeAddon` found: the addon, or why there is none. */
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

interface FsLike {
  readFileSync(p: string, enc: 'utf8'): string;
}

/**
 * OpenBLAS picks its kernels from the CPU model number; in virtual machines that hide it (model
 * name "Intel(R) Xeon(R) Processor") it falls back to its generic SSE3 kernels ("Prescott"),
 * measured 6x slower than its AVX-512 ones on such a Xeon. On Intel CPUs we name the kernel set
 * from the CPU's feature flags instead (OPENBLAS_CORETYPE, read when the library loads), unless
 * the user set it. Other vendors are left to OpenBLAS's own choice.
 */
function chooseBlasKernels(proc: NodeProcessLike, fs: FsLike): void {
  const env = proc.env;
  if (!env || env.OPENBLAS_CORETYPE) return;
  let cpuinfo = '';
  try {
    cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return;
  }
  if (!/^vendor_id\s*:\s*GenuineIntel/m.test(cpuinfo)) return;
  const flags = new Set((/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1] ?? '').trim().split(/\s+/));
  const has = (...f: string[]): boolean => f.every((x) => flags.has(x));
  if (has('avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx512cd')) env.OPENBLAS_CORETYPE = 'SkylakeX';
  else if (has('avx2', 'fma')) env.OPENBLAS_CORETYPE = 'Haswell';
}

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
  chooseBlasKernels(proc, fs as unknown as FsLike);
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
