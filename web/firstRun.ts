/**
 * Which run the page shows first, decided without TensorFlow.js (boot.ts fetches its model files
 * while the explorer's code downloads; main.ts activates it).
 */
import type { RunSummary } from '../src/server/runs.js';

/** A 2-D-latent 32×32 RGB faces run: the widgets built on the faces' parameters apply. */
export const isFaces2d = (r: RunSummary): boolean =>
  r.dataset.name === 'faces' && r.model.latent === 2 && r.model.height === 32 && r.model.width === 32 && r.model.channels === 3;

/**
 * The run named in the address (`wanted`) when it is served and trained, else the first trained
 * 2-D faces run, else the first trained run; `named` is the run called `wanted`, if any.
 */
export function firstRun(runs: readonly RunSummary[], wanted: string | null): { first: RunSummary | undefined; named: RunSummary | undefined } {
  const named = wanted === null ? undefined : runs.find((r) => r.name === wanted);
  const first = (named?.hasModel ? named : undefined) ?? runs.find((r) => r.hasModel && isFaces2d(r)) ?? runs.find((r) => r.hasModel);
  return { first, named };
}
