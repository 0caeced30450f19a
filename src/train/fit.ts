/**
 * `train`: the library's one-call training on an in-memory `Dataset` (no files), over the same
 * `Trainer` the CLI uses. Browser-safe: it yields to the event loop between steps so a page stays
 * responsive, and it keeps the weights in the `Vae` you pass.
 */
import type { Dataset } from '../data/dataset.js';
import type { Vae } from '../models/vae.js';
import type { EpochRecord } from './history.js';
import { DEFAULT_TRAIN_OPTIONS, Trainer, type StepInfo, type TrainOptions } from './trainer.js';

/** Options of {@link train}: any `TrainOptions` field (defaults: `DEFAULT_TRAIN_OPTIONS`) and callbacks. */
export interface TrainCallOptions extends Partial<TrainOptions> {
  /** Called after every training step (minibatch) with its loss. */
  onStep?(step: StepInfo): void;
  /** Called after every epoch with its train and validation −ELBO, reconstruction and KL. */
  onEpoch?(record: EpochRecord): void;
  /** Stops between two steps once it fires; the epoch in progress is not recorded. */
  signal?: AbortSignal;
}

/**
 * Trains `vae` on `data` for `epochs` epochs (minibatch Adam on −ELBO, the CLI's loop) and returns
 * the per-epoch history. The `Vae` holds the weights of the last step afterwards. Runs on the
 * tfjs backend in use (call `useBackend` first: in Node `'native'` or `'wasm'`; tfjs's default
 * `cpu` backend is about 400× slower for convolutions).
 *
 * @example
 * const vae = Vae.create(fitModelToData(MLP_400_20, data), 0);
 * const history = await train(vae, data, { epochs: 5, onEpoch: (r) => console.log(r.validation.loss) });
 */
export async function train(vae: Vae, data: Dataset, opts: TrainCallOptions = {}): Promise<EpochRecord[]> {
  const { onStep, onEpoch, signal, ...given } = opts;
  const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...given };
  const trainer = new Trainer(vae, data, options);
  const history: EpochRecord[] = [];
  let lastYield = performance.now();
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const steps = trainer.epochSteps(epoch, onStep);
      let r = steps.next();
      while (!r.done) {
        // let the page (or a signal handler) run at least every 50 ms
        if (performance.now() - lastYield > 50) {
          await new Promise<void>((resolve) => setTimeout(resolve, 0));
          lastYield = performance.now();
        }
        if (signal?.aborted) return history;
        r = steps.next();
      }
      history.push(r.value);
      onEpoch?.(r.value);
    }
  } finally {
    trainer.optimizer.dispose();
  }
  return history;
}
