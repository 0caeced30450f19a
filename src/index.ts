/**
 * vae-ts: variational autoencoders in TypeScript, on TensorFlow.js.
 *
 * This entry point (`import … from 'vae-ts'`) is browser-safe: it imports no Node module, so a
 * bundler (Vite, esbuild, webpack) takes it as is. It holds the math, model configs and the `Vae`,
 * the faces generator, training on in-memory arrays, sampling / encoding / decoding, anomaly scores
 * and loading a run folder over HTTP. File IO (run folders on disk, MNIST, image folders, PNG) is in
 * `vae-ts/node`.
 *
 * @example
 * import { useBackend, datasetFromArray, fitModelToData, MLP_400_20, Vae, train } from 'vae-ts';
 * await useBackend('wasm');
 * const data = datasetFromArray(pixels, [1000, 28, 28, 1]);
 * const vae = Vae.create(fitModelToData(MLP_400_20, data), 0);
 * const history = await train(vae, data, { epochs: 5 });
 *
 * @packageDocumentation
 */
import './engine/quiet.js';

// engine: which tfjs backend runs the tensors
export { useBackend, backendInUse, type BackendName } from './engine/backend.js';
export { UserError } from './errors.js';

// models
export { Vae, type Posterior } from './models/vae.js';
export {
  PRESETS, SEED000_CONV, MLP_400_20, validateModelConfig, describeModel, fitModelToData,
  type ModelConfig, type ConvModelConfig, type MlpModelConfig, type LikelihoodConfig, type Activation, type ModelOverrides,
} from './models/config.js';

// math
export { Rng, type RngState } from './math/rng.js';
export { reparameterize } from './math/gaussian.js';
export { klAnalytic, type KlMode } from './math/kl.js';
export { logPxGivenZ, gaussianConstant, type Likelihood } from './math/likelihood.js';
export { estimateLogPx, type EstimateLogPxOptions, type LogPxEstimate } from './math/iwae.js';
export { GmmPrior, type Prior, type PriorConfig, type GmmParams, type LogDensity } from './math/prior.js';
export type { Decode } from './math/elbo.js';
export type { Corruption } from './math/corrupt.js';

// data in memory
export type { Dataset, ImageSet } from './data/dataset.js';
export { datasetFromArray, type ArrayDatasetOptions } from './data/arrays.js';
export { generateFaces, renderFace, FACES, type GenerateFacesOptions, type RenderOptions } from './data/faces.js';
export { tileImages, type TiledImage, type TileOptions } from './data/imageGrid.js';
export { binarize, type BinarizeMode, type BinarizeOptions } from './data/binarize.js';

// training
export { train, type TrainCallOptions } from './train/fit.js';
export { DEFAULT_TRAIN_OPTIONS, type TrainOptions, type StepInfo, type Terms, type EpochProgress } from './train/trainer.js';
export type { EpochRecord } from './train/history.js';

// using a trained model
export { decodeZ, sampleImages, encodeImages, reconstructImages } from './analysis/generate.js';
export { interpolate, type InterpolationMethod } from './analysis/interpolate.js';
export { anomalyScores, rankByScore, type AnomalyScores, type ScoreOptions } from './analysis/anomaly.js';
export { auroc } from './analysis/auroc.js';
export { activeUnitsOf, type ActiveUnits } from './analysis/activeUnits.js';
export { loadRunFromUrl, type LoadedRun } from './train/runUrl.js';
export type { RunJson, PartialEpoch } from './train/run.js';
export type { DatasetSpec, DatasetName } from './data/load.js';
