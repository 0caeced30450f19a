/*
 * The objectives, per chunk of the batch (one thread runs one chunk at a time, into its own
 * gradient slot). With k samples per example, z_ji = mu_i + exp(½·logvar_i)·eps_ji (eps laid out
 * [k, batch, L], sample-major as src/math's sampleLogDensities draws it) and
 *   log w_ji = log p(x_i|z_ji) + log p(z_ji) − log q(z_ji|x_i),
 * the loss (mean over the batch) is
 *   ELBO:  −1/k Σ_j log p(x|z_j) + β·KL, KL analytic (standard normal prior) or 1/k Σ_j log q − log p(z),
 *          with free bits λ the KL part is β·Σ_d max(λ, batch-mean KL_d) (Kingma et al. 2016);
 *   IWAE:  −log 1/k Σ_j w_j (Burda et al. 2015), whose gradient weighs sample j by the normalised
 *          weight w̃_j = softmax_j(log w_j).
 * The prior is N(0, I), a mixture of K diagonal Gaussians whose logits, means and log-variances
 * train with the rest, or the VampPrior: an equal-weight mixture whose components are the encoder
 * at learnable pseudo-inputs (prior_vamp.c computes them and takes their gradients back); a
 * mixture's log p(z) and its gradients are prior_mixture.c's. Through the reparameterisation,
 * log q(z|x) contributes −½ per dimension to d/d logvar and nothing to d/d mu.
 */
#include <stdlib.h>
#include <string.h>
#include "vae.h"

#define LANES 16
#define BLOCK 1024
#define LOG_2PI 1.8378770664093453

/* Σ (out − x)² over one row and, when `grad` (a constant at each call, so the compiler makes two
 * loops), d = (out − x)·scale; 16 float lanes per block of 1024 values (the loop vectorises without
 * reassociating), blocks summed in double: the same sum with or without d. */
__attribute__((always_inline)) static inline double gauss_sq(const float *out, const float *x, float *d, int n, float scale, const int grad) {
  double sum = 0;
  int i = 0;
  while (i + LANES <= n) {
    float acc[LANES] = {0};
    const int end = i + BLOCK <= n ? i + BLOCK : n - (n - i) % LANES;
    for (; i < end; i += LANES) {
      for (int j = 0; j < LANES; j++) {
        const float diff = out[i + j] - x[i + j];
        acc[j] += diff * diff;
        if (grad) d[i + j] = diff * scale;
      }
    }
    for (int j = 0; j < LANES; j++) sum += acc[j];
  }
  for (; i < n; i++) {
    const float diff = out[i] - x[i];
    sum += (double)diff * diff;
    if (grad) d[i] = diff * scale;
  }
  return sum;
}

HOT static double gauss_row(const float *out, const float *x, float *d, int n, float scale) { return gauss_sq(out, x, d, n, scale, 1); }
HOT static double gauss_row_value(const float *out, const float *x, int n) { return gauss_sq(out, x, NULL, n, 0, 0); }

/* one value of x·l − softplus(l) and its gradient sigmoid(l) − x (of the negative); softplus(l) =
 * max(l, 0) + log(1 + exp(−|l|)), stable at any |l| */
static inline float bernoulli_one(float l, float x, float *d) {
  const float t = exp_nonpos(-fabsf(l));
  const float softplus = (l > 0 ? l : 0.0f) + log1p_unit(t);
  const float inv = 1.0f / (1.0f + t);
  const float sig = l >= 0 ? inv : t * inv;
  *d = sig - x;
  return x * l - softplus;
}

/* Σ x·l − softplus(l) over one row of logits, d = sigmoid(l) − x */
HOT static double bern_row(const float *out, const float *x, float *d, int n) {
  double sum = 0;
  int i = 0;
  while (i + LANES <= n) {
    float acc[LANES] = {0};
    const int end = i + BLOCK <= n ? i + BLOCK : n - (n - i) % LANES;
    for (; i < end; i += LANES) {
      for (int j = 0; j < LANES; j++) acc[j] += bernoulli_one(out[i + j], x[i + j], &d[i + j]);
    }
    for (int j = 0; j < LANES; j++) sum += acc[j];
  }
  for (; i < n; i++) sum += bernoulli_one(out[i], x[i], &d[i]);
  return sum;
}

