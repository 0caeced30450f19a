/**
 * Decoder likelihoods log p(x|z), per example, in nats, summed over every non-batch axis
 * (pixels and channels).
 */
import * as tf from '../engine/tfjs.js';
import { LOG_2PI } from './gaussian.js';

/**
 * The decoder's output distribution. For 'gaussian' the decoder outputs the means and the variance
 * σ² is fixed; for 'bernoulli' the decoder outputs logits. For 'gaussian-learned' (σ-VAE) the
 * decoder outputs the means and σ² is the per-image optimum (see `logGaussianOptimalVariance`);
 * for 'continuous-bernoulli' the decoder outputs logits (see `logContinuousBernoulliFromLogits`).
 */
export type Likelihood =
  | { kind: 'gaussian'; sigma2: number }
  | { kind: 'bernoulli' }
  | { kind: 'gaussian-learned' }
  | { kind: 'continuous-bernoulli' };

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

/** Floor of the optimal σ²: log σ ≥ −6, as in Rybkin et al.'s code, so x = mean stays finite. */
export const MIN_LOG_SIGMA = -6;

/**
 * The σ-VAE's Gaussian with the optimal variance per image (Rybkin, Daniilidis & Levine 2021,
 * "Simple and effective VAE training with calibrated decoders"): for a mean image μ the σ² that
 * maximises N(x; μ, σ²·I) is the image's mean squared error, σ*² = ‖x − μ‖² / d, and then
 *   log p(x|z) = −½ d·(log 2π + log σ*² + 1),
 * with σ*² floored at exp(2·MIN_LOG_SIGMA). σ*² depends on x, so this is the profile likelihood
 * (not a density of x normalised for a fixed z): its ELBO is the σ-VAE objective, not a bound on a
 * fixed model's log p(x). Per image, so per-example values do not depend on the batch.
 * x, mean [B, ...] → [B].
 */
export function logGaussianOptimalVariance(x: tf.Tensor, mean: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const d = x.size / (x.shape[0] ?? 1);
    const mse = tf.div(tf.sum(tf.square(tf.sub(perExample(x), perExample(mean))), 1), d);
    const logSigma2 = tf.log(tf.maximum(mse, Math.exp(2 * MIN_LOG_SIGMA)));
    return tf.mul(tf.add(logSigma2, LOG_2PI + 1), -0.5 * d) as tf.Tensor1D;
  });
}

/** |logit| below which the continuous Bernoulli uses Taylor expansions around λ = ½ (logit 0). */
export const CB_TAYLOR_LOGIT = 0.1;

/**
 * log C(λ) of the continuous Bernoulli (Loaiza-Ganem & Cunningham 2019) from logits l, λ = σ(l):
 *   C(λ) = 2·artanh(1 − 2λ) / (1 − 2λ)  (λ ≠ ½),  C(½) = 2,
 * and since 1 − 2λ = −tanh(l/2) and artanh(1 − 2λ) = −l/2, C = l / tanh(l/2), so
 *   log C = log|l| − log|tanh(l/2)|                            for |l| ≥ CB_TAYLOR_LOGIT,
 *   log C = log 2 + u²/3 − 7u⁴/90 + 62u⁶/2835,  u = l/2        near l = 0 (λ near ½),
 * (the series of log(u / tanh u)); both branches see only inputs where they are finite, so the
 * gradient of the unused one cannot turn NaN. Elementwise, any shape.
 */
export function logContinuousBernoulliNormalizer(logits: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const { near, far, small } = taylorSplit(logits);
    const exact = tf.sub(tf.log(tf.abs(far)), tf.log(tf.abs(tf.tanh(tf.div(far, 2)))));
    const u2 = tf.square(tf.div(small, 2));
    // log 2 + u²/3 − 7u⁴/90 + 62u⁶/2835, Horner in u²
    const series = tf.add(Math.LN2, tf.mul(u2, tf.add(1 / 3, tf.mul(u2, tf.add(-7 / 90, tf.mul(u2, 62 / 2835))))));
    return blend(near, series, exact);
  });
}

