/**
 * Backend selection: the only place that says which tfjs backend runs the tensors.
 * A failed `tf.setBackend('wasm')` leaves tfjs silently on `cpu`, which trains conv models about
 * 400x slower, so `useBackend` checks the backend really in use and throws if it is not the one
 * asked for. No Node modules here: the browser uses this file as is.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.js';

export type BackendName = 'wasm' | 'cpu';

export const BACKENDS: readonly BackendName[] = ['wasm', 'cpu'];

/** Parses a backend name given by a user (CLI option, config file). */
export function parseBackend(s: string): BackendName {
  const name = s.trim().toLowerCase();
  if ((BACKENDS as readonly string[]).includes(name)) return name as BackendName;
  throw new UserError(`unknown backend '${s}' (use wasm or cpu)`);
}

/** Switches tfjs to `name` (registering our wasm kernels first) and returns the backend in use. */
export async function useBackend(name: BackendName = 'wasm'): Promise<BackendName> {
  if (name === 'wasm') {
    const { registerWasmKernels } = await import('./kernels/register.js');
    registerWasmKernels();
  } else if (name !== 'cpu') {
    throw new UserError(`unknown backend '${String(name)}' (use wasm or cpu)`);
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

/** The name of the tfjs backend in use now. */
export function backendInUse(): string {
  return tf.getBackend();
}
