/**
 * How to write a `vae` command so that a user can run it as printed: `npx vae …` where vae-ts is
 * installed as a dependency (its bin is in node_modules/.bin), `node bin/vae.js …` in a checkout
 * (there `npx vae` would first copy the whole checkout into npx's cache, which takes minutes; see
 * README). Used in advice the CLI prints (continue after Ctrl-C, after a divergence).
 * Imports no Node module (it reads `process` only when there is one).
 */

interface ProcessLike {
  argv?: string[];
  cwd?: () => string;
}

/** `vae <args>` in the form that runs from the current folder, e.g. `node bin/vae.js train --resume runs/x`. */
export function vaeCommand(args: string): string {
  const proc = (globalThis as { process?: ProcessLike }).process;
  const script = proc?.argv?.[1];
  if (!script || /[\\/]node_modules[\\/]/.test(script) || !/vae(\.js)?$/.test(script)) return `npx vae ${args}`;
  const cwd = proc?.cwd?.() ?? '';
  const sep = script.includes('\\') ? '\\' : '/';
  const rel = cwd && script.startsWith(cwd + sep) ? script.slice(cwd.length + 1) : script;
  return `node ${/\s/.test(rel) ? JSON.stringify(rel) : rel} ${args}`;
}