/**
 * The two inputs of a two-branch formula, differentiably: `near` is 1 where |l| < CB_TAYLOR_LOGIT
 * (tf.step, whose gradient is 0, so no comparison op sits on the gradient tape), `far` is l there
 * replaced by the threshold (the exact branch never sees 0), `small` is l there and 0 elsewhere.
 */
function taylorSplit(l: tf.Tensor): { near: tf.Tensor; far: tf.Tensor; small: tf.Tensor } {
  const near = tf.step(tf.sub(CB_TAYLOR_LOGIT, tf.abs(l)));
  const small = tf.mul(near, l);
  return { near, far: tf.add(tf.sub(l, small), tf.mul(near, CB_TAYLOR_LOGIT)), small };
}

/** near·a + (1 − near)·b for a 0/1 mask (both branches finite everywhere). */
function blend(near: tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.add(tf.mul(near, a), tf.mul(tf.sub(1, near), b));
}

/**
 * The continuous Bernoulli on x ∈ [0, 1] from logits l, λ = σ(l):
 *   log p(x|z) = Σ [ x·log λ + (1 − x)·log(1 − λ) + log C(λ) ] = Σ [ x·l − softplus(l) + log C(l) ].
 * x, logits [B, ...] → [B].
 */
export function logContinuousBernoulliFromLogits(x: tf.Tensor, logits: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const l = perExample(logits);
    return tf.sum(tf.add(tf.sub(tf.mul(perExample(x), l), tf.softplus(l)), logContinuousBernoulliNormalizer(l)), 1) as tf.Tensor1D;
  });
}

/**
 * The mean of the continuous Bernoulli from logits (it is not λ):
 *   E[x] = λ/(2λ − 1) + 1/(2·artanh(1 − 2λ)) = λ / tanh(l/2) − 1/l        for |l| ≥ CB_TAYLOR_LOGIT,
 *   E[x] = ½ + l/12 − l³/720                                               near l = 0.
 * Elementwise, any shape; values in (0, 1).
 */
export function continuousBernoulliMean(logits: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const { near, far, small } = taylorSplit(logits);
    const exact = tf.sub(tf.div(tf.sigmoid(far), tf.tanh(tf.div(far, 2))), tf.reciprocal(far));
    const series = tf.add(0.5, tf.mul(small, tf.sub(1 / 12, tf.div(tf.square(small), 720))));
    return blend(near, series, exact);
  });
}

/**
 * The image to show for a decoder output: the likelihood's mean. Gaussian kinds: the output (the
 * means); Bernoulli: σ(logits); continuous Bernoulli: its mean, which is not σ(logits).
 */
export function likelihoodMean(likelihood: Likelihood, decoderOutput: tf.Tensor): tf.Tensor {
  switch (likelihood.kind) {
    case 'gaussian':
    case 'gaussian-learned':
      return tf.clone(decoderOutput);
    case 'bernoulli':
      return tf.sigmoid(decoderOutput);
    case 'continuous-bernoulli':
      return continuousBernoulliMean(decoderOutput);
  }
}

/** Whether the decoder outputs logits (no output activation) rather than means in (0, 1). */
export function decoderOutputsLogits(likelihood: Likelihood): boolean {
  return likelihood.kind === 'bernoulli' || likelihood.kind === 'continuous-bernoulli';
}

/**
 * log p(x|z) for the given likelihood; `decoderOutput` holds the means (gaussian, gaussian-learned)
 * or the logits (bernoulli, continuous-bernoulli), with x's shape. [B, ...] → [B].
 */
export function logPxGivenZ(likelihood: Likelihood, x: tf.Tensor, decoderOutput: tf.Tensor): tf.Tensor1D {
  switch (likelihood.kind) {
    case 'gaussian':
      return logGaussianFixedVariance(x, decoderOutput, likelihood.sigma2);
    case 'bernoulli':
      return logBernoulliFromLogits(x, decoderOutput);
    case 'gaussian-learned':
      return logGaussianOptimalVariance(x, decoderOutput);
    case 'continuous-bernoulli':
      return logContinuousBernoulliFromLogits(x, decoderOutput);
  }
}