static inline float bernoulli_value(float l, float x) {
  const float t = exp_nonpos(-fabsf(l));
  return x * l - ((l > 0 ? l : 0.0f) + log1p_unit(t));
}

/* Σ x·l − softplus(l) over one row of logits (forward only) */
HOT static double bern_row_value(const float *out, const float *x, int n) {
  double sum = 0;
  int i = 0;
  while (i + LANES <= n) {
    float acc[LANES] = {0};
    const int end = i + BLOCK <= n ? i + BLOCK : n - (n - i) % LANES;
    for (; i < end; i += LANES) {
      for (int j = 0; j < LANES; j++) acc[j] += bernoulli_value(out[i + j], x[i + j]);
    }
    for (int j = 0; j < LANES; j++) sum += acc[j];
  }
  for (; i < n; i++) sum += bernoulli_value(out[i], x[i]);
  return sum;
}

/* ---- the σ-VAE's Gaussian (Rybkin et al. 2021; src/math/likelihood.ts's logGaussianOptimalVariance):
 * per row σ² = max(‖x − out‖²/D, e^(2·MIN_LOG_SIGMA)), log p(x|z) = −½·D·(log 2π + log σ² + 1).
 * While σ² is above its floor, ∂(−log p)/∂out = (out − x)/σ²; at the floor (a row reconstructed to
 * within e⁻⁶ RMS) it is 0, as tf.maximum's gradient sends nothing to the smaller argument. */
#define MIN_LOG_SIGMA (-6)

/* log p of a row from its Σ (out − x)²; *inv receives the factor 1/σ² (0 at the floor) that turns
 * out − x into the gradient */
static double sigma_vae_logp(double sq, int n, float *inv) {
  const double floor = (double)(float)exp(2.0 * MIN_LOG_SIGMA); /* tfjs holds the floor in float32 */
  const double mse = sq / n;
  const int above = mse >= floor; /* tf.maximum(a, b)'s gradient goes to a where a >= b */
  *inv = above ? (float)(1.0 / mse) : 0.0f;
  return -0.5 * n * (log(above ? mse : floor) + LOG_2PI + 1.0);
}

/* ---- the continuous Bernoulli (Loaiza-Ganem & Cunningham 2019; src/math/likelihood.ts's
 * logContinuousBernoulliFromLogits): per value x·l − softplus(l) + log C(l), with a = |l|,
 * t = e^(−a) and C = l / tanh(l/2) even in l:
 *   a >= CB_TAYLOR_LOGIT:  log C = log(a·(1 + t)/(1 − t)),  ∂log C/∂a = 1/a − 1/sinh a = 1/a − 2t/((1 − t)(1 + t)),
 *   a <  CB_TAYLOR_LOGIT:  log C = log 2 + u²/3 − 7u⁴/90 + 62u⁶/2835 (u = l/2),
 *                          ∂log C/∂l = u/3 − 7u³/45 + 62u⁵/945 (the series' derivative, as autodiff takes it);
 * the gradient of the negative is sigmoid(l) − x − ∂log C/∂l. Both branches are computed and one
 * selected (the other may be inf or NaN at a = 0, never used), so the loops vectorise. */
#define CB_TAYLOR_LOGIT 0.1f

/* 1 − e^(−a) for a >= 0, t = e^(−a): the series below a = ½ (no cancellation near a = 0.1, where
 * 1 − t from t would lose ~4 bits), 1 − t above (relative error < 2e-7 there) */
static inline float one_minus_exp_neg(float a, float t) {
  float p = 2.75573192e-6f; /* (−1)^(k+1)/k!, k = 9 … 1 */
  p = p * a - 2.48015873e-5f;
  p = p * a + 1.98412698e-4f;
  p = p * a - 1.38888889e-3f;
  p = p * a + 8.33333333e-3f;
  p = p * a - 4.16666667e-2f;
  p = p * a + 1.66666667e-1f;
  p = p * a - 0.5f;
  p = p * a + 1.0f;
  return a < 0.5f ? p * a : 1.0f - t;
}

