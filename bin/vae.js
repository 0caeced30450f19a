#!/usr/bin/env node
// Entry point of the `vae` command: runs the compiled CLI (built by `npm ci` through `prepare`).
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('vae: the CLI is not built; run `npm run build` (npm ci does it) first');
    process.exit(2);
  }
  throw err;
});
