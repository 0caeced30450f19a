/**
 * Whether the native engine was asked for (by `useBackend('native')`, the CLI's default): then
 * tfjs runs on wasm and each run chooses the native engine where it supports the run, saying why
 * not otherwise (src/train/engine.ts), also when the addon is missing. Kept apart from backend.ts
 * so the engine code and the backend selection do not import each other.
 */
let wanted = false;

export function setNativeWanted(on: boolean): void {
  wanted = on;
}

export function nativeWanted(): boolean {
  return wanted;
}
