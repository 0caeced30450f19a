/**
 * KL( q(z|x) ‖ p(z) ) for q = N(mu, diag(exp(logvar))) and p = N(0, I) (or any prior log-density
 * for the Monte-Carlo form), per example, in nats; and the free-bits objective.
 */
import * as tf from '../engine/tfjs.js';
import { logNormalDiag, logStandardNormal, LOG_2PI } from './gaussian.js';
import type { LogDensity } from './prior.js';

/** How the ELBO's KL term is computed: closed form, or log q − log p at the sampled z. */
export type KlMode = 'analytic' | 'monte-carlo';

/**
 * Closed form (seed 000): KL = ½ Σ_j ( mu_j² + exp(logvar_j) − logvar_j − 1 ), summed over the last axis.
 * mu, logvar [B, D] → [B].
 */
export function klAnalytic(mu: tf.Tensor, logvar: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.sum(tf.sub(tf.sub(tf.add(tf.square(mu), tf.exp(logvar)), logvar), 1), -1), 0.5));
}

/**
 * One-sample Monte-Carlo estimate at z ~ q(z|x): KL ≈ log q(z|x) − log p(z), p = N(0, I) unless
 * `logPz` is given (e.g. a mixture prior, which has no closed form).
 * Unbiased for the analytic KL; z [B, D] → [B], or z [k, B, D] → [k, B].
 */
export function klMonteCarlo(z: tf.Tensor, mu: tf.Tensor, logvar: tf.Tensor, logPz: LogDensity = logStandardNormal): tf.Tensor {
  return tf.tidy(() => tf.sub(logNormalDiag(z, mu, logvar), logPz(z)));
}

/** The closed-form KL per latent dimension, ½(mu_j² + exp(logvar_j) − logvar_j − 1): [B, D] → [B, D]. */
export function klAnalyticPerDim(mu: tf.Tensor, logvar: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.sub(tf.sub(tf.add(tf.square(mu), tf.exp(logvar)), logvar), 1), 0.5));
}

/**
 * The one-sample Monte-Carlo KL per latent dimension against N(0, I) (which factorises):
 * log q(z_j|x) − log p(z_j) = −½[logvar_j + (z_j − mu_j)²/exp(logvar_j)] + ½ z_j². [B, D] → [B, D].
 */
export function klMonteCarloPerDim(z: tf.Tensor, mu: tf.Tensor, logvar: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const logQ = tf.mul(tf.add(tf.add(tf.div(tf.square(tf.sub(z, mu)), tf.exp(logvar)), logvar), LOG_2PI), -0.5);
    const logP = tf.mul(tf.add(tf.square(z), LOG_2PI), -0.5);
    return tf.sub(logQ, logP);
  });
}

/**
 * The free-bits KL of Kingma et al. (2016, "Improving variational inference with inverse
 * autoregressive flow", eq. 15) with one group per latent dimension: the KL of each dimension is
 * averaged over the minibatch first, then floored at λ nats:
 *   Σ_j max( λ, 1/B Σ_i KL_ij ).
 * A dimension below the floor gets no gradient from the KL term. λ = 0 gives the mean KL.
 * klPerDim [B, D] → scalar.
 */
export function freeBitsKl(klPerDim: tf.Tensor, lambda: number): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.maximum(tf.mean(klPerDim, 0), lambda)) as tf.Scalar);
}
