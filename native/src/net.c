/*
 * The network, configured from the layer description (src/models/layers.ts, encoded by
 * src/engine/native/netSpec.ts): no model names here, only layers.
 *
 * spec (Int32Array): [2, H, W, C, latent, likelihood, priorK, nEnc, records…, nDec, records…]
 * likelihood: 0 Gaussian (fixed σ²), 1 Bernoulli, 2 σ-VAE Gaussian (optimal σ² per image), 3 continuous Bernoulli
 * priorK: 0 the standard normal, K > 0 a mixture of K Gaussians, −K a VampPrior of K pseudo-inputs
 * record (9 ints): [type, activation, out, k, s, padTop, padLeft, padBottom, padRight]
 *   dense   out = units (the input is flattened: NHWC needs no copy)
 *   conv    out = filters, k×k window, stride s, explicit zero padding
 *   deconv  out = filters; the transpose of a conv with the same k, s and padding
 *   reshape out = channels, k = height, s = width
 * The encoder's records map x to the features; the mu and logvar heads are dense and linear
 * (features → latent); the decoder's records map z to the likelihood's parameters.
 * Parameters, in tfjs's order: per layer kernel then bias (encoder, mu, logvar, decoder), then
 * the mixture prior's logits [K], means [K, L] and log-variances [K, L] when priorK > 0, or the
 * VampPrior's pseudo-inputs [K, H, W, C] when priorK < 0 (prior_vamp.c).
 */
#include <stdlib.h>
#include <string.h>
#include "vae.h"

#define REC 9

static int add_param(Net *net, size_t size) {
  if (net->nParams >= MAX_PARAMS) return -1;
  net->paramSize[net->nParams] = size;
  net->paramOffset[net->nParams] = net->totalParams;
  net->totalParams += size;
  return net->nParams++;
}

static int dense_layer(Net *net, Layer *L, int in, int out, int act) {
  memset(L, 0, sizeof *L);
  L->type = L_DENSE;
  L->act = act;
  L->in = L->ci = in;
  L->out = L->co = out;
  L->w = add_param(net, (size_t)in * out);
  L->bias = add_param(net, out);
  return L->w < 0 || L->bias < 0 ? -1 : 0;
}

/* Reads n records into layers, from the shape (h, w, c); returns 0 or sets *err. */
static int read_layers(Net *net, const int32_t *r, int n, Layer *layers, int *count, int *h, int *w, int *c, const char **err) {
  for (int i = 0; i < n; i++, r += REC) {
    const int type = r[0], act = r[1], out = r[2], k = r[3], s = r[4], top = r[5], left = r[6], bottom = r[7], right = r[8];
    if (act < ACT_LINEAR || act > ACT_SIGMOID || out <= 0) { *err = "bad layer record"; return -1; }
    if (type == L_RESHAPE) {
      if ((long)out * k * s != (long)*h * *w * *c) { *err = "reshape changes the size"; return -1; }
      *c = out; *h = k; *w = s;
      continue;
    }
    if (*count >= MAX_LAYERS) { *err = "too many layers"; return -1; }
    Layer *L = &layers[(*count)++];
    if (type == L_DENSE) {
      if (dense_layer(net, L, *h * *w * *c, out, act)) { *err = "too many parameters"; return -1; }
      *h = 1; *w = 1; *c = out;
      continue;
    }
    if ((type != L_CONV && type != L_DECONV) || k <= 0 || s <= 0 || top < 0 || left < 0 || bottom < 0 || right < 0) {
      *err = "bad layer record"; return -1;
    }
    memset(L, 0, sizeof *L);
    L->type = type; L->act = act; L->ci = *c; L->co = out;
    L->in = *h * *w * *c;
    net->hasConv = 1;
    if (type == L_CONV) {
      const int OH = (*h + top + bottom - k) / s + 1, OW = (*w + left + right - k) / s + 1;
      if (OH <= 0 || OW <= 0) { *err = "convolution window larger than its input"; return -1; }
      L->geo = (Geo){.H = *h, .W = *w, .C = *c, .k = k, .s = s, .top = top, .left = left, .OH = OH, .OW = OW};
      L->colLen = OH * OW * k * k * *c;
      *h = OH; *w = OW; *c = out;
      L->w = add_param(net, (size_t)k * k * L->ci * out);
    } else {
      const int H2 = (*h - 1) * s + k - top - bottom, W2 = (*w - 1) * s + k - left - right;
      if (H2 <= 0 || W2 <= 0 || (H2 + top + bottom - k) / s + 1 != *h || (W2 + left + right - k) / s + 1 != *w) {
        *err = "bad transposed convolution geometry"; return -1;
      }
      L->geo = (Geo){.H = H2, .W = W2, .C = out, .k = k, .s = s, .top = top, .left = left, .OH = *h, .OW = *w};
      L->colLen = *h * *w * k * k * out;
      *h = H2; *w = W2; *c = out;
      L->w = add_param(net, (size_t)k * k * out * L->ci);
    }
    L->out = *h * *w * *c;
    L->bias = add_param(net, out);
    if (L->w < 0 || L->bias < 0) { *err = "too many parameters"; return -1; }
  }
  return 0;
}

