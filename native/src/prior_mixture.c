/*
 * A mixture of K diagonal Gaussians as the prior, for a chunk's rows at once: the Gaussian-mixture
 * prior (its logits, means and log-variances are parameters) and the VampPrior (equal weights; the
 * components are the encoder at the pseudo-inputs, prior_vamp.c). With iv = exp(−logvar), per row
 * z and component k
 *   log N(z; m_k, iv_k⁻¹) = −½ [Σ_d z²·iv − 2 Σ_d z·(m·iv) + Σ_d (m²·iv + logvar) + L·log 2π],
 * so the rows' K log-densities are two GEMMs (in double: the expansion cancels where z is near m_k)
 * instead of rows·K·L scalar steps; log p(z) is a log-sum-exp over k. The backward, with g_r the
 * coefficient of log p(z_r) in the loss and G = g·responsibilities [rows, K]:
 *   ∂/∂z_r      = −(z_r ∘ (G·iv)_r − (G·(m·iv))_r)
 *   ∂/∂m_k      = iv_k ∘ ((Gᵀz)_k − m_k·Σ_r G_rk)
 *   ∂/∂logvar_k = ½ [iv_k ∘ ((Gᵀz²)_k − 2 m_k ∘ (Gᵀz)_k + m_k²·Σ_r G_rk) − Σ_r G_rk]
 *   ∂/∂logit_k  = Σ_r G_rk − π_k·Σ_r g_r
 * Rows run in blocks of a fixed size and every sum in a fixed order: the same bits whatever the
 * threads.
 */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include "vae.h"

#define LOG_2PI 1.8378770664093453
#define NB 128 /* rows per block */

int mixture_init(Mixture *mx, const Net *net, const float *const *P, int c) {
  const Vamp *vp = net->vamp;
  const int K = vp ? vp->K : net->priorK, L = net->latent;
  memset(mx, 0, sizeof *mx);
  mx->K = K; mx->L = L;
  mx->means = vp ? vp->mu : P[net->prMeans];
  mx->logvars = vp ? vp->lv : P[net->prLogvars];
  const size_t KL = (size_t)K * L;
  /* logPi, c [K]; iv, a [K, L]; the block scratch: z, z² [NB, L], S [NB, K], T1, T2 [NB, L];
   * the backward's sums Gᵀz, Gᵀz² [K, L], Σ_r G [K] */
  mx->logPi = malloc(sizeof(double) * (2 * (size_t)K + 2 * KL + 4 * (size_t)NB * L + (size_t)NB * K + 2 * KL + K));
  mx->e = malloc(sizeof(float) * K);
  if (!mx->logPi || !mx->e) { free(mx->logPi); free(mx->e); return -1; }
  mx->c = mx->logPi + K;
  mx->iv = mx->c + K;
  mx->a = mx->iv + KL;
  mx->zb = mx->a + KL;
  mx->z2b = mx->zb + (size_t)NB * L;
  mx->t1 = mx->z2b + (size_t)NB * L;
  mx->t2 = mx->t1 + (size_t)NB * L;
  mx->s = mx->t2 + (size_t)NB * L;
  mx->gz = mx->s + (size_t)NB * K;
  mx->gz2 = mx->gz + KL;
  mx->gs = mx->gz2 + KL;
  if (vp) {
    mx->dMeans = vp->dComp + 2 * KL * c;
    mx->dLogvars = mx->dMeans + KL;
    memset(mx->dMeans, 0, sizeof(float) * 2 * KL);
    for (int k = 0; k < K; k++) mx->logPi[k] = -log((double)K);
  } else {
    float *grad = net->slot[c];
    mx->dLogits = grad + net->paramOffset[net->prLogits];
    mx->dMeans = grad + net->paramOffset[net->prMeans];
    mx->dLogvars = grad + net->paramOffset[net->prLogvars];
    const float *logits = P[net->prLogits];
    double m = -INFINITY, s = 0;
    for (int k = 0; k < K; k++) if (logits[k] > m) m = logits[k];
    for (int k = 0; k < K; k++) s += exp(logits[k] - m);
    for (int k = 0; k < K; k++) mx->logPi[k] = logits[k] - m - log(s);
  }
  for (int k = 0; k < K; k++) {
    double ck = L * LOG_2PI;
    for (int d = 0; d < L; d++) {
      const size_t i = (size_t)k * L + d;
      const double m = mx->means[i], iv = exp(-(double)mx->logvars[i]);
      mx->iv[i] = iv;
      mx->a[i] = m * iv;
      ck += m * m * iv + mx->logvars[i];
    }
    mx->c[k] = ck;
  }
  return 0;
}

void mixture_free(Mixture *mx) {
  free(mx->logPi);
  free(mx->resp);
  free(mx->e);
  mx->e = NULL;
  mx->logPi = NULL;
  mx->resp = NULL;
}

#define LANES 16

