/**
 * KL( q(z|x) ‖ p(z) ) for q = N(mu, diag(exp(logvar))) and p = N(0, I), per example, in nats.
 */
import * as tf from '@tensorflow/tfjs';
import { logNormalDiag, logStandardNormal } from './gaussian.js';

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
 * One-sample Monte-Carlo estimate at z ~ q(z|x): KL ≈ log q(z|x) − log p(z).
 * Unbiased for the analytic KL; z [B, D] → [B], or z [k, B, D] → [k, B].
 */
export function klMonteCarlo(z: tf.Tensor, mu: tf.Tensor, logvar: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sub(logNormalDiag(z, mu, logvar), logStandardNormal(z)));
}