/* one value of x·l − softplus(l) + log C(l) and, when grad, its negative's gradient in *d */
__attribute__((always_inline)) static inline float cb_one(float l, float x, float *d, const int grad) {
  const float a = fabsf(l);
  const float t = exp_nonpos(-a);
  const float onePlus = 1.0f + t;
  const float softplus = (l > 0 ? l : 0.0f) + log1p_unit(t);
  const float m = one_minus_exp_neg(a, t);
  const int near = a < CB_TAYLOR_LOGIT;
  const float u = 0.5f * l, u2 = u * u;
  const float logCNear = (float)0.6931471805599453 + u2 * (1.0f / 3.0f + u2 * (-7.0f / 90.0f + u2 * (62.0f / 2835.0f)));
  const float logC = near ? logCNear : log_pos(a * onePlus / m);
  if (grad) {
    const float inv = 1.0f / onePlus;
    const float sig = l >= 0 ? inv : t * inv;
    const float dNear = u * (1.0f / 3.0f + u2 * (-7.0f / 45.0f + u2 * (62.0f / 945.0f)));
    const float dFar = copysignf(1.0f / a - 2.0f * t / (m * onePlus), l);
    *d = sig - x - (near ? dNear : dFar);
  }
  return x * l - softplus + logC;
}

/* Σ x·l − softplus(l) + log C(l) over one row of logits and, when grad, d = −∂/∂l; summed as gauss_sq */
__attribute__((always_inline)) static inline double cb_sum(const float *out, const float *x, float *d, int n, const int grad) {
  double sum = 0;
  float unused;
  int i = 0;
  while (i + LANES <= n) {
    float acc[LANES] = {0};
    const int end = i + BLOCK <= n ? i + BLOCK : n - (n - i) % LANES;
    for (; i < end; i += LANES) {
      for (int j = 0; j < LANES; j++) acc[j] += cb_one(out[i + j], x[i + j], grad ? &d[i + j] : &unused, grad);
    }
    for (int j = 0; j < LANES; j++) sum += acc[j];
  }
  for (; i < n; i++) sum += cb_one(out[i], x[i], grad ? &d[i] : &unused, grad);
  return sum;
}

HOT static double cb_row(const float *out, const float *x, float *d, int n) { return cb_sum(out, x, d, n, 1); }
HOT static double cb_row_value(const float *out, const float *x, int n) { return cb_sum(out, x, NULL, n, 0); }

/* log p(x|z) of one row of the decoder's output; with d (training) also d = −∂log p(x|z)/∂out */
static double log_px_row(const Step *st, const float *out, const float *x, float *d, int n, double gaussConst) {
  switch (st->net->lik) {
    case LIK_GAUSSIAN:
      return -0.5 * (d ? gauss_row(out, x, d, n, (float)(1.0 / st->sigma2)) : gauss_row_value(out, x, n)) / st->sigma2 - gaussConst;
    case LIK_BERNOULLI:
      return d ? bern_row(out, x, d, n) : bern_row_value(out, x, n);
    case LIK_GAUSSIAN_LEARNED: {
      float inv;
      const double logp = sigma_vae_logp(d ? gauss_row(out, x, d, n, 1.0f) : gauss_row_value(out, x, n), n, &inv);
      if (d) scale_into(d, (size_t)n, inv); /* d held out − x */
      return logp;
    }
    default:
      return d ? cb_row(out, x, d, n) : cb_row_value(out, x, n);
  }
}

static double log_sum_exp(const double *v, int n, int stride) {
  double m = -INFINITY;
  for (int j = 0; j < n; j++) if (v[j * stride] > m) m = v[j * stride];
  if (m == -INFINITY) return m;
  double s = 0;
  for (int j = 0; j < n; j++) s += exp(v[j * stride] - m);
  return m + log(s);
}

