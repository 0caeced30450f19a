/**
 * Backend selection: the only place that says which tfjs backend runs the tensors.
 * A failed `tf.setBackend('wasm')` leaves tfjs silently on `cpu`, which trains conv models about
 * 400x slower, so `useBackend` checks the backend really in use and throws if it is not the one
 * asked for. No Node modules here: the browser uses this file as is.
 *
 * 'native' is the wasm backend plus our native engine (native/src/, an N-API addon built at
 * install when OpenBLAS is there): the trainer chooses it per run when it supports the run, and
 * says so (src/train/engine.ts). Where the addon is missing, `useBackend('native')` returns wasm
 * and `nativeUnavailable()` says why.
 */
import * as tf from './tfjs.js';
import { UserError } from '../errors.js';
import { setNativeWanted } from './native/state.js';

/** A backend `useBackend` accepts: `'native'` (wasm plus our C training step), `'wasm'` or `'cpu'`. */
export type BackendName = 'native' | 'wasm' | 'cpu';

export const BACKENDS: readonly BackendName[] = ['native', 'wasm', 'cpu'];

let nativeMissing = '';

/** Why the last `useBackend('native')` fell back to wasm ('' if it did not). */
export function nativeUnavailable(): string {
  return nativeMissing;
}

/** Parses a backend name given by a user (CLI option, config file). */
export function parseBackend(s: string): BackendName {
  const name = s.trim().toLowerCase();
  if ((BACKENDS as readonly string[]).includes(name)) return name as BackendName;
  throw new UserError(`unknown backend '${s}' (use native, wasm or cpu)`);
}

/**
 * Switches tfjs to `name` (registering our wasm kernels first) and returns the backend in use:
 * 'native' may come back as 'wasm' when the addon is not there (see `nativeUnavailable`).
 */
export async function useBackend(name: BackendName = 'wasm'): Promise<BackendName> {
  setNativeWanted(false);
  if (name === 'native') {
    const { loadNativeAddon } = await import('./native/addon.js');
    const { addon, reason } = loadNativeAddon();
    nativeMissing = addon ? '' : reason;
    await useBackend('wasm');
    setNativeWanted(true);
    return addon ? 'native' : 'wasm';
  }
  if (name === 'wasm') {
    const { registerWasmKernels } = await import('./kernels/register.js');
    registerWasmKernels();
  } else if (name !== 'cpu') {
    throw new UserError(`unknown backend '${String(name)}' (use native, wasm or cpu)`);
  }
  let failure = '';
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    if (!ok) failure = 'tf.setBackend returned false';
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  }
  const inUse = tf.getBackend();
  if (inUse !== name) {
    throw new Error(
      `the '${name}' backend could not start (tfjs is on '${inUse ?? 'none'}'` +
        `${failure ? `: ${failure}` : ''}); training on another backend would be silently slow, so this is an error`,
    );
  }
  return name;
}

/**
 * The tfjs backend that holds the tensors now ('wasm', 'cpu', …). Whether the native engine runs a
 * run's steps is decided per run (src/train/engine.ts) and recorded there, not here.
 */
export function backendInUse(): string {
  return tf.getBackend();
}
