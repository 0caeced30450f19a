/**
 * Decoder likelihoods log p(x|z), per example, in nats, summed over every non-batch axis
 * (pixels and channels).
 */
import * as tf from '@tensorflow/tfjs';
import { LOG_2PI } from './gaussian.js';

/**
 * The decoder's output distribution. For 'gaussian' the decoder outputs the means and the variance
 * σ² is fixed; for 'bernoulli' the decoder outputs logits.
 */
export type Likelihood = { kind: 'gaussian'; sigma2: number } | { kind: 'bernoulli' };

/** Flattens [B, ...] to [B, d] so sums run over all non-batch axes; rank-1 input is [B] with d = 1. */
function perExample(t: tf.Tensor): tf.Tensor2D {
  return tf.reshape(t, [t.shape[0] ?? 1, -1]);
}

/**
 * Seed 000's fixed-variance Gaussian, with its constants:
 *   log p(x|z) = −½ [ d·log 2π + d·log σ² + ‖x − mean‖² / σ² ],   d = values per example.
 * x, mean [B, ...] → [B].
 */
export function logGaussianFixedVariance(x: tf.Tensor, mean: tf.Tensor, sigma2 = 1): tf.Tensor1D {
  return tf.tidy(() => {
    const squaredError = tf.sum(tf.square(tf.sub(perExample(x), perExample(mean))), 1);
    const d = x.size / (x.shape[0] ?? 1);
    return tf.add(tf.mul(squaredError, -0.5 / sigma2), gaussianConstant(d, sigma2)) as tf.Tensor1D;
  });
}

/**
 * The constant part of the fixed-variance Gaussian log-likelihood, −½·d·(log 2π + log σ²),
 * e.g. ≈ −2822.98 nats for d = 3×32×32 and σ² = 1. For display next to losses that include it.
 */
export function gaussianConstant(d: number, sigma2 = 1): number {
  return -0.5 * d * (LOG_2PI + Math.log(sigma2));
}

/**
 * Bernoulli from logits l (p = sigmoid(l)), computed stably (never log(sigmoid(l))):
 *   log p(x|z) = Σ [ x·log σ(l) + (1 − x)·log(1 − σ(l)) ] = Σ [ x·l − softplus(l) ].
 * tf.softplus switches to l or exp(l) at large |l|, so l = ±50 (where 1 − σ(l) rounds to 0 in
 * float32) gives finite values and gradients x − σ(l). x may be fractional (in [0, 1]).
 * x, logits [B, ...] → [B].
 */
export function logBernoulliFromLogits(x: tf.Tensor, logits: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const l = perExample(logits);
    return tf.sum(tf.sub(tf.mul(perExample(x), l), tf.softplus(l)), 1) as tf.Tensor1D;
  });
}

/**
 * log p(x|z) for the given likelihood; `decoderOutput` holds the means (gaussian) or the logits
 * (bernoulli), with x's shape. [B, ...] → [B].
 */
export function logPxGivenZ(likelihood: Likelihood, x: tf.Tensor, decoderOutput: tf.Tensor): tf.Tensor1D {
  switch (likelihood.kind) {
    case 'gaussian':
      return logGaussianFixedVariance(x, decoderOutput, likelihood.sigma2);
    case 'bernoulli':
      return logBernoulliFromLogits(x, decoderOutput);
  }
}
