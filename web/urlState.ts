/**
 * The page's shareable state in the address (as TensorFlow Playground keeps its settings there):
 * the active run (`run`), each widget's dot (`face=size,hue`, `map=size,hue`, `z=z1,z2`), the
 * evolution epoch (`epoch`), the sampling draw (`draw`, seed 1000 + draw) and the interpolation
 * endpoints (`ab=A,B`). Widgets read their start values here and write changes back; the address
 * is updated with `history.replaceState` (no new history entry per drag), at most once a frame.
 */

const params = new URLSearchParams(typeof location === 'undefined' ? '' : location.search);
let pending = false;

function flush(): void {
  pending = false;
  const url = new URL(location.href);
  url.search = params.toString();
  history.replaceState(null, '', url);
}

/** The raw value of a key, or null. */
export function getParam(key: string): string | null {
  return params.get(key);
}

/** Sets (or with null removes) a key; the address follows on the next frame. */
export function setParam(key: string, value: string | null): void {
  if (value === null) params.delete(key);
  else params.set(key, value);
  if (pending || typeof history === 'undefined') return;
  pending = true;
  requestAnimationFrame(flush);
}

/** `n` finite numbers from a comma-separated key, or null when absent or malformed. */
export function getNumbers(key: string, n: number): number[] | null {
  const raw = params.get(key);
  if (raw === null) return null;
  const xs = raw.split(',').map(Number);
  return xs.length === n && xs.every(Number.isFinite) ? xs : null;
}

/** A non-negative integer key, or null. */
export function getIndex(key: string): number | null {
  const raw = params.get(key);
  if (raw === null || !/^\d{1,6}$/.test(raw)) return null;
  return Number(raw);
}

/** Numbers as a compact comma-separated value (3 decimals, no trailing zeros). */
export function numbersValue(xs: readonly number[]): string {
  return xs.map((v) => String(Number(v.toFixed(3)))).join(',');
}

/** Writes the pending address now (the copy-link button wants the current one). */
export function currentUrl(): string {
  if (pending) flush();
  return location.href;
}