void free_net(Net *net) {
  for (int t = 0; t < MAX_THREADS; t++) {
    Work *w = &net->work[t];
    for (int i = 0; i <= MAX_LAYERS; i++) { free(w->act[i]); free(w->dec[i]); }
    free(w->col); free(w->dA); free(w->dB);
    free(w->mu); free(w->lv); free(w->std); free(w->dmu); free(w->dlv); free(w->z); free(w->dz);
    free(w->rowPx); free(w->rowPz); free(w->rowQ); free(w->rowW); free(w->resp);
  }
  for (int i = 0; i < net->nSlots; i++) free(net->slot[i]);
  vamp_free(net->vamp);
  free(net->slot); free(net->slotStats); free(net->slotKlDim);
  free(net);
}

int ensure_slots(Net *net, int n) {
  if (n <= net->nSlots) return 0;
  float **slot = realloc(net->slot, sizeof(float *) * n);
  if (!slot) return -1;
  net->slot = slot;
  double *st = realloc(net->slotStats, sizeof(double) * 3 * n);
  if (!st) return -1;
  net->slotStats = st;
  double *kd = realloc(net->slotKlDim, sizeof(double) * net->latent * n);
  if (!kd) return -1;
  net->slotKlDim = kd;
  for (int i = net->nSlots; i < n; i++) {
    slot[i] = malloc(sizeof(float) * net->totalParams);
    if (!slot[i]) return -1;
    net->nSlots = i + 1;
  }
  return 0;
}

int chunk_examples(const Net *net, int batch, int k, int requested) {
  /* conv models in chunks of 16 images (their activations stay in the core's L2 and the threads
   * balance), MLPs in two halves of the batch up to 64 (bigger GEMMs for the weight gradients) */
  int c = requested >= 1 ? requested : net->hasConv ? 16 : (batch + 1) / 2;
  if (c > net->maxChunk) c = net->maxChunk;
  if ((long)c * k > net->rowsCap) c = net->rowsCap / k;
  if (c < 1) c = 1;
  if (c > batch) c = batch;
  return c;
}

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

