/**
 * The evidence lower bound (seed 000), per example, in nats:
 *
 *   log p(x) ≥ ELBO(x) = E_q[ log p(x|z) ] − KL( q(z|x) ‖ p(z) )
 *                      = E_q[ log p(x|z) + log p(z) − log q(z|x) ],   z ~ q(z|x).
 *
 * Sign convention: every term here is a log-density or a KL, as in the formulas. `reconstruction`
 * is E[log p(x|z)] (higher is better, NOT a loss), `kl` ≥ 0, `elbo` = reconstruction − β·kl
 * (higher is better). The training loss is `negElboLoss(terms)` = mean over the batch of −elbo.
 */
import * as tf from '../engine/tfjs.js';
import { logNormalDiag, logStandardNormal, reparameterize } from './gaussian.js';
import { logMeanExp } from './iwae.js';
import { freeBitsKl, klAnalytic, klAnalyticPerDim, klMonteCarlo, klMonteCarloPerDim, type KlMode } from './kl.js';
import { logPxGivenZ, type Likelihood } from './likelihood.js';
import type { LogDensity } from './prior.js';

/** Per-example ELBO terms, each of shape [B], in nats. */
export interface ElboTerms {
  /** reconstruction − β·kl (the true ELBO when β = 1). Higher is better. */
  elbo: tf.Tensor;
  /** E_q[log p(x|z)], a log-density (≤ 0 for Bernoulli; includes −½·d·log 2πσ² for Gaussian). */
  reconstruction: tf.Tensor;
  /** KL(q(z|x) ‖ p(z)), not multiplied by β. */
  kl: tf.Tensor;
}

/** The decoder: z [N, D] → the likelihood's parameters (means or logits), shape [N, ...x's per-example shape]. */
export type Decode = (z: tf.Tensor2D) => tf.Tensor;

/** What every ELBO / IWAE function needs: data, encoder output, decoder and likelihood. */
export interface ElboInputs {
  /** Data, [B, ...]. */
  x: tf.Tensor;
  /** Encoder output, [B, D]. */
  mu: tf.Tensor;
  /** Encoder output log σ², [B, D]. */
  logvar: tf.Tensor;
  decode: Decode;
  likelihood: Likelihood;
  /**
   * log p(z), z [..., D] → [...]. Absent: the standard normal N(0, I) (and the analytic KL is
   * available). Given (e.g. a mixture prior): the KL is always the Monte-Carlo log q(z|x) − log p(z).
   */
  logPz?: LogDensity;
}

/**
 * Seed 000's training objective with one sample per example:
 *   elbo ≈ log p(x|z*) − β·KL( q(z|x) ‖ p(z) ),   z* = mu + exp(½·logvar)·eps.
 * kl 'analytic' uses ½Σ(mu² + exp(logvar) − logvar − 1); 'monte-carlo' uses log q(z*|x) − log p(z*).
 * With `logPz` (a non-standard prior) the KL is always the Monte-Carlo one.
 * eps [B, D] (see `sampleEps`); gradients flow to mu, logvar, the decoder's weights (and the prior's).
 */
export function elboSingleSample(
  args: ElboInputs & { eps: tf.Tensor; beta?: number; kl?: KlMode },
): ElboTerms {
  const { x, mu, logvar, decode, likelihood, eps, beta = 1, kl: klMode = 'analytic', logPz } = args;
  return tf.tidy(() => {
    const z = reparameterize(mu, logvar, eps) as tf.Tensor2D;
    const reconstruction = logPxGivenZ(likelihood, x, decode(z));
    const kl = logPz ? klMonteCarlo(z, mu, logvar, logPz) : klMode === 'analytic' ? klAnalytic(mu, logvar) : klMonteCarlo(z, mu, logvar);
    return { elbo: tf.sub(reconstruction, tf.mul(kl, beta)), reconstruction, kl };
  });
}

/**
 * The three log-densities at k samples per example, z_j = mu + exp(½·logvar)·eps_j, each [k, B]:
 * log p(x|z_j), log p(z_j), log q(z_j|x). The decoder sees z reshaped to [k·B, D] (sample-major:
 * row j·B + i is sample j of example i) and x tiled k times to match.
 */
