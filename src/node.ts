/**
 * vae-ts for Node (`import … from 'vae-ts/node'`): everything that touches files — run folders
 * (train into one, load one), datasets on disk (MNIST, Fashion-MNIST, folders of images with class
 * sub-folders, CSV tables), images (read with sharp, written as PNG), and the native training step. The browser-safe rest of the library is `vae-ts`.
 *
 * @example
 * import { loadRunModel } from 'vae-ts/node';
 * import { useBackend, sampleImages } from 'vae-ts';
 * await useBackend('native'); // our C training step where it is built, else WebAssembly
 * const { run, vae } = await loadRunModel('runs/faces');
 *
 * @packageDocumentation
 */
import './engine/quiet.js';

// run folders
export { trainRun, type TrainRunArgs } from './train/trainRun.js';
export { loadRunModel, readRun } from './train/run.js';

// datasets on disk
export { loadDataset, DATASET_NAMES } from './data/load.js';
export { loadMnist, loadFashionMnist, type MnistOptions } from './data/mnist.js';
export { loadImageFolder, type ImageFolderOptions } from './data/folder.js';
export { loadCsv, type CsvOptions, type CsvDataset, type FeatureTransform } from './data/csv.js';

// images
export { readImageFile, decodeImage, IMAGE_EXTENSIONS, type ImageReadOptions, type Fit } from './data/image.js';
export { encodePng, writePngAtomic } from './data/png.js';

// the native engine (the C training step); `useBackend('native')` turns it on
export { loadNativeAddon, type NativeLoad } from './engine/native/addon.js';
export { nativeUnavailable } from './engine/backend.js';
