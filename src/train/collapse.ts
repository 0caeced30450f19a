/**
 * Posterior collapse: an epoch whose mean KL(q(z|x) ‖ p(z)) is below COLLAPSED_KL nats per image,
 * after at least COLLAPSE_MIN_STEPS training steps, means the encoder tells the decoder almost
 * nothing about its input (a code of less than ~0.15 bits); the decoder then models the data
 * without z. Before that many steps a small KL is just an untrained encoder (a fresh one starts
 * near KL 0: its means and log-variances are all close to 0). `collapseAdvice` names the settings
 * of this run that usually prevent it; `collapseWarning` is the one message the CLI and the
 * in-page trainer both show.
 */
import type { ModelConfig } from '../models/config.js';
import type { TrainOptions } from './trainer.js';

export const COLLAPSED_KL = 0.1;
export const COLLAPSE_MIN_STEPS = 200;

/** Whether an epoch's mean KL, with `steps` training steps done by its end, says the code collapsed. */
export function isCollapsed(kl: number, steps: number): boolean {
  return steps >= COLLAPSE_MIN_STEPS && kl < COLLAPSED_KL;
}

/** What to change in this run's settings, as one clause naming the CLI options. */
export function collapseAdvice(model: ModelConfig, t: TrainOptions): string {
  const ways: string[] = [];
  if (t.beta > 1) ways.push(`a smaller --beta than ${t.beta}`);
  // the VampPrior: Tomczak & Welling 2018 warm the KL up over 100 epochs
  const usual = model.prior?.kind === 'vamp' ? 100 : 10;
  ways.push(t.warmup ? `a longer --warmup than ${t.warmup} epochs (e.g. ${Math.max(usual, 2 * t.warmup)})` : `a KL warm-up, e.g. --warmup ${usual}`);
  if ((!model.prior || model.prior.kind === 'standard') && !t.freeBits) ways.push('--free-bits 0.5');
  return `try ${ways.length > 1 ? `${ways.slice(0, -1).join(', ')} or ${ways[ways.length - 1]}` : ways[0]}`;
}

/**
 * The warning for an epoch whose code collapsed (null when it did not): `epoch N: KL … nats per
 * image: … (posterior collapse); try …`. `stepsDone` counts the training steps up to this epoch's end.
 */
export function collapseWarning(epoch: number, kl: number, stepsDone: number, model: ModelConfig, t: TrainOptions): string | null {
  if (!isCollapsed(kl, stepsDone)) return null;
  return `epoch ${epoch}: KL ${kl.toPrecision(2)} nats per image: the latent code carries almost no information ` +
    `about the input (posterior collapse); ${collapseAdvice(model, t)}`;
}
