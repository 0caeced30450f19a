/**
 * Whether the native path is switched on (by `useBackend('native')`): tfjs runs on wasm and the
 * trainer hands its steps to our C training step where the model fits. Kept apart from backend.ts
 * so the fused step and the backend selection do not import each other.
 */
let active = false;

export function setNativeActive(on: boolean): void {
  active = on;
}

export function nativeActive(): boolean {
  return active;
}