/* encoder forward of a chunk: mu, logvar and std of b examples; returns the features' input to the heads */
static const float *encode_chunk(const Step *st, Work *wk, const float *xEnc, int b) {
  const Net *net = st->net;
  const float *h = xEnc;
  for (int i = 0; i < net->nEnc; i++) {
    layer_forward(st->param, &net->enc[i], b, h, wk->act[i + 1], wk->col);
    h = wk->act[i + 1];
  }
  layer_forward(st->param, &net->muL, b, h, wk->mu, NULL);
  layer_forward(st->param, &net->lvL, b, h, wk->lv, NULL);
  for (int i = 0; i < b * net->latent; i++) wk->std[i] = expf(0.5f * wk->lv[i]);
  return h;
}

static void run_chunk(Step *st, Work *wk, int c) {
  Net *net = st->net;
  const int k = st->k, start = c * st->chunk;
  const int b = st->batch - start < st->chunk ? st->batch - start : st->chunk;
  const int rows = b * k; /* row r = j·b + i: sample j of example i */
  const int D = net->D, L = net->latent;
  const float *const *P = st->param;
  const float *x = st->x + (size_t)start * D;
  const float *xEnc = st->xEnc + (size_t)start * D;
  const int standard = net->priorK == 0 && !net->vamp;
  const int analytic = standard && !st->klMonteCarlo;

  const float *h = encode_chunk(st, wk, xEnc, b);
  if (st->mode == MODE_ENCODE) {
    memcpy(st->encOut + (size_t)start * L, wk->mu, sizeof(float) * b * L);
    memcpy(st->encOut + ((size_t)st->batch + start) * L, wk->lv, sizeof(float) * b * L);
    return;
  }
  for (int j = 0; j < k; j++) {
    for (int i = 0; i < b; i++) {
      const float *e = st->eps + ((size_t)j * st->batch + start + i) * L;
      float *z = wk->z + ((size_t)j * b + i) * L;
      const float *mu = wk->mu + (size_t)i * L, *sd = wk->std + (size_t)i * L;
      for (int d = 0; d < L; d++) z[d] = mu[d] + sd[d] * e[d];
    }
  }
  const float *g = wk->z;
  for (int i = 0; i < net->nDec; i++) {
    layer_forward(P, &net->dec[i], rows, g, wk->dec[i + 1], wk->col);
    g = wk->dec[i + 1];
  }
  const float *out = g; /* means (Gaussians) or logits (Bernoullis), [rows, D] */

  /* log p(x|z) per row; dA receives −∂log p(x|z)/∂out when training */
  float *dout = wk->dA;
  const double gaussConst = 0.5 * (double)D * (LOG_2PI + log(st->sigma2));
  const int train = st->mode == MODE_GRAD || st->mode == MODE_ADAM;
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)(r % b) * D;
    wk->rowPx[r] = log_px_row(st, out + (size_t)r * D, xr, train ? dout + (size_t)r * D : NULL, D, gaussConst);
  }
  /* log p(z) and log q(z|x) per row */
  Mixture mx = {0};
  if (!standard && mixture_init(&mx, net, P, c)) {
    atomic_store(&st->failed, 1);
    return;
  }
  for (int r = 0; r < rows; r++) {
    const int i = r % b, j = r / b;
    const float *z = wk->z + (size_t)r * L, *lv = wk->lv + (size_t)i * L;
    const float *e = st->eps + ((size_t)j * st->batch + start + i) * L;
    double q = 0, pz = 0;
    for (int d = 0; d < L; d++) {
      q += LOG_2PI + lv[d] + (double)e[d] * e[d];
      pz += LOG_2PI + (double)z[d] * z[d];
    }
    wk->rowQ[r] = -0.5 * q;
    if (standard) wk->rowPz[r] = -0.5 * pz;
  }
  if (!standard && mixture_logp_rows(&mx, wk->z, rows, wk->rowPz, train)) {
    mixture_free(&mx);
    atomic_store(&st->failed, 1);
    return;
  }
  /* per example: the ELBO terms (reported) and the IWAE bound */
  double sumRecon = 0, sumKl = 0, sumIwae = 0;
  for (int i = 0; i < b; i++) {
    double recon = 0, kl = 0;
    for (int j = 0; j < k; j++) {
      const int r = j * b + i;
      recon += wk->rowPx[r];
      kl += wk->rowQ[r] - wk->rowPz[r];
      wk->rowW[r] = wk->rowPx[r] + wk->rowPz[r] - wk->rowQ[r]; /* log w */
    }
    if (analytic) {
      kl = 0;
      const float *mu = wk->mu + (size_t)i * L, *lv = wk->lv + (size_t)i * L, *sd = wk->std + (size_t)i * L;
      for (int d = 0; d < L; d++) kl += 0.5 * ((double)mu[d] * mu[d] + (double)sd[d] * sd[d] - lv[d] - 1.0);
    } else {
      kl /= k;
    }
    const double lse = log_sum_exp(wk->rowW + i, k, b);
    if (st->mode == MODE_LOGW) {
      double s = 0;
      for (int j = 0; j < k; j++) s += wk->rowW[j * b + i];
      st->logwOut[2 * (size_t)(start + i)] = lse;
      st->logwOut[2 * (size_t)(start + i) + 1] = s;
    }
    sumRecon += recon / k;
    sumKl += kl;
    sumIwae += lse - log((double)k);
    /* the weight of each sample in the gradient: 1/k (ELBO) or w̃_j (IWAE), stored over log w */
    for (int j = 0; j < k; j++) {
      const int r = j * b + i;
      wk->rowW[r] = st->objective == OBJ_IWAE ? exp(wk->rowW[r] - lse) : 1.0 / k;
    }
  }
  net->slotStats[3 * c] = sumRecon;
  net->slotStats[3 * c + 1] = sumKl;
  net->slotStats[3 * c + 2] = sumIwae;
  if (st->mode == MODE_EVAL || st->mode == MODE_LOGW) {
    if (!standard) mixture_free(&mx);
    return;
  }

  float *grad = net->slot[c];
  if (!standard) {
    const size_t first = net->paramOffset[net->vamp ? net->prU : net->prLogits]; /* the prior's parameters (the last ones) */
    memset(grad + first, 0, sizeof(float) * (net->totalParams - first));
  }
  const float invB = 1.0f / (float)st->batch, beta = st->beta;
  const int iwae = st->objective == OBJ_IWAE;
  /* ∂loss/∂out = a_r/B · (−∂log p(x|z)/∂out) */
  for (int r = 0; r < rows; r++) scale_into(dout + (size_t)r * D, D, (float)wk->rowW[r] * invB);
  float *dcur = wk->dA, *dnext = wk->dB;
  for (int i = net->nDec - 1; i >= 0; i--) {
    const float *in = i > 0 ? wk->dec[i] : wk->z;
    float *din = i > 0 ? dnext : wk->dz;
    layer_backward(net, P, &net->dec[i], rows, in, wk->dec[i + 1], dcur, din, wk->col, grad);
    if (i > 0) { float *t = dcur; dcur = dnext; dnext = t; }
  }
  /* through log p(z), log q(z|x) and z = mu + std·eps */
  memset(wk->dmu, 0, sizeof(float) * b * L);
  memset(wk->dlv, 0, sizeof(float) * b * L);
  if (!standard) mixture_backward_rows(&mx, wk->z, rows, wk->rowW, iwae ? -invB : -beta * invB, wk->dz);
  for (int r = 0; r < rows; r++) {
    const int i = r % b, j = r / b;
    const float a = (float)wk->rowW[r] * invB;
    /* coefficients of log p(z) and log q(z|x) in the loss (per dimension: free bits) */
    const float gPz = iwae ? -a : analytic ? 0.0f : -beta * a;
    float *dz = wk->dz + (size_t)r * L;
    const float *z = wk->z + (size_t)r * L, *sd = wk->std + (size_t)i * L;
    const float *e = st->eps + ((size_t)j * st->batch + start + i) * L;
    float *dmu = wk->dmu + (size_t)i * L, *dlv = wk->dlv + (size_t)i * L;
    if (standard) {
      for (int d = 0; d < L; d++) {
        const float mask = st->klMask ? st->klMask[d] : 1.0f;
        dz[d] -= gPz * mask * z[d];
        dlv[d] += 0.5f * gPz * mask; /* log q: −½ per dimension, coefficient −gPz */
      }
    } else {
      for (int d = 0; d < L; d++) dlv[d] += 0.5f * gPz; /* log p(z) went into dz above */
    }
    for (int d = 0; d < L; d++) {
      dmu[d] += dz[d];
      dlv[d] += 0.5f * sd[d] * e[d] * dz[d];
    }
  }
  if (!standard) mixture_free(&mx);
  if (analytic && !iwae) {
    for (int i = 0; i < b * L; i++) {
      const float mask = st->klMask ? st->klMask[i % L] : 1.0f;
      const float sd = wk->std[i];
      wk->dmu[i] += beta * mask * wk->mu[i] * invB;
      wk->dlv[i] += beta * mask * 0.5f * (sd * sd - 1.0f) * invB;
    }
  }
  /* mu and logvar heads: dh = dmu·Wmuᵀ + dlv·Wlvᵀ */
  float *dh = wk->dA;
  layer_backward(net, P, &net->muL, b, h, wk->mu, wk->dmu, net->nEnc > 0 ? dh : NULL, NULL, grad);
  if (net->nEnc > 0) {
    float *tmp = wk->dB;
    layer_backward(net, P, &net->lvL, b, h, wk->lv, wk->dlv, tmp, NULL, grad);
    add_into(dh, tmp, (size_t)b * net->lvL.ci);
  } else {
    layer_backward(net, P, &net->lvL, b, h, wk->lv, wk->dlv, NULL, NULL, grad);
  }
  dcur = wk->dA; dnext = wk->dB;
  for (int i = net->nEnc - 1; i >= 0; i--) {
    const float *in = i > 0 ? wk->act[i] : xEnc;
    layer_backward(net, P, &net->enc[i], b, in, wk->act[i + 1], dcur, i > 0 ? dnext : NULL, wk->col, grad);
    float *t = dcur; dcur = dnext; dnext = t;
  }
}

