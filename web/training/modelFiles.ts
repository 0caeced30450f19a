/**
 * A tfjs layers model as in-memory files (model.json's fields and one weight buffer), through
 * tf.io.withSaveHandler: what the training worker sends to the page and a run file stores.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelFiles } from './protocol.js';

export async function modelFiles(model: tf.LayersModel): Promise<ModelFiles> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler((a) => {
    saved = a;
    return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
  }));
  const a = saved as tf.io.ModelArtifacts | null;
  if (!a?.modelTopology || !a.weightSpecs || !a.weightData) throw new Error('saving the model gave no topology or weights');
  return {
    modelTopology: a.modelTopology as object,
    weightSpecs: a.weightSpecs,
    weightData: tf.io.CompositeArrayBuffer.join(a.weightData),
    format: a.format,
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy ?? null,
  };
}
