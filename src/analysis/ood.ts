/**
 * Out-of-distribution scores built on a VAE's −log p(x) (higher = more atypical, like the
 * anomaly scores of anomaly.ts). Likelihoods of deep generative models are known to rank some
 * out-of-distribution data as *more* likely than the training data (Nalisnick et al. 2019); two
 * corrections:
 *
 * - complexity (Serrà et al. 2020, "Input complexity and out-of-distribution detection with
 *   likelihood-based generative models"):
 *     S(x) = −log₂ p(x) − L(x),
 *   the model's code length in bits minus L(x), the input's length in bits under a general-purpose
 *   lossless compressor (a stand-in for its Kolmogorov complexity; lossless WebP by default, or PNG). Simple inputs get high
 *   likelihoods from every model; S keeps only what the model adds over a generic compressor.
 * - likelihood ratio (Ren et al. 2019, "Likelihood ratios for out-of-distribution detection"):
 *     −LLR(x) = −log p_θ(x) + log p_θ₀(x),
 *   with θ₀ a background model trained on perturbed inputs, which captures the population-level
 *   statistics (background) both models share, so the ratio keeps the semantic part.
 *
 * Pure functions on score arrays (browser-safe); the compressor lives at the edge
 * (src/data/compressedLength.ts).
 */
import { auroc } from './auroc.js';

export const OOD_SCORES = ['iwae', 'elbo', 'complexity', 'likelihood-ratio'] as const;
export type OodScoreKind = (typeof OOD_SCORES)[number];

const LN2 = Math.log(2);

/** S(x) = −log₂ p(x) − L(x): `negLogPx` in nats, `compressedBits` in bits → bits. */
export function complexityScore(negLogPx: ArrayLike<number>, compressedBits: ArrayLike<number>): Float32Array {
  if (negLogPx.length !== compressedBits.length) throw new Error(`complexity score: ${negLogPx.length} likelihoods but ${compressedBits.length} lengths`);
  return Float32Array.from({ length: negLogPx.length }, (_, i) => negLogPx[i] / LN2 - compressedBits[i]);
}

/** −LLR(x) = −log p_θ(x) − (−log p_θ₀(x)), nats: the model's −log p(x) minus the background model's. */
export function likelihoodRatioScore(negLogPx: ArrayLike<number>, negLogPxBackground: ArrayLike<number>): Float32Array {
  if (negLogPx.length !== negLogPxBackground.length) throw new Error(`likelihood ratio: ${negLogPx.length} model scores but ${negLogPxBackground.length} background scores`);
  return Float32Array.from({ length: negLogPx.length }, (_, i) => negLogPx[i] - negLogPxBackground[i]);
}

/**
 * AUROC of separating out-of-distribution inputs (positives) from in-distribution ones by a score
 * that is higher for the former: 1 = perfect, 0.5 = chance, below 0.5 = the score ranks the
 * out-of-distribution inputs as more typical.
 */
export function oodAuroc(inScores: ArrayLike<number>, outScores: ArrayLike<number>): number {
  const scores = new Float64Array(inScores.length + outScores.length);
  const positive = new Array<boolean>(scores.length).fill(false);
  for (let i = 0; i < inScores.length; i++) scores[i] = inScores[i];
  for (let i = 0; i < outScores.length; i++) {
    scores[inScores.length + i] = outScores[i];
    positive[inScores.length + i] = true;
  }
  return auroc(scores, positive);
}
