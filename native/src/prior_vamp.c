/*
 * The VampPrior (Tomczak & Welling 2018) as src/math/prior.ts defines it:
 *
 *   p(z) = 1/K Σ_k N(z; mu(ũ_k), diag exp(logvar(ũ_k))),   ũ_k = clip(u_k, 0, 1),
 *
 * mu and logvar being the VAE's own encoder and heads, u [K, H, W, C] a parameter trained by Adam
 * with the rest (the last one, after the decoder's, as tfjs orders the VAE's weights).
 *
 * A step runs in three parallel phases around the data chunks (objective.c):
 *   vamp_forward   the encoder at the K pseudo-inputs, in chunks of pseudo-inputs; activations kept
 *                  for the backward, the components mu_k, logvar_k for the data chunks;
 *   (data chunks)  log p(z) as an equal-weight mixture of the components; each chunk adds
 *                  ∂loss/∂mu_k and ∂loss/∂logvar_k into its own dComp;
 *   vamp_backward  per chunk of pseudo-inputs: the dComp of all data chunks summed in chunk order,
 *                  back through the heads and the encoder: the encoder's weight gradients into the
 *                  chunk's own slot, ∂loss/∂u (masked where u is outside [0, 1], as tfjs's
 *                  clipByValue gradient: 0 <= u <= 1 passes) into its rows of data slot 0; then the
 *                  slots are added into data slot 0 in chunk order.
 * Chunk sizes depend on K, the batch bound and the model alone, every sum runs in a fixed order:
 * the same bits whatever the threads.
 */
#include <stdlib.h>
#include <string.h>
#include "vae.h"

int vamp_create(Net *net, int K, const char **err) {
  Vamp *v = calloc(1, sizeof(Vamp));
  if (!v) { *err = "out of memory"; return -1; }
  net->vamp = v;
  v->K = K;
  /* pseudo-inputs per chunk: as the data chunks' default (set by K and the model alone, with
   * per-thread scratch of their own, so neither the batch bound nor the threads change the bits) */
  v->chunk = net->hasConv ? 16 : 64;
  if (v->chunk > K) v->chunk = K;
  v->nChunks = (K + v->chunk - 1) / v->chunk;
  v->encParams = net->paramOffset[net->lvL.bias] + net->paramSize[net->lvL.bias];
  const size_t L = net->latent;
  int ok = (v->uc = malloc(sizeof(float) * (size_t)K * net->D)) != NULL;
  for (int i = 0; i < net->nEnc; i++) ok &= (v->act[i + 1] = malloc(sizeof(float) * (size_t)K * net->enc[i].out)) != NULL;
  ok &= (v->mu = malloc(sizeof(float) * K * L)) != NULL;
  ok &= (v->lv = malloc(sizeof(float) * K * L)) != NULL;
  ok &= (v->pslot = calloc(v->nChunks, sizeof(float *))) != NULL;
  /* per thread: dA, dB [chunk, encoder's widest activation], dmu, dlv [chunk, L], col [chunk, widest columns] */
  size_t act = net->D, col = 0;
  for (int i = 0; i < net->nEnc; i++) {
    if ((size_t)net->enc[i].in > act) act = net->enc[i].in;
    if ((size_t)net->enc[i].out > act) act = net->enc[i].out;
    if ((size_t)net->enc[i].colLen > col) col = net->enc[i].colLen;
  }
  const size_t C = v->chunk;
  v->scrAct = C * act;
  for (int t = 0; ok && t < net->threads; t++) ok &= (v->scr[t] = malloc(sizeof(float) * (2 * C * act + 2 * C * L + C * col + 1))) != NULL;
  if (!ok) { *err = "out of memory"; return -1; }
  return 0;
}

void vamp_free(Vamp *v) {
  if (!v) return;
  free(v->uc);
  for (int i = 0; i <= MAX_LAYERS; i++) free(v->act[i]);
  free(v->mu); free(v->lv); free(v->dComp);
  if (v->pslot) for (int p = 0; p < v->nChunks; p++) free(v->pslot[p]);
  free(v->pslot);
  for (int t = 0; t < MAX_THREADS; t++) free(v->scr[t]);
  free(v);
}

int vamp_prepare(Net *net, int nChunks, int train) {
  Vamp *v = net->vamp;
  /* the pseudo-input chunks' gradient slots, made by the first training step */
  for (int p = 0; train && p < v->nChunks; p++)
    if (!v->pslot[p] && !(v->pslot[p] = malloc(sizeof(float) * v->encParams))) return -1;
  if (nChunks <= v->nData) return 0;
  float *d = realloc(v->dComp, sizeof(float) * 2 * (size_t)v->K * net->latent * nChunks);
  if (!d) return -1;
  v->dComp = d;
  v->nData = nChunks;
  return 0;
}

