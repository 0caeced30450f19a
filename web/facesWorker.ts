/**
 * Generates the faces dataset off the main thread (about a second of rendering) and sends back
 * the (size, hue) parameters of the training and validation images, exactly as training drew them.
 */
import { generateFaces } from '../src/data/faces.js';

interface Request { seed: number }

self.onmessage = (e: MessageEvent<Request>) => {
  const d = generateFaces({ seed: e.data.seed });
  const train = d.train.params ?? new Float32Array(0);
  const validation = d.validation.params ?? new Float32Array(0);
  (self as unknown as Worker).postMessage({ seed: e.data.seed, train, validation }, [train.buffer, validation.buffer]);
};