/* One row: lp_k = log π_k − ½(S_k + c_k) in place, then log Σ_k exp(lp_k) = best + log Σ exp(lp_k − best)
 * with the exponentials in float (terms <= 1, relative error < 2e-7), summed in 16 fixed lanes (the
 * loop vectorises; the same sum whatever the vector width) then in double. */
HOT static double lse_row(double *lp, const double *logPi, const double *c, int K, float *e) {
  double best = -INFINITY;
  for (int k = 0; k < K; k++) {
    lp[k] = logPi[k] - 0.5 * (lp[k] + c[k]);
    best = lp[k] > best ? lp[k] : best;
  }
  if (best == -INFINITY) return best;
  for (int k = 0; k < K; k++) e[k] = (float)(lp[k] - best);
  float acc[LANES] = {0};
  int k = 0;
  for (; k + LANES <= K; k += LANES)
    for (int j = 0; j < LANES; j++) acc[j] += exp_nonpos(e[k + j]);
  double t = 0;
  for (int j = 0; j < LANES; j++) t += acc[j];
  for (; k < K; k++) t += exp_nonpos(e[k]);
  return best + log(t);
}

/* responsibilities exp(lp_k − l) of one row */
HOT static void resp_row(const double *lp, double l, int K, float *resp) {
  for (int k = 0; k < K; k++) {
    const double d = lp[k] - l;
    resp[k] = exp_nonpos((float)(d < 0 ? d : 0));
  }
}

/* rows [r0, r0 + nb) of z into the block scratch (z and z² in double) */
static void load_block(Mixture *mx, const float *z, int r0, int nb) {
  const int L = mx->L;
  for (size_t i = 0; i < (size_t)nb * L; i++) {
    const double v = z[(size_t)r0 * L + i];
    mx->zb[i] = v;
    mx->z2b[i] = v * v;
  }
}

int mixture_logp_rows(Mixture *mx, const float *z, int rows, double *logp, int keep) {
  const int K = mx->K, L = mx->L;
  if (keep) {
    free(mx->resp);
    mx->resp = malloc(sizeof(float) * (size_t)rows * K);
    if (!mx->resp) return -1;
  }
  for (int r0 = 0; r0 < rows; r0 += NB) {
    const int nb = rows - r0 < NB ? rows - r0 : NB;
    load_block(mx, z, r0, nb);
    double *S = mx->s;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, K, L, 1.0, mx->z2b, L, mx->iv, L, 0.0, S, K);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nb, K, L, -2.0, mx->zb, L, mx->a, L, 1.0, S, K);
    for (int i = 0; i < nb; i++) {
      double *lp = S + (size_t)i * K;
      const double l = lse_row(lp, mx->logPi, mx->c, K, mx->e);
      logp[r0 + i] = l;
      if (keep) resp_row(lp, l, K, mx->resp + (size_t)(r0 + i) * K);
    }
  }
  return 0;
}

void mixture_backward_rows(Mixture *mx, const float *z, int rows, const double *w, float coef, float *dz) {
  const int K = mx->K, L = mx->L;
  const size_t KL = (size_t)K * L;
  memset(mx->gz, 0, sizeof(double) * (2 * KL + K));
  double gsum = 0;
  for (int r0 = 0; r0 < rows; r0 += NB) {
    const int nb = rows - r0 < NB ? rows - r0 : NB;
    load_block(mx, z, r0, nb);
    double *G = mx->s;
    for (int i = 0; i < nb; i++) {
      const double gi = coef * (float)w[r0 + i];
      const float *resp = mx->resp + (size_t)(r0 + i) * K;
      double *Gi = G + (size_t)i * K;
      for (int k = 0; k < K; k++) {
        Gi[k] = gi * resp[k];
        mx->gs[k] += Gi[k];
      }
      gsum += gi;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nb, L, K, 1.0, G, K, mx->iv, L, 0.0, mx->t1, L);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nb, L, K, 1.0, G, K, mx->a, L, 0.0, mx->t2, L);
    for (size_t i = 0; i < (size_t)nb * L; i++) dz[(size_t)r0 * L + i] -= (float)(mx->zb[i] * mx->t1[i] - mx->t2[i]);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, L, nb, 1.0, G, K, mx->zb, L, 1.0, mx->gz, L);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, L, nb, 1.0, G, K, mx->z2b, L, 1.0, mx->gz2, L);
  }
  for (int k = 0; k < K; k++) {
    const double gs = mx->gs[k];
    for (int d = 0; d < L; d++) {
      const size_t i = (size_t)k * L + d;
      const double m = mx->means[i], iv = mx->iv[i];
      mx->dMeans[i] += (float)(iv * (mx->gz[i] - m * gs));
      mx->dLogvars[i] += (float)(0.5 * (iv * (mx->gz2[i] - 2.0 * m * mx->gz[i] + m * m * gs) - gs));
    }
    if (mx->dLogits) mx->dLogits[k] += (float)(gs - exp(mx->logPi[k]) * gsum);
  }
}