export function sampleLogDensities(
  args: ElboInputs & { eps: tf.Tensor },
): { logPxGivenZ: tf.Tensor2D; logPz: tf.Tensor2D; logQz: tf.Tensor2D } {
  const { x, mu, logvar, decode, likelihood, eps } = args;
  return tf.tidy(() => {
    const [k, b, d] = eps.shape;
    const z = reparameterize(mu, logvar, eps); // [k, B, D]
    const xTiled = tf.tile(x, [k, ...x.shape.slice(1).map(() => 1)]); // [k·B, ...]
    const logPxz = logPxGivenZ(likelihood, xTiled, decode(tf.reshape(z, [k * b, d]))); // [k·B]
    return {
      logPxGivenZ: tf.reshape(logPxz, [k, b]) as tf.Tensor2D,
      logPz: (args.logPz ?? logStandardNormal)(z) as tf.Tensor2D,
      logQz: logNormalDiag(z, mu, logvar) as tf.Tensor2D,
    };
  });
}

/**
 * log importance weights log w_j = log p(x|z_j) + log p(z_j) − log q(z_j|x), z_j ~ q(z|x).
 * eps [k, B, D] → [k, B].
 */
export function logImportanceWeights(args: ElboInputs & { eps: tf.Tensor }): tf.Tensor2D {
  return tf.tidy(() => {
    const t = sampleLogDensities(args);
    return tf.sub(tf.add(t.logPxGivenZ, t.logPz), t.logQz);
  });
}

/**
 * Seed 000's k-sample estimate:
 *   ELBO ≈ 1/k Σ_j [ log p(x|z_j) + log p(z_j) − log q(z_j|x) ],   z_j = mu + exp(½·logvar)·eps_j,
 * split as reconstruction = 1/k Σ_j log p(x|z_j) and kl = 1/k Σ_j [log q(z_j|x) − log p(z_j)];
 * elbo = reconstruction − β·kl. eps [k, B, D].
 */
export function elboKSamples(args: ElboInputs & { eps: tf.Tensor; beta?: number }): ElboTerms {
  const { beta = 1 } = args;
  return tf.tidy(() => {
    const t = sampleLogDensities(args);
    const reconstruction = tf.mean(t.logPxGivenZ, 0);
    const kl = tf.mean(tf.sub(t.logQz, t.logPz), 0);
    return { elbo: tf.sub(reconstruction, tf.mul(kl, beta)), reconstruction, kl };
  });
}

/**
 * The training objective and the true ELBO terms of one step. Without free bits the loss is
 * `negElboLoss(elboSingleSample(…))` = mean over the batch of −(reconstruction − β·kl). With
 * `freeBits` λ > 0 the KL part becomes β · Σ_j max(λ, mean_batch KL_j) (see `freeBitsKl`), which
 * needs a factorised prior (N(0, I), no `logPz`). The returned `terms` hold the unweighted,
 * unfloored reconstruction and KL per example, so callers report the true ELBO = reconstruction − kl
 * (β = 1, no floor); `terms.elbo` is reconstruction − β·kl as everywhere.
 */
export function trainingObjective(
  args: ElboInputs & { eps: tf.Tensor; beta?: number; kl?: KlMode; freeBits?: number },
): { loss: tf.Scalar; terms: ElboTerms } {
  const { freeBits = 0 } = args;
  if (!(freeBits > 0)) {
    const r = tf.tidy(() => {
      const { elbo, reconstruction, kl } = elboSingleSample(args);
      return { loss: negElboLoss({ elbo, reconstruction, kl }), elbo, reconstruction, kl };
    });
    return { loss: r.loss, terms: { elbo: r.elbo, reconstruction: r.reconstruction, kl: r.kl } };
  }
  if (args.logPz) throw new Error('free bits need a factorised prior (the standard normal); a mixture prior has no per-dimension KL');
  const { x, mu, logvar, decode, likelihood, eps, beta = 1, kl: klMode = 'analytic' } = args;
  const r = tf.tidy(() => {
    const z = reparameterize(mu, logvar, eps) as tf.Tensor2D;
    const reconstruction = logPxGivenZ(likelihood, x, decode(z));
    const perDim = klMode === 'analytic' ? klAnalyticPerDim(mu, logvar) : klMonteCarloPerDim(z, mu, logvar);
    const kl = tf.sum(perDim, -1);
    const loss = tf.add(tf.neg(tf.mean(reconstruction)), tf.mul(freeBitsKl(perDim, freeBits), beta)) as tf.Scalar;
    return { loss, elbo: tf.sub(reconstruction, tf.mul(kl, beta)), reconstruction, kl };
  });
  return { loss: r.loss, terms: { elbo: r.elbo, reconstruction: r.reconstruction, kl: r.kl } };
}

