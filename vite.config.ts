/**
 * Vite builds the explorer (web/) into web/dist, which `vae serve` serves. In development,
 * `npx vite` serves web/ with hot reload and forwards the API, the runs and tfjs's wasm files to a
 * running `vae serve` (VAE_SERVE=http://127.0.0.1:8080 by default).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const api = process.env.VAE_SERVE ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: 'web',
  // relative asset URLs: the built folder works under any path of any static host
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    // the WebGL backend's chunk (fetched only when the page tries WebGL, web/backend.ts) named as such
    rollupOptions: {
      output: {
        chunkFileNames: (chunk) => (chunk.moduleIds.some((id) => id.includes('/@tensorflow/tfjs-backend-webgl/')) ? 'assets/tfjs-webgl-[hash].js' : 'assets/[name]-[hash].js'),
      },
    },
  },
  worker: { format: 'es' },
  resolve: {
    // the page's tfjs: core, layers and the CPU backend (web/tf.ts); WebGL on demand (web/backend.ts)
    alias: [{ find: /^@tensorflow\/tfjs$/, replacement: fileURLToPath(new URL('./web/tf.ts', import.meta.url)) }],
  },
  // onnxruntime-web finds its .wasm through import.meta.url: keep it out of the dev pre-bundling
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  server: {
    host: '127.0.0.1',
    proxy: { '/api': api, '/runs': api, '/wasm': api },
  },
});
