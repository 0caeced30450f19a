/**
 * Builds the browser example (examples/browser) into examples/browser/dist. `vae-ts` is this
 * package: in a project that installed it, Vite finds it in node_modules; here it is the built
 * entry point, dist/src/index.js (what package.json's `exports` names; run `npm run build` first).
 */
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: { alias: { 'vae-ts': fileURLToPath(new URL('../../dist/src/index.js', import.meta.url)) } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
  logLevel: 'warn',
});
