/**
 * Diagonal Gaussians: the reparameterisation trick, log q(z|x), log p(z), seeded eps.
 *
 * All log-densities are in nats and keep their constants (−½·D·log 2π).
 */
import * as tf from '../engine/tfjs.js';
import type { Rng } from './rng.js';

/** log 2π, the per-dimension constant of a Gaussian log-density. */
export const LOG_2PI = Math.log(2 * Math.PI);

/**
 * The reparameterisation trick: z = mu + exp(½·logvar) ⊙ eps, eps ~ N(0, I).
 *
 * Broadcasts, so eps of shape [k, B, D] against mu, logvar of shape [B, D] gives k samples per example.
 */
export function reparameterize(mu: tf.Tensor, logvar: tf.Tensor, eps: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps)));
}

/**
 * log q(z|x) = log N(z; mu, diag(exp(logvar)))
 *            = −½ Σ_j [ log 2π + logvar_j + (z_j − mu_j)² / exp(logvar_j) ], summed over the last axis.
 *
 * z of shape [B, D] gives [B]; z of shape [k, B, D] against mu, logvar [B, D] gives [k, B].
 */
export function logNormalDiag(z: tf.Tensor, mu: tf.Tensor, logvar: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const squared = tf.div(tf.square(tf.sub(z, mu)), tf.exp(logvar));
    return tf.mul(tf.sum(tf.add(tf.add(squared, logvar), LOG_2PI), -1), -0.5);
  });
}

/**
 * log p(z) = log N(z; 0, I) = −½ Σ_j [ log 2π + z_j² ], summed over the last axis.
 */
export function logStandardNormal(z: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.sum(tf.add(tf.square(z), LOG_2PI), -1), -0.5));
}

/**
 * eps ~ N(0, I) of the given shape, drawn from our seeded `Rng` (not tfjs's global random state),
 * so the same seed (or a restored `rng.getState()`) gives the same eps on every backend.
 * Values are drawn in row-major order of `shape`.
 */
export function sampleEps(rng: Rng, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.normals(size), shape, 'float32');
}