Net *make_net(const int32_t *spec, int len, int maxBatch, int maxK, int threads, const char **err) {
  if (len < 9 || spec[0] != 2) { *err = "spec: not a version-2 layer description"; return NULL; }
  Net *net = calloc(1, sizeof(Net));
  if (!net) { *err = "out of memory"; return NULL; }
  net->H = spec[1]; net->W = spec[2]; net->C = spec[3]; net->latent = spec[4]; net->lik = spec[5]; net->priorK = spec[6];
  net->D = net->H * net->W * net->C;
  const int nEnc = spec[7], vampK = net->priorK < 0 ? -net->priorK : 0;
  if (vampK) net->priorK = 0;
  if (net->H <= 0 || net->W <= 0 || net->C <= 0 || net->latent <= 0 || net->priorK < 0 || maxK < 1 ||
      net->lik < LIK_GAUSSIAN || net->lik > LIK_CONT_BERNOULLI || nEnc < 0 || len < 9 + nEnc * REC) {
    *err = "bad spec"; free(net); return NULL;
  }
  const int nDec = spec[8 + nEnc * REC];
  if (nDec < 1 || len != 9 + (nEnc + nDec) * REC) { *err = "bad spec length"; free(net); return NULL; }
  int h = net->H, w = net->W, c = net->C;
  if (read_layers(net, spec + 8, nEnc, net->enc, &net->nEnc, &h, &w, &c, err)) { free_net(net); return NULL; }
  const int feat = h * w * c;
  if (dense_layer(net, &net->muL, feat, net->latent, ACT_LINEAR) || dense_layer(net, &net->lvL, feat, net->latent, ACT_LINEAR)) {
    *err = "too many parameters"; free_net(net); return NULL;
  }
  h = 1; w = 1; c = net->latent;
  if (read_layers(net, spec + 9 + nEnc * REC, nDec, net->dec, &net->nDec, &h, &w, &c, err)) { free_net(net); return NULL; }
  if (h * w * c != net->D || (w > 1 && (h != net->H || w != net->W || c != net->C))) { *err = "decoder output shape differs from the input's"; free_net(net); return NULL; }
  if (net->priorK > 0) {
    net->prLogits = add_param(net, net->priorK);
    net->prMeans = add_param(net, (size_t)net->priorK * net->latent);
    net->prLogvars = add_param(net, (size_t)net->priorK * net->latent);
    if (net->prLogvars < 0) { *err = "too many parameters"; free_net(net); return NULL; }
  }
  if (vampK && (net->prU = add_param(net, (size_t)vampK * net->D)) < 0) { *err = "too many parameters"; free_net(net); return NULL; }

  net->threads = threads;
  net->maxBatch = maxBatch;
  net->maxChunk = maxBatch < MAX_CHUNK ? maxBatch : MAX_CHUNK;
  size_t encAct = net->D, encCol = 0, decAct = net->latent, decCol = 0, decSum = 0;
  for (int i = 0; i < net->nEnc; i++) { encAct = max_size(encAct, net->enc[i].out); encCol = max_size(encCol, net->enc[i].colLen); }
  encAct = max_size(encAct, net->muL.ci);
  for (int i = 0; i < net->nDec; i++) { decAct = max_size(decAct, net->dec[i].out); decCol = max_size(decCol, net->dec[i].colLen); decSum += net->dec[i].out; }
  /* rows (example × sample) per chunk: at least one example's k samples, else what fits the budget */
  const size_t perRow = decSum + decCol + 2 * decAct + 2 * (size_t)net->latent + 8;
  long cap = ROW_BUDGET / (long)perRow;
  if (cap < MAX_CHUNK) cap = MAX_CHUNK;
  if (cap > (long)net->maxChunk * maxK) cap = (long)net->maxChunk * maxK;
  if (cap < maxK) cap = maxK;
  net->rowsCap = (int)cap;
  const size_t B = net->maxChunk, R = net->rowsCap, Lz = net->latent, K = net->priorK > 0 ? net->priorK : 1;
  net->encMaxAct = encAct;
  net->maxAct = max_size(B * encAct, R * decAct);
  net->maxCol = max_size(B * encCol, R * decCol);
  for (int t = 0; t < threads; t++) {
    Work *wk = &net->work[t];
    int ok = 1;
    for (int i = 0; i < net->nEnc; i++) ok &= (wk->act[i + 1] = malloc(sizeof(float) * B * net->enc[i].out)) != NULL;
    for (int i = 0; i < net->nDec; i++) ok &= (wk->dec[i + 1] = malloc(sizeof(float) * R * net->dec[i].out)) != NULL;
    ok &= (wk->col = malloc(sizeof(float) * (net->maxCol + 1))) != NULL;
    ok &= (wk->dA = malloc(sizeof(float) * net->maxAct)) != NULL;
    ok &= (wk->dB = malloc(sizeof(float) * net->maxAct)) != NULL;
    ok &= (wk->mu = malloc(sizeof(float) * B * Lz)) != NULL;
    ok &= (wk->lv = malloc(sizeof(float) * B * Lz)) != NULL;
    ok &= (wk->std = malloc(sizeof(float) * B * Lz)) != NULL;
    ok &= (wk->dmu = malloc(sizeof(float) * B * Lz)) != NULL;
    ok &= (wk->dlv = malloc(sizeof(float) * B * Lz)) != NULL;
    ok &= (wk->z = malloc(sizeof(float) * R * Lz)) != NULL;
    ok &= (wk->dz = malloc(sizeof(float) * R * Lz)) != NULL;
    ok &= (wk->rowPx = malloc(sizeof(double) * R)) != NULL;
    ok &= (wk->rowPz = malloc(sizeof(double) * R)) != NULL;
    ok &= (wk->rowQ = malloc(sizeof(double) * R)) != NULL;
    ok &= (wk->rowW = malloc(sizeof(double) * R)) != NULL;
    ok &= (wk->resp = malloc(sizeof(float) * K)) != NULL;
    if (!ok) { *err = "out of memory"; free_net(net); return NULL; }
  }
  if (vampK && vamp_create(net, vampK, err)) { free_net(net); return NULL; }
  return net;
}