void chunk_task(void *arg, int tid) {
  Step *st = arg;
  Work *wk = &st->net->work[tid];
  for (;;) {
    const int c = atomic_fetch_add(&st->nextChunk, 1);
    if (c >= st->nChunks) break;
    run_chunk(st, wk, c);
  }
}

/* Free bits: per chunk, Σ over its examples (and samples) of the KL of each latent dimension:
 * analytic ½(mu² + σ² − logvar − 1), or the Monte-Carlo ½(z² − logvar − eps²) per sample. */
void kl_dims_task(void *arg, int tid) {
  Step *st = arg;
  Net *net = st->net;
  Work *wk = &net->work[tid];
  const int L = net->latent;
  for (;;) {
    const int c = atomic_fetch_add(&st->nextChunk, 1);
    if (c >= st->nChunks) break;
    const int start = c * st->chunk;
    const int b = st->batch - start < st->chunk ? st->batch - start : st->chunk;
    encode_chunk(st, wk, st->xEnc + (size_t)start * net->D, b);
    double *sum = net->slotKlDim + (size_t)c * L;
    for (int d = 0; d < L; d++) sum[d] = 0;
    for (int i = 0; i < b; i++) {
      const float *mu = wk->mu + (size_t)i * L, *lv = wk->lv + (size_t)i * L, *sd = wk->std + (size_t)i * L;
      if (!st->klMonteCarlo) {
        for (int d = 0; d < L; d++) sum[d] += 0.5 * ((double)mu[d] * mu[d] + (double)sd[d] * sd[d] - lv[d] - 1.0);
        continue;
      }
      for (int j = 0; j < st->k; j++) {
        const float *e = st->eps + ((size_t)j * st->batch + start + i) * L;
        for (int d = 0; d < L; d++) {
          const float z = mu[d] + sd[d] * e[d];
          sum[d] += 0.5 * ((double)z * z - lv[d] - (double)e[d] * e[d]);
        }
      }
    }
  }
}
