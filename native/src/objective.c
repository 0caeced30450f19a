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
  const float *out = g; /* means (Gaussian) or logits (Bernoulli), [rows, D] */

  /* log p(x|z) per row; dA receives −∂log p(x|z)/∂out when training */
  float *dout = wk->dA;
  const double gaussConst = 0.5 * (double)D * (LOG_2PI + log(st->sigma2));
  const int train = st->mode == MODE_GRAD || st->mode == MODE_ADAM;
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)(r % b) * D;
    if (!train) {
      wk->rowPx[r] = net->lik == LIK_GAUSSIAN ? -0.5 * gauss_row_value(out + (size_t)r * D, xr, D) / st->sigma2 - gaussConst
                                              : bern_row_value(out + (size_t)r * D, xr, D);
    } else if (net->lik == LIK_GAUSSIAN) {
      const double sq = gauss_row(out + (size_t)r * D, xr, dout + (size_t)r * D, D, (float)(1.0 / st->sigma2));
      wk->rowPx[r] = -0.5 * sq / st->sigma2 - gaussConst;
    } else {
      wk->rowPx[r] = bern_row(out + (size_t)r * D, xr, dout + (size_t)r * D, D);
    }
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
