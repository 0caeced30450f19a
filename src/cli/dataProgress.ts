/**
 * Loading a dataset with a progress bar on stderr: shown once an image folder has more than
 * PROGRESS_FROM images to decode (smaller loads take a moment and print nothing).
 */
import type { Dataset } from '../data/dataset.js';
import { loadDataset, type DatasetSpec } from '../data/load.js';
import { progressBar, type Progress } from './progress.js';

export const PROGRESS_FROM = 200;

/** An onProgress callback that opens a bar on first use for large loads; call `stop` when done. */
export function loadingProgress(label: string, quiet = false): { onProgress: (done: number, total: number) => void; stop: () => void } {
  let bar: Progress | null = null;
  return {
    onProgress: (done, total) => {
      if (quiet || total <= PROGRESS_FROM) return;
      bar ??= progressBar(label, total);
      bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}

/** loadDataset with a progress bar for large image folders. */
export async function loadWithProgress(spec: DatasetSpec, quiet = false): Promise<Dataset> {
  const p = loadingProgress('reading images', quiet);
  try {
    return await loadDataset(spec, { onProgress: p.onProgress });
  } finally {
    p.stop();
  }
}