/** The training loss (seed 000): mean over the batch of −elbo, a scalar in nats per example. */
export function negElboLoss(terms: ElboTerms): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(terms.elbo)) as tf.Scalar);
}

/** Which bound a training step maximises: the (k-sample) ELBO or the IWAE bound (Burda et al. 2015). */
export type ObjectiveKind = 'elbo' | 'iwae';

/**
 * The training objective with k samples per example (eps [k, B, D]; k = 1 with eps [B, D] is
 * `trainingObjective` exactly), z_j = mu + exp(½·logvar)·eps_j:
 * - 'elbo': loss = mean_B [ −1/k Σ_j log p(x|z_j) + β·KL ], the KL analytic (N(0, I), kl 'analytic')
 *   or 1/k Σ_j [log q(z_j|x) − log p(z_j)]; with `freeBits` λ the KL part is β·Σ_d max(λ, mean_B KL_d)
 *   (the Monte-Carlo KL_d averaged over the k samples);
 * - 'iwae': loss = −mean_B log 1/k Σ_j w_j, log w_j = log p(x|z_j) + log p(z_j) − log q(z_j|x) (no β).
 * `terms` are the reported ELBO terms per example: reconstruction = 1/k Σ_j log p(x|z_j) and the KL
 * as above (unweighted, unfloored), so callers report the true −ELBO whatever they optimise.
 */
export function kSampleObjective(
  args: ElboInputs & { eps: tf.Tensor; objective?: ObjectiveKind; beta?: number; kl?: KlMode; freeBits?: number },
): { loss: tf.Scalar; terms: ElboTerms } {
  const { objective = 'elbo', freeBits = 0, beta = 1, kl: klMode = 'analytic', mu, logvar, logPz } = args;
  if (objective === 'elbo' && args.eps.rank === 2) return trainingObjective(args);
  if (objective === 'iwae' && freeBits > 0) throw new Error('free bits apply to the ELBO, not to the IWAE bound');
  if (freeBits > 0 && logPz) throw new Error('free bits need a factorised prior (the standard normal); a mixture prior has no per-dimension KL');
  const eps = args.eps.rank === 2 ? args.eps.expandDims(0) : args.eps;
  const r = tf.tidy(() => {
    const t = sampleLogDensities({ ...args, eps });
    const reconstruction = tf.mean(t.logPxGivenZ, 0);
    const analytic = !logPz && klMode === 'analytic';
    const kl = analytic ? klAnalytic(mu, logvar) : tf.mean(tf.sub(t.logQz, t.logPz), 0);
    let loss: tf.Scalar;
    if (objective === 'iwae') {
      const logw = tf.sub(tf.add(t.logPxGivenZ, t.logPz), t.logQz);
      loss = tf.neg(tf.mean(logMeanExp(logw, 0))) as tf.Scalar;
    } else if (freeBits > 0) {
      const perDim = analytic ? klAnalyticPerDim(mu, logvar) : tf.mean(klMonteCarloPerDim(reparameterize(mu, logvar, eps), mu, logvar), 0);
      loss = tf.add(tf.neg(tf.mean(reconstruction)), tf.mul(freeBitsKl(perDim, freeBits), beta)) as tf.Scalar;
    } else {
      loss = tf.add(tf.neg(tf.mean(reconstruction)), tf.mul(tf.mean(kl), beta)) as tf.Scalar;
    }
    return { loss, elbo: tf.sub(reconstruction, tf.mul(kl, beta)), reconstruction, kl };
  });
  if (eps !== args.eps) eps.dispose();
  return { loss: r.loss, terms: { elbo: r.elbo, reconstruction: r.reconstruction, kl: r.kl } };
}