/* Forward of one layer for b examples (or rows): in -> y (col is scratch). */
void layer_forward(const float *const *param, const Layer *L, int b, const float *in, float *y, float *col) {
  const float *W = param[L->w], *bias = param[L->bias];
  const int kk = L->geo.k * L->geo.k;
  if (L->type == L_DENSE) {
    gemm_dense(0, 0, b, L->co, L->ci, in, W, y, 0);
    bias_act(y, bias, b, L->co, L->act);
  } else if (L->type == L_CONV) {
    const int rows = b * L->geo.OH * L->geo.OW;
    if (!dconv_use(0, &L->geo, L->co) || dconv_forward(&L->geo, L->co, b, in, W, y)) {
      im2col(&L->geo, b, in, col);
      gemm(0, 0, rows, L->co, kk * L->ci, col, W, y, 0);
    }
    bias_act(y, bias, rows, L->co, L->act);
  } else {
    const int rows = b * L->geo.OH * L->geo.OW;
    /* the backward-data of the conv reading y (weights [k, k, co, ci]), else
     * cols[(n,i,j), (kh,kw,co)] = Σ_ci in[(n,i,j), ci] · F[kh,kw,co,ci] */
    if (!dconv_use(1, &L->geo, L->ci) || dconv_backward_data(&L->geo, L->ci, b, in, W, y)) {
      gemm(0, 1, rows, kk * L->co, L->ci, in, W, col, 0);
      col2im(&L->geo, b, col, y);
    }
    bias_act(y, bias, b * L->geo.H * L->geo.W, L->co, L->act);
  }
}

/* Backward of one layer: dy (gradient w.r.t. the activation's output y, overwritten by the
 * pre-activation gradient) -> parameter gradients (written into grad) and, if din, the gradient
 * w.r.t. the input. */
void layer_backward(const Net *net, const float *const *param, const Layer *L, int b, const float *in, const float *y,
                    float *dy, float *din, float *col, float *grad) {
  const float *W = param[L->w];
  float *dW = grad + net->paramOffset[L->w], *db = grad + net->paramOffset[L->bias];
  const int kk = L->geo.k * L->geo.k;
  act_grad(dy, y, (size_t)b * L->out, L->act);
  if (L->type == L_DENSE) {
    gemm_dense(1, 0, L->ci, L->co, b, in, dy, dW, 0);
    bias_grad(dy, b, L->co, db, 0);
    if (din) gemm_dense(0, 1, b, L->ci, L->co, dy, W, din, 0);
  } else if (L->type == L_CONV) {
    const int rows = b * L->geo.OH * L->geo.OW, K = kk * L->ci;
    if (!dconv_use(2, &L->geo, L->co) || dconv_backward_weights(&L->geo, L->co, b, in, dy, dW)) {
      im2col(&L->geo, b, in, col); /* the forward's columns were overwritten by later layers */
      gemm(1, 0, K, L->co, rows, col, dy, dW, 0);
    }
    bias_grad(dy, rows, L->co, db, 0);
    if (din && (!dconv_use(1, &L->geo, L->co) || dconv_backward_data(&L->geo, L->co, b, dy, W, din))) {
      gemm(0, 1, rows, K, L->co, dy, W, col, 0);
      col2im(&L->geo, b, col, din);
    }
  } else {
    const int rows = b * L->geo.OH * L->geo.OW, N = kk * L->co;
    bias_grad(dy, b * L->geo.H * L->geo.W, L->co, db, 0);
    /* as the conv reading y: dW its backward-weights (image dy, grid in), din its forward of dy */
    int haveCol = 0;
    if (!dconv_use(2, &L->geo, L->ci) || dconv_backward_weights(&L->geo, L->ci, b, dy, in, dW)) {
      im2col(&L->geo, b, dy, col); /* dcols [rows, k²·Co] */
      haveCol = 1;
      gemm(1, 0, N, L->ci, rows, col, in, dW, 0);
    }
    if (din && (!dconv_use(0, &L->geo, L->ci) || dconv_forward(&L->geo, L->ci, b, dy, W, din))) {
      if (!haveCol) im2col(&L->geo, b, dy, col);
      gemm(0, 0, rows, L->ci, N, col, W, din, 0);
    }
  }
}
