/**
 * The one place that silences TensorFlow.js's console advice in Node. Its cpu backend prints
 * "Hi, looks like you are running TensorFlow.js in Node.js… install tfjs-node" on first use, which
 * is misleading here: tfjs-node cannot be installed offline and we bring our own engines (wasm with
 * our kernels, and the native training step). Setting tfjs's `PROD` flag turns off its `warn`/`log`
 * output (and nothing else in tfjs 4.22). In a browser nothing changes, so a page keeps tfjs's
 * warnings. Imported for its effect by the entry points (`vae-ts`, `vae-ts/node`, the CLI) and
 * by the test setup; browser-safe.
 */
import * as tf from './tfjs.js';

if (tf.env().getBool('IS_NODE')) tf.env().set('PROD', true);
