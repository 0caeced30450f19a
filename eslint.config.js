import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'examples/browser/dist/**', 'docs/api/**', 'node_modules/**', 'runs/**', 'web/dist/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Node code takes tfjs through src/engine/tfjs.js (and tfjsWasm.js), which `require` these
    // CommonJS bundles: an `import` makes Node 20 parse each whole bundle at every start (see there)
    files: ['src/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts', 'test/**/*.mjs'],
    ignores: ['src/engine/tfjs.d.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', 'onnx-proto']
          .map((name) => ({ name, allowTypeImports: true, message: 'import src/engine/tfjs.js (or tfjsWasm.js) instead; onnx-proto: require it (src/onnx/proto.ts)' })),
      }],
    },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