/* rows [start, start + b) of the pseudo-inputs */
static int rows_of(const Vamp *v, int p, int *start) {
  *start = p * v->chunk;
  return v->K - *start < v->chunk ? v->K - *start : v->chunk;
}

static void forward_task(void *arg, int tid) {
  Step *st = arg;
  Net *net = st->net;
  Vamp *v = net->vamp;
  float *col = v->scr[tid] + 2 * v->scrAct + 2 * (size_t)v->chunk * net->latent;
  const int D = net->D, L = net->latent;
  for (;;) {
    const int p = atomic_fetch_add(&v->next, 1);
    if (p >= v->nChunks) break;
    int s;
    const int b = rows_of(v, p, &s);
    const float *u = st->param[net->prU] + (size_t)s * D;
    float *uc = v->uc + (size_t)s * D;
    for (size_t i = 0; i < (size_t)b * D; i++) uc[i] = u[i] < 0.0f ? 0.0f : u[i] > 1.0f ? 1.0f : u[i];
    const float *h = uc;
    for (int i = 0; i < net->nEnc; i++) {
      float *y = v->act[i + 1] + (size_t)s * net->enc[i].out;
      layer_forward(st->param, &net->enc[i], b, h, y, col);
      h = y;
    }
    layer_forward(st->param, &net->muL, b, h, v->mu + (size_t)s * L, NULL);
    layer_forward(st->param, &net->lvL, b, h, v->lv + (size_t)s * L, NULL);
  }
}

void vamp_forward(Step *st) {
  atomic_store(&st->net->vamp->next, 0);
  pool_run(forward_task, st);
}

static void backward_task(void *arg, int tid) {
  Step *st = arg;
  Net *net = st->net;
  Vamp *v = net->vamp;
  const int D = net->D, L = net->latent, K = v->K;
  float *dA = v->scr[tid], *dB = dA + v->scrAct, *dmu = dB + v->scrAct, *dlv = dmu + (size_t)v->chunk * L, *col = dlv + (size_t)v->chunk * L;
  const float *const *P = st->param;
  for (;;) {
    const int p = atomic_fetch_add(&v->next, 1);
    if (p >= v->nChunks) break;
    int s;
    const int b = rows_of(v, p, &s);
    /* ∂loss/∂mu_k and ∂loss/∂logvar_k of these rows: the data chunks' parts in chunk order */
    const size_t n = (size_t)b * L, off = (size_t)s * L, comp = (size_t)K * L;
    memcpy(dmu, v->dComp + off, sizeof(float) * n);
    memcpy(dlv, v->dComp + comp + off, sizeof(float) * n);
    for (int c = 1; c < st->nChunks; c++) {
      add_into(dmu, v->dComp + 2 * comp * c + off, n);
      add_into(dlv, v->dComp + 2 * comp * c + comp + off, n);
    }
    float *grad = v->pslot[p];
    const float *uc = v->uc + (size_t)s * D;
    const float *h = net->nEnc > 0 ? v->act[net->nEnc] + (size_t)s * net->enc[net->nEnc - 1].out : uc;
    float *dh = dA, *tmp = dB;
    layer_backward(net, P, &net->muL, b, h, v->mu + off, dmu, dh, NULL, grad);
    layer_backward(net, P, &net->lvL, b, h, v->lv + off, dlv, tmp, NULL, grad);
    add_into(dh, tmp, (size_t)b * net->lvL.ci);
    float *dcur = dh, *dnext = tmp;
    for (int i = net->nEnc - 1; i >= 0; i--) {
      const float *in = i > 0 ? v->act[i] + (size_t)s * net->enc[i - 1].out : uc;
      layer_backward(net, P, &net->enc[i], b, in, v->act[i + 1] + (size_t)s * net->enc[i].out, dcur, dnext, col, grad);
      float *t = dcur; dcur = dnext; dnext = t;
    }
    /* through the clip, into data slot 0 (whose rows of u the data chunk zeroed) */
    const float *u = P[net->prU] + (size_t)s * D;
    float *du = net->slot[0] + net->paramOffset[net->prU] + (size_t)s * D;
    for (size_t i = 0; i < (size_t)b * D; i++) du[i] = u[i] >= 0.0f && u[i] <= 1.0f ? dcur[i] : 0.0f;
  }
}

/* data slot 0 += the pseudo-input chunks' encoder gradients, in chunk order, each thread on its range */
static void reduce_task(void *arg, int tid) {
  Step *st = arg;
  Net *net = st->net;
  Vamp *v = net->vamp;
  const size_t lo = v->encParams * tid / net->threads, hi = v->encParams * (tid + 1) / net->threads;
  if (lo >= hi) return;
  for (int p = 0; p < v->nChunks; p++) add_into(net->slot[0] + lo, v->pslot[p] + lo, hi - lo);
}

void vamp_backward(Step *st) {
  atomic_store(&st->net->vamp->next, 0);
  pool_run(backward_task, st);
  pool_run(reduce_task, st);
}
