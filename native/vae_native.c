/*
 * vae_native: one fused VAE training step in C for the two model families of src/models/build.ts
 * (conv: zero-pad 1 + conv k3 s2 ReLU stages, dense mu/logvar, dense ReLU, transposed convs k4 s2
 * 'same'; mlp: dense layers with relu/tanh/leakyRelu(0.2)), the single-sample −ELBO (Gaussian with
 * fixed σ² or Bernoulli from logits; analytic or Monte-Carlo KL, weight β) and tfjs's Adam update.
 *
 * Why a fused step and not per-op kernels: a tfjs training step of the MLP VAE dispatches ~340
 * kernels (the conv VAE ~570), ~7 µs each on the wasm backend before any arithmetic, which alone
 * exceeds the time budget of "1.5x PyTorch" for the MLP; and the probe in ARCHITECTURE.md showed
 * layout glue in JS costing a whole step. Here a step is one call.
 *
 * Layouts are tfjs's, so the weights are read where tfjs keeps them (no copies): dense kernels
 * [in, out], conv kernels [kh, kw, ci, co], transposed-conv kernels [kh, kw, co, ci], images NHWC.
 * Every GEMM goes to cblas_sgemm (OpenBLAS at one thread). Parallelism is ours: the batch is cut
 * into chunks that the threads of a small pool take in turn (data parallel: each thread has its
 * own activations and gradient sums), then the gradients are summed inside the Adam update, which
 * is itself split over the threads. Two parallel regions per step.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREADS 16
#define MAX_LAYERS 16
#define MAX_PARAMS (4 * MAX_LAYERS + 8)
#define MAX_CHUNK 64

/* ------------------------------------------------------------------ thread pool */

typedef void (*task_fn)(void *arg, int tid);

static struct {
  int n; /* threads including the caller */
  pthread_t threads[MAX_THREADS];
  pthread_mutex_t mu;
  pthread_cond_t wake, done;
  long generation;
  int pending;
  task_fn fn;
  void *arg;
  int started;
  pthread_mutex_t use; /* one parallel region at a time (several Node threads may share the pool) */
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER,
          .use = PTHREAD_MUTEX_INITIALIZER};

static void *worker_main(void *p) {
  int tid = (int)(intptr_t)p;
  long seen = 0;
  for (;;) {
    pthread_mutex_lock(&pool.mu);
    while (pool.generation == seen) pthread_cond_wait(&pool.wake, &pool.mu);
    seen = pool.generation;
    task_fn fn = pool.fn;
    void *arg = pool.arg;
    pthread_mutex_unlock(&pool.mu);
    fn(arg, tid);
    pthread_mutex_lock(&pool.mu);
    if (--pool.pending == 0) pthread_cond_signal(&pool.done);
    pthread_mutex_unlock(&pool.mu);
  }
  return NULL;
}

static int pool_start(int n) {
  if (pool.started) return pool.n;
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  pool.n = 1;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  for (int i = 1; i < n; i++) {
    if (pthread_create(&pool.threads[i], &attr, worker_main, (void *)(intptr_t)i) != 0) break;
    pool.n = i + 1;
  }
  pthread_attr_destroy(&attr);
  pool.started = 1;
  return pool.n;
}

/* Runs fn(arg, tid) on every thread of the pool (tid 0 is the caller) and waits for all. */
static void pool_run(task_fn fn, void *arg) {
  if (pool.n == 1) {
    fn(arg, 0);
    return;
  }
  pthread_mutex_lock(&pool.mu);
  pool.fn = fn;
  pool.arg = arg;
  pool.pending = pool.n - 1;
  pool.generation++;
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.mu);
  fn(arg, 0);
  pthread_mutex_lock(&pool.mu);
  while (pool.pending > 0) pthread_cond_wait(&pool.done, &pool.mu);
  pthread_mutex_unlock(&pool.mu);
}

/* ------------------------------------------------------------------ small kernels */

/* Element-wise loops compiled for AVX-512, AVX2 and the baseline, picked at load time (glibc
 * ifunc), so one build runs everywhere and uses the wide units where they exist. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HOT __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define HOT
#endif

/* exp(x) for x <= 0 without a library call, so the loops around it vectorise: x = n·ln2 + r with
 * |r| <= ln2/2 (ln2 split in two parts), exp(r) by its Taylor polynomial to r^7 (relative error
 * < 2e-7 on that range), times 2^n put into the exponent bits. exp(x) = 0 below -87. */
static inline float exp_nonpos(float x) {
  const float xc = x < -87.0f ? -87.0f : x;
  /* round to nearest by the 1.5·2^23 trick: plain float arithmetic, so the loop vectorises */
  const float n = (xc * 1.44269504f + 12582912.0f) - 12582912.0f;
  const float r = (xc - n * 0.693145752f) - n * 1.42860677e-6f;
  float p = 1.98412698e-4f;
  p = p * r + 1.38888889e-3f;
  p = p * r + 8.33333333e-3f;
  p = p * r + 4.16666667e-2f;
  p = p * r + 1.66666667e-1f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  union { float f; int32_t i; } scale = {.i = ((int32_t)n + 127) << 23};
  return x < -87.0f ? 0.0f : p * scale.f;
}

/* log(1 + t) for t in [0, 1], without a library call: u = 1 + t = m·2^e with m in [0.75, 1.5),
 * log m = 2·atanh(s), s = (m−1)/(m+1), |s| <= 0.2, by its series to s^9 (error < 1e-8); then the
 * rounding of 1 + t is corrected by (t − (u − 1))/u. */
static inline float log1p_unit(float t) {
  const float u = 1.0f + t;
  union { float f; int32_t i; } v = {.f = u};
  const int32_t big = v.i >= 0x3fc00000; /* u >= 1.5: take m = u/2 */
  v.i -= big << 23;
  const float m = v.f;
  const float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
  float p = 0.111111111f;
  p = p * s2 + 0.142857143f;
  p = p * s2 + 0.2f;
  p = p * s2 + 0.333333333f;
  p = p * s2 + 1.0f;
  const float logm = 2.0f * s * p;
  return logm + (float)big * 0.693147181f + (t - (u - 1.0f)) / u;
}

/* C[M,N] (=|+=) op(A)·op(B), row-major. */
static void gemm(int transA, int transB, int M, int N, int K, const float *A, const float *B, float *C, int accumulate) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate) memset(C, 0, sizeof(float) * (size_t)M * N);
    return;
  }
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A,
              transA ? M : K, B, transB ? K : N, accumulate ? 1.0f : 0.0f, C, N);
}

/* Geometry of one convolution seen from its "image" side: image [b, H, W, C] read by a k×k window
 * with stride s and padding (top, left) into an output grid OH×OW. */
typedef struct {
  int H, W, C, k, s, top, left, OH, OW;
} Geo;

/* col[(n,oh,ow), (kh,kw,c)] = img[n, oh·s+kh−top, ow·s+kw−left, c], zero outside the image.
 * For one (kh) the k·C values of the k taps are contiguous in the image row, so a window row is
 * one copy when it lies inside the image. */
HOT static void im2col(const Geo *g, int b, const float *img, float *col) {
  const int C = g->C, k = g->k, rowLen = k * k * C, seg = k * C;
  for (int n = 0; n < b; n++) {
    const float *im = img + (size_t)n * g->H * g->W * C;
    for (int oh = 0; oh < g->OH; oh++) {
      for (int ow = 0; ow < g->OW; ow++) {
        float *dst = col + (((size_t)n * g->OH + oh) * g->OW + ow) * rowLen;
        const int iw0 = ow * g->s - g->left;
        const int inside = iw0 >= 0 && iw0 + k <= g->W;
        for (int kh = 0; kh < k; kh++, dst += seg) {
          const int ih = oh * g->s + kh - g->top;
          if (ih < 0 || ih >= g->H) {
            memset(dst, 0, sizeof(float) * seg);
            continue;
          }
          const float *src = im + ((size_t)ih * g->W + iw0) * C;
          if (inside) {
            memcpy(dst, src, sizeof(float) * seg);
          } else {
            for (int kw = 0; kw < k; kw++) {
              const int iw = iw0 + kw;
              if (iw < 0 || iw >= g->W) memset(dst + kw * C, 0, sizeof(float) * C);
              else memcpy(dst + kw * C, src + kw * C, sizeof(float) * C);
            }
          }
        }
      }
    }
  }
}

/* The adjoint of im2col: img = Σ scatter(col) (img is overwritten). */
HOT static void col2im(const Geo *g, int b, const float *col, float *img) {
  const int C = g->C, k = g->k, rowLen = k * k * C, seg = k * C;
  memset(img, 0, sizeof(float) * (size_t)b * g->H * g->W * C);
  for (int n = 0; n < b; n++) {
    float *im = img + (size_t)n * g->H * g->W * C;
    for (int oh = 0; oh < g->OH; oh++) {
      for (int ow = 0; ow < g->OW; ow++) {
        const float *src = col + (((size_t)n * g->OH + oh) * g->OW + ow) * rowLen;
        const int iw0 = ow * g->s - g->left;
        const int inside = iw0 >= 0 && iw0 + k <= g->W;
        for (int kh = 0; kh < k; kh++, src += seg) {
          const int ih = oh * g->s + kh - g->top;
          if (ih < 0 || ih >= g->H) continue;
          float *dst = im + ((size_t)ih * g->W + iw0) * C;
          if (inside) {
            for (int i = 0; i < seg; i++) dst[i] += src[i];
          } else {
            for (int kw = 0; kw < k; kw++) {
              const int iw = iw0 + kw;
              if (iw < 0 || iw >= g->W) continue;
              for (int c = 0; c < C; c++) dst[kw * C + c] += src[kw * C + c];
            }
          }
        }
      }
    }
  }
}

enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_TANH = 2, ACT_LEAKY = 3, ACT_SIGMOID = 4 };

/* y[r, c] = act(y[r, c] + bias[c]) in place. */
HOT static void bias_act(float *y, const float *bias, int rows, int cols, int act) {
  for (int r = 0; r < rows; r++) {
    float *v = y + (size_t)r * cols;
    switch (act) {
      case ACT_RELU:
        for (int c = 0; c < cols; c++) { float t = v[c] + bias[c]; v[c] = t < 0.0f ? 0.0f : t; } /* NaN stays NaN */
        break;
      case ACT_TANH:
        for (int c = 0; c < cols; c++) v[c] = tanhf(v[c] + bias[c]);
        break;
      case ACT_LEAKY:
        for (int c = 0; c < cols; c++) { float t = v[c] + bias[c]; v[c] = t < 0.0f ? 0.2f * t : t; }
        break;
      case ACT_SIGMOID: /* 1/(1 + e^−a) for a >= 0, e^a/(1 + e^a) below: no overflow */
        for (int c = 0; c < cols; c++) {
          const float a = v[c] + bias[c];
          const float t = exp_nonpos(-fabsf(a));
          const float inv = 1.0f / (1.0f + t);
          v[c] = a >= 0 ? inv : t * inv;
        }
        break;
      default:
        for (int c = 0; c < cols; c++) v[c] += bias[c];
    }
  }
}

/* d[i] *= act'(pre-activation), computed from the activation's output y; ReLU: y > 0, as tfjs's
 * step(x) (0 at x = 0). */
HOT static void act_grad(float *d, const float *y, size_t n, int act) {
  switch (act) {
    case ACT_RELU:
      for (size_t i = 0; i < n; i++) d[i] = y[i] > 0.0f ? d[i] : 0.0f;
      break;
    case ACT_TANH:
      for (size_t i = 0; i < n; i++) d[i] *= 1.0f - y[i] * y[i];
      break;
    case ACT_LEAKY:
      for (size_t i = 0; i < n; i++) d[i] = y[i] > 0.0f ? d[i] : 0.2f * d[i];
      break;
    case ACT_SIGMOID:
      for (size_t i = 0; i < n; i++) d[i] *= y[i] * (1.0f - y[i]);
      break;
    default:
      break;
  }
}

/* db[c] (=|+=) Σ_r d[r, c] */
HOT static void bias_grad(const float *d, int rows, int cols, float *db, int accumulate) {
  if (!accumulate) memset(db, 0, sizeof(float) * cols);
  for (int r = 0; r < rows; r++) {
    const float *v = d + (size_t)r * cols;
    for (int c = 0; c < cols; c++) db[c] += v[c];
  }
}

/* ------------------------------------------------------------------ the network */

enum { KIND_MLP = 0, KIND_CONV = 1 };
enum { LIK_GAUSSIAN = 0, LIK_BERNOULLI = 1 };

/* One layer of the forward pass. Dense: x [b, in] -> y [b, out]. Conv (encoder, k3 s2 pad 1):
 * image [b, H, W, Ci] -> [b, OH, OW, Co] through im2col. Deconv (decoder, k4 s2 'same'): image
 * [b, h, w, Ci] -> [b, H, W, Co] through a GEMM into columns and col2im. */
enum { L_DENSE = 0, L_CONV = 1, L_DECONV = 2 };

typedef struct {
  int type, act;
  int in, out;   /* values per example of input and output */
  int ci, co;    /* channels (conv, deconv) or in/out units (dense) */
  Geo geo;       /* conv: the input image; deconv: the output image (a conv of k4 s2 reads it) */
  int colLen;    /* per example: conv OH·OW·9Ci, deconv h·w·16Co */
  int w, bias;   /* parameter indices */
} Layer;

typedef struct {
  float *act[MAX_LAYERS + 1]; /* act[0] is x; act[i+1] the output of layer i (encoder and decoder lists separately) */
  float *col;                 /* im2col buffer (largest layer) */
  float *dA, *dB;             /* two gradient buffers, each as large as the largest activation */
  float *mu, *lv, *z, *std, *dmu, *dlv, *dz, *dec[MAX_LAYERS + 1];
} Work;

typedef struct {
  int kind, H, W, C, D, latent, lik, hiddenAct;
  int nEnc, nDec;
  Layer enc[MAX_LAYERS], dec[MAX_LAYERS];
  Layer muL, lvL;
  int nParams;
  size_t paramSize[MAX_PARAMS], paramOffset[MAX_PARAMS], totalParams;
  int maxBatch, maxChunk, threads;
  size_t maxAct, maxCol;
  Work work[MAX_THREADS];
  /* one gradient slot per chunk of the batch, summed in chunk order: the result does not depend
   * on which thread ran which chunk (nor on the number of threads) */
  int nSlots;
  float **slot;
  double *slotRecon, *slotKl;
} Net;

/* Makes room for n chunk slots; 0 on success. */
static int ensure_slots(Net *net, int n) {
  if (n <= net->nSlots) return 0;
  float **slot = realloc(net->slot, sizeof(float *) * n);
  if (!slot) return -1;
  net->slot = slot;
  double *r = realloc(net->slotRecon, sizeof(double) * n);
  if (!r) return -1;
  net->slotRecon = r;
  double *k = realloc(net->slotKl, sizeof(double) * n);
  if (!k) return -1;
  net->slotKl = k;
  for (int i = net->nSlots; i < n; i++) {
    slot[i] = malloc(sizeof(float) * net->totalParams);
    if (!slot[i]) return -1;
    net->nSlots = i + 1;
  }
  return 0;
}

static int add_param(Net *net, size_t size) {
  if (net->nParams >= MAX_PARAMS) return -1;
  net->paramSize[net->nParams] = size;
  net->paramOffset[net->nParams] = net->totalParams;
  net->totalParams += size;
  return net->nParams++;
}

static void dense_layer(Net *net, Layer *L, int in, int out, int act) {
  memset(L, 0, sizeof *L);
  L->type = L_DENSE;
  L->act = act;
  L->in = L->ci = in;
  L->out = L->co = out;
  L->w = add_param(net, (size_t)in * out);
  L->bias = add_param(net, out);
}

static void free_net(Net *net) {
  for (int t = 0; t < MAX_THREADS; t++) {
    Work *w = &net->work[t];
    for (int i = 0; i <= MAX_LAYERS; i++) {
      if (i > 0) free(w->act[i]);
      free(w->dec[i]);
    }
    free(w->col); free(w->dA); free(w->dB);
    free(w->mu); free(w->lv); free(w->z); free(w->std); free(w->dmu); free(w->dlv); free(w->dz);
  }
  for (int i = 0; i < net->nSlots; i++) free(net->slot[i]);
  free(net->slot); free(net->slotRecon); free(net->slotKl);
  free(net);
}

/*
 * spec: [kind, H, W, C, latent, likelihood, hiddenActivation, n, sizes[n]...]
 * kind 0 (mlp): sizes are the hidden units; kind 1 (conv): the encoder filters.
 */
static Net *make_net(const int32_t *spec, int len, int maxBatch, int threads, const char **err) {
  if (len < 8) { *err = "spec too short"; return NULL; }
  Net *net = calloc(1, sizeof(Net));
  if (!net) { *err = "out of memory"; return NULL; }
  net->kind = spec[0]; net->H = spec[1]; net->W = spec[2]; net->C = spec[3];
  net->latent = spec[4]; net->lik = spec[5]; net->hiddenAct = spec[6];
  const int n = spec[7];
  net->D = net->H * net->W * net->C;
  if (len != 8 + n || n < 0 || n >= MAX_LAYERS - 1 || net->H <= 0 || net->W <= 0 || net->C <= 0 || net->latent <= 0 ||
      (net->kind != KIND_MLP && net->kind != KIND_CONV) || (net->lik != LIK_GAUSSIAN && net->lik != LIK_BERNOULLI)) {
    *err = "bad spec"; free(net); return NULL;
  }
  const int outAct = net->lik == LIK_GAUSSIAN ? ACT_SIGMOID : ACT_LINEAR;
  int feat = net->D;
  if (net->kind == KIND_MLP) {
    const int act = net->hiddenAct == 1 ? ACT_TANH : net->hiddenAct == 2 ? ACT_LEAKY : ACT_RELU;
    for (int i = 0; i < n; i++) { dense_layer(net, &net->enc[net->nEnc++], feat, spec[8 + i], act); feat = spec[8 + i]; }
    dense_layer(net, &net->muL, feat, net->latent, ACT_LINEAR);
    dense_layer(net, &net->lvL, feat, net->latent, ACT_LINEAR);
    int units = net->latent;
    for (int i = n - 1; i >= 0; i--) { dense_layer(net, &net->dec[net->nDec++], units, spec[8 + i], act); units = spec[8 + i]; }
    dense_layer(net, &net->dec[net->nDec++], units, net->D, outAct);
  } else {
    if (n < 1) { *err = "a conv model needs filters"; free(net); return NULL; }
    int h = net->H, w = net->W, c = net->C;
    for (int i = 0; i < n; i++) {
      Layer *L = &net->enc[net->nEnc++];
      const int f = spec[8 + i];
      L->type = L_CONV; L->act = ACT_RELU; L->ci = c; L->co = f;
      /* zeroPadding2d(1) then a valid k3 s2 convolution */
      L->geo = (Geo){.H = h, .W = w, .C = c, .k = 3, .s = 2, .top = 1, .left = 1, .OH = (h + 2 - 3) / 2 + 1, .OW = (w + 2 - 3) / 2 + 1};
      L->in = h * w * c;
      h = L->geo.OH; w = L->geo.OW; c = f;
      L->out = h * w * c;
      L->colLen = h * w * 9 * L->ci;
      L->w = add_param(net, (size_t)9 * L->ci * f);
      L->bias = add_param(net, f);
    }
    feat = h * w * c;
    dense_layer(net, &net->muL, feat, net->latent, ACT_LINEAR);
    dense_layer(net, &net->lvL, feat, net->latent, ACT_LINEAR);
    /* decoder: dense latent -> (H/2^n)(W/2^n)·last, ReLU, then transposed convs k4 s2 'same' */
    const int hs = net->H >> n, ws = net->W >> n;
    if (hs << n != net->H || ws << n != net->W) { *err = "image size not divisible by 2^stages"; free_net(net); return NULL; }
    dense_layer(net, &net->dec[net->nDec++], net->latent, hs * ws * c, ACT_RELU);
    h = hs; w = ws;
    for (int i = n - 1; i >= 0; i--) {
      const int f = i > 0 ? spec[8 + i - 1] : net->C;
      Layer *L = &net->dec[net->nDec++];
      L->type = L_DECONV; L->act = i > 0 ? ACT_RELU : outAct; L->ci = c; L->co = f;
      const int H2 = 2 * h, W2 = 2 * w;
      /* tfjs 'same' for the equivalent conv H2 -> h with k4 s2: pad total max((h-1)·2 + 4 - H2, 0), top = floor(total/2) */
      const int ph = (h - 1) * 2 + 4 - H2 > 0 ? (h - 1) * 2 + 4 - H2 : 0;
      const int pw = (w - 1) * 2 + 4 - W2 > 0 ? (w - 1) * 2 + 4 - W2 : 0;
      L->geo = (Geo){.H = H2, .W = W2, .C = f, .k = 4, .s = 2, .top = ph / 2, .left = pw / 2, .OH = h, .OW = w};
      L->in = h * w * c;
      L->out = H2 * W2 * f;
      L->colLen = h * w * 16 * f;
      L->w = add_param(net, (size_t)16 * f * c);
      L->bias = add_param(net, f);
      h = H2; w = W2; c = f;
    }
    if (h != net->H || w != net->W || c != net->C) { *err = "decoder output shape mismatch"; free_net(net); return NULL; }
  }
  if (net->nParams < 0 || net->totalParams == 0) { *err = "too many layers"; free_net(net); return NULL; }

  /* per-thread buffers for a chunk of maxChunk examples */
  net->threads = threads;
  net->maxBatch = maxBatch;
  /* chunks of at most 64 examples, whatever the thread count, so results do not depend on it */
  net->maxChunk = maxBatch < MAX_CHUNK ? maxBatch : MAX_CHUNK;
  size_t maxAct = net->D, maxCol = 0;
  for (int i = 0; i < net->nEnc; i++) { if ((size_t)net->enc[i].out > maxAct) maxAct = net->enc[i].out; if ((size_t)net->enc[i].colLen > maxCol) maxCol = net->enc[i].colLen; }
  for (int i = 0; i < net->nDec; i++) { if ((size_t)net->dec[i].out > maxAct) maxAct = net->dec[i].out; if ((size_t)net->dec[i].colLen > maxCol) maxCol = net->dec[i].colLen; }
  net->maxAct = maxAct;
  net->maxCol = maxCol;
  const size_t B = net->maxChunk, Lz = net->latent;
  for (int t = 0; t < threads; t++) {
    Work *wk = &net->work[t];
    int ok = 1;
    for (int i = 0; i < net->nEnc; i++) ok &= (wk->act[i + 1] = malloc(sizeof(float) * B * net->enc[i].out)) != NULL;
    for (int i = 0; i < net->nDec; i++) ok &= (wk->dec[i + 1] = malloc(sizeof(float) * B * net->dec[i].out)) != NULL;
    ok &= (wk->col = malloc(sizeof(float) * (B * maxCol + 1))) != NULL;
    ok &= (wk->dA = malloc(sizeof(float) * B * maxAct)) != NULL;
    ok &= (wk->dB = malloc(sizeof(float) * B * maxAct)) != NULL;
    ok &= (wk->mu = malloc(sizeof(float) * B * Lz)) != NULL;
    ok &= (wk->lv = malloc(sizeof(float) * B * Lz)) != NULL;
    ok &= (wk->z = malloc(sizeof(float) * B * Lz)) != NULL;
    ok &= (wk->std = malloc(sizeof(float) * B * Lz)) != NULL;
    ok &= (wk->dmu = malloc(sizeof(float) * B * Lz)) != NULL;
    ok &= (wk->dlv = malloc(sizeof(float) * B * Lz)) != NULL;
    ok &= (wk->dz = malloc(sizeof(float) * B * Lz)) != NULL;
    if (!ok) { *err = "out of memory"; free_net(net); return NULL; }
  }
  return net;
}

/* The step's inputs as pointers (valid during one call). */
typedef struct {
  Net *net;
  const float *param[MAX_PARAMS];
  const float *x, *xEnc, *eps; /* x: the likelihood's target; xEnc: what the encoder sees */
  int batch, chunk, nChunks;
  atomic_int nextChunk;
  double klBeta, sigma2;
  int klMonteCarlo;
  /* Adam (mode 1) or plain gradients (mode 0) */
  int mode;
  float *out[MAX_PARAMS], *m[MAX_PARAMS], *v[MAX_PARAMS], *mOut[MAX_PARAMS], *vOut[MAX_PARAMS];
  float lr, beta1, beta2, c1, c2, epsilon, oneMinusAcc1, oneMinusAcc2;
} Step;

/* Forward of one layer for b examples: in -> y (col is scratch). */
static void layer_forward(const Step *st, const Layer *L, int b, const float *in, float *y, float *col) {
  const float *W = st->param[L->w], *bias = st->param[L->bias];
  if (L->type == L_DENSE) {
    gemm(0, 0, b, L->co, L->ci, in, W, y, 0);
    bias_act(y, bias, b, L->co, L->act);
  } else if (L->type == L_CONV) {
    const int rows = b * L->geo.OH * L->geo.OW;
    im2col(&L->geo, b, in, col);
    gemm(0, 0, rows, L->co, 9 * L->ci, col, W, y, 0);
    bias_act(y, bias, rows, L->co, L->act);
  } else {
    const int rows = b * L->geo.OH * L->geo.OW;
    /* cols[(n,i,j), (kh,kw,co)] = Σ_ci in[(n,i,j), ci] · F[kh,kw,co,ci] */
    gemm(0, 1, rows, 16 * L->co, L->ci, in, W, col, 0);
    col2im(&L->geo, b, col, y);
    bias_act(y, bias, b * L->geo.H * L->geo.W, L->co, L->act);
  }
}

/* Backward of one layer: dy (gradient w.r.t. the activation's output y, overwritten by the
 * pre-activation gradient) -> parameter gradients (summed into grad) and, if din, the gradient
 * w.r.t. the input. */
static void layer_backward(const Step *st, const Layer *L, int b, const float *in, const float *y, float *dy, float *din,
                           float *col, float *grad, int accumulate) {
  const Net *net = st->net;
  const float *W = st->param[L->w];
  float *dW = grad + net->paramOffset[L->w], *db = grad + net->paramOffset[L->bias];
  act_grad(dy, y, (size_t)b * L->out, L->act);
  if (L->type == L_DENSE) {
    gemm(1, 0, L->ci, L->co, b, in, dy, dW, accumulate);
    bias_grad(dy, b, L->co, db, accumulate);
    if (din) gemm(0, 1, b, L->ci, L->co, dy, W, din, 0);
  } else if (L->type == L_CONV) {
    const int rows = b * L->geo.OH * L->geo.OW, K = 9 * L->ci;
    im2col(&L->geo, b, in, col); /* the forward's columns were overwritten by later layers */
    gemm(1, 0, K, L->co, rows, col, dy, dW, accumulate);
    bias_grad(dy, rows, L->co, db, accumulate);
    if (din) {
      gemm(0, 1, rows, K, L->co, dy, W, col, 0);
      col2im(&L->geo, b, col, din);
    }
  } else {
    const int rows = b * L->geo.OH * L->geo.OW, N = 16 * L->co;
    bias_grad(dy, b * L->geo.H * L->geo.W, L->co, db, accumulate);
    im2col(&L->geo, b, dy, col); /* dcols [rows, 16·Co] */
    gemm(1, 0, N, L->ci, rows, col, in, dW, accumulate);
    if (din) gemm(0, 0, rows, L->ci, N, col, W, din, 0);
  }
}

/* Sums below: 16 float lanes per block of 1024 values (so the loops vectorise without
 * reassociating anything), blocks summed in double. */
#define LANES 16
#define BLOCK 1024

/* Σ (out − x)² and d = (out − x)·scale */
HOT static double gaussian_loss(const float *out, const float *x, float *d, size_t n, float scale) {
  double sum = 0;
  size_t i = 0;
  for (; i + BLOCK <= n; i += BLOCK) {
    float acc[LANES] = {0};
    for (size_t k = 0; k < BLOCK; k += LANES) {
      for (int j = 0; j < LANES; j++) {
        const float diff = out[i + k + j] - x[i + k + j];
        acc[j] += diff * diff;
        d[i + k + j] = diff * scale;
      }
    }
    for (int j = 0; j < LANES; j++) sum += acc[j];
  }
  for (; i < n; i++) {
    const float diff = out[i] - x[i];
    sum += (double)diff * diff;
    d[i] = diff * scale;
  }
  return sum;
}

/* one value of Σ x·l − softplus(l), and its gradient (sigmoid(l) − x)·scale; softplus(l) =
 * max(l, 0) + log(1 + exp(−|l|)), stable at any |l| */
static inline float bernoulli_one(float l, float x, float scale, float *d) {
  const float t = exp_nonpos(-fabsf(l));
  const float softplus = (l > 0 ? l : 0.0f) + log1p_unit(t);
  const float inv = 1.0f / (1.0f + t);
  const float sig = l >= 0 ? inv : t * inv;
  *d = (sig - x) * scale;
  return x * l - softplus;
}

/* Σ x·l − softplus(l) from logits l, and d = (sigmoid(l) − x)·scale */
HOT static double bernoulli_loss(const float *out, const float *x, float *d, size_t n, float scale) {
  double sum = 0;
  size_t i = 0;
  for (; i + BLOCK <= n; i += BLOCK) {
    float acc[LANES] = {0};
    for (size_t k = 0; k < BLOCK; k += LANES) {
      for (int j = 0; j < LANES; j++) acc[j] += bernoulli_one(out[i + k + j], x[i + k + j], scale, &d[i + k + j]);
    }
    for (int j = 0; j < LANES; j++) sum += acc[j];
  }
  for (; i < n; i++) sum += bernoulli_one(out[i], x[i], scale, &d[i]);
  return sum;
}

static void run_chunk(Step *st, Work *wk, int c) {
  Net *net = st->net;
  const int start = c * st->chunk;
  const int b = st->batch - start < st->chunk ? st->batch - start : st->chunk;
  float *grad = net->slot[c];
  const int D = net->D, Lz = net->latent;
  const float *x = st->x + (size_t)start * D;
  const float *xEnc = st->xEnc + (size_t)start * D;
  const float *eps = st->eps + (size_t)start * Lz;
  const int acc = 0; /* every chunk writes its own gradient slot */
  const float invB = 1.0f / (float)st->batch;
  const float beta = (float)st->klBeta;

  /* encoder */
  const float *h = xEnc;
  for (int i = 0; i < net->nEnc; i++) {
    layer_forward(st, &net->enc[i], b, h, wk->act[i + 1], wk->col);
    h = wk->act[i + 1];
  }
  layer_forward(st, &net->muL, b, h, wk->mu, NULL);
  layer_forward(st, &net->lvL, b, h, wk->lv, NULL);
  /* z = mu + exp(½·logvar)·eps */
  double kl = 0;
  for (int i = 0; i < b * Lz; i++) {
    const float sd = expf(0.5f * wk->lv[i]);
    wk->std[i] = sd;
    wk->z[i] = wk->mu[i] + sd * eps[i];
    if (st->klMonteCarlo) kl += 0.5 * ((double)wk->z[i] * wk->z[i] - wk->lv[i] - (double)eps[i] * eps[i]);
    else kl += 0.5 * ((double)wk->mu[i] * wk->mu[i] + (double)sd * sd - wk->lv[i] - 1.0);
  }
  /* decoder */
  const float *g = wk->z;
  for (int i = 0; i < net->nDec; i++) {
    layer_forward(st, &net->dec[i], b, g, wk->dec[i + 1], wk->col);
    g = wk->dec[i + 1];
  }
  const float *out = g; /* means (Gaussian) or logits (Bernoulli), [b, D] */

  /* log p(x|z) and d(loss)/d(output): loss = mean over the batch of −log p(x|z) + β·KL */
  float *d = wk->dA;
  double recon;
  const size_t nd = (size_t)b * D;
  if (net->lik == LIK_GAUSSIAN) {
    const double sq = gaussian_loss(out, x, d, nd, (float)(1.0 / st->sigma2) * invB);
    recon = -0.5 * sq / st->sigma2 - 0.5 * (double)D * (log(2 * M_PI) + log(st->sigma2)) * b;
  } else {
    recon = bernoulli_loss(out, x, d, nd, invB);
  }
  net->slotRecon[c] = recon;
  net->slotKl[c] = kl;
  if (st->mode == 2) return; /* evaluation: the loss terms only */

  /* decoder backward: the gradient ping-pongs between dA and dB */
  float *dcur = wk->dA, *dnext = wk->dB;
  for (int i = net->nDec - 1; i >= 0; i--) {
    const float *in = i > 0 ? wk->dec[i] : wk->z;
    float *din = i > 0 ? dnext : wk->dz;
    layer_backward(st, &net->dec[i], b, in, wk->dec[i + 1], dcur, din, wk->col, grad, acc);
    if (i > 0) { float *t = dcur; dcur = dnext; dnext = t; }
  }
  /* through z = mu + std·eps and the KL */
  for (int i = 0; i < b * Lz; i++) {
    const float gz = wk->dz[i], sd = wk->std[i], e = eps[i];
    if (st->klMonteCarlo) {
      wk->dmu[i] = gz + beta * wk->z[i] * invB;
      wk->dlv[i] = 0.5f * sd * e * gz + beta * (0.5f * wk->z[i] * sd * e - 0.5f) * invB;
    } else {
      wk->dmu[i] = gz + beta * wk->mu[i] * invB;
      wk->dlv[i] = 0.5f * sd * e * gz + beta * 0.5f * (sd * sd - 1.0f) * invB;
    }
  }
  /* mu and logvar heads: dh = dmu·Wmuᵀ + dlv·Wlvᵀ */
  float *dh = wk->dA;
  layer_backward(st, &net->muL, b, h, wk->mu, wk->dmu, net->nEnc > 0 ? dh : NULL, NULL, grad, acc);
  if (net->nEnc > 0) {
    float *tmp = wk->dB;
    layer_backward(st, &net->lvL, b, h, wk->lv, wk->dlv, tmp, NULL, grad, acc);
    const size_t nh = (size_t)b * net->lvL.ci;
    for (size_t i = 0; i < nh; i++) dh[i] += tmp[i];
  } else {
    layer_backward(st, &net->lvL, b, h, wk->lv, wk->dlv, NULL, NULL, grad, acc);
  }
  /* encoder backward */
  dcur = wk->dA; dnext = wk->dB;
  for (int i = net->nEnc - 1; i >= 0; i--) {
    const float *in = i > 0 ? wk->act[i] : xEnc;
    layer_backward(st, &net->enc[i], b, in, wk->act[i + 1], dcur, i > 0 ? dnext : NULL, wk->col, grad, acc);
    float *t = dcur; dcur = dnext; dnext = t;
  }
}

static void grad_task(void *arg, int tid) {
  Step *st = arg;
  Work *wk = &st->net->work[tid];
  for (;;) {
    const int c = atomic_fetch_add(&st->nextChunk, 1);
    if (c >= st->nChunks) break;
    run_chunk(st, wk, c);
  }
}

/* tfjs's Adam on one range: m' = β1·m + (1−β1)·g, v' = β2·v + (1−β2)·g², w' = w − lr·(m'/(1−β1ᵗ)) /
 * (sqrt(v'/(1−β2ᵗ)) + ε), in tfjs's order of float operations. Outputs may alias the inputs. */
HOT static void adam_range(size_t n, const float *g, const float *w, const float *m, const float *v, float *wo, float *mo,
                           float *vo, float b1, float b2, float c1, float c2, float mlr, float eps, float a1, float a2) {
  /* each element is read before it is written at the same index, so in-place use is safe */
#pragma GCC ivdep
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mn = m[i] * b1 + gi * c1;
    const float vn = v[i] * b2 + (gi * gi) * c2;
    const float wn = ((mn / a1) / (sqrtf(vn / a2) + eps)) * mlr + w[i];
    mo[i] = mn;
    vo[i] = vn;
    wo[i] = wn;
  }
}

HOT static void add_into(float *restrict a, const float *restrict b, size_t n) {
  for (size_t i = 0; i < n; i++) a[i] += b[i];
}

/* Sums the chunks' gradients (in chunk order) and applies tfjs's Adam (or writes the gradients)
 * for this thread's share of every parameter. */
static void update_task(void *arg, int tid) {
  Step *st = arg;
  Net *net = st->net;
  const int T = net->threads;
  const float b1 = st->beta1, b2 = st->beta2, c1 = st->c1, c2 = st->c2;
  const float mlr = -st->lr, eps = st->epsilon, a1 = st->oneMinusAcc1, a2 = st->oneMinusAcc2;
  for (int p = 0; p < net->nParams; p++) {
    const size_t size = net->paramSize[p], off = net->paramOffset[p];
    const size_t lo = size * tid / T, hi = size * (tid + 1) / T;
    if (lo >= hi) continue;
    float *g0 = net->slot[0] + off;
    for (int c = 1; c < st->nChunks; c++) add_into(g0 + lo, net->slot[c] + off + lo, hi - lo);
    if (st->mode == 0) {
      memcpy(st->out[p] + lo, g0 + lo, sizeof(float) * (hi - lo));
      continue;
    }
    adam_range(hi - lo, g0 + lo, st->param[p] + lo, st->m[p] + lo, st->v[p] + lo, st->out[p] + lo, st->mOut[p] + lo,
               st->vOut[p] + lo, b1, b2, c1, c2, mlr, eps, a1, a2);
  }
}

/* ------------------------------------------------------------------ N-API glue */

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, NULL, "vae_native: N-API call failed: " #call); \
      return NULL;                                                   \
    }                                                                \
  } while (0)
#define FAIL(msg)                           \
  do {                                      \
    napi_throw_error(env, NULL, msg);       \
    return NULL;                            \
  } while (0)

static void net_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  free_net((Net *)data);
}

/* Float32Array -> pointer and length (elements); 0 on success. */
static int f32_of(napi_env env, napi_value v, float **ptr, size_t *len) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &off) != napi_ok || type != napi_float32_array) return -1;
  *ptr = data;
  *len = length;
  return 0;
}

static int i32_of(napi_env env, napi_value v, int32_t **ptr, size_t *len) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &off) != napi_ok || type != napi_int32_array) return -1;
  *ptr = data;
  *len = length;
  return 0;
}

static int f64_of(napi_env env, napi_value v, double **ptr, size_t *len) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &off) != napi_ok || type != napi_float64_array) return -1;
  *ptr = data;
  *len = length;
  return 0;
}

/* createNet(spec: Int32Array, maxBatch: number) -> { net, paramSizes: number[] } */
static napi_value js_create_net(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) FAIL("createNet(spec, maxBatch)");
  int32_t *spec;
  size_t len;
  if (i32_of(env, argv[0], &spec, &len)) FAIL("createNet: spec must be an Int32Array");
  int32_t maxBatch;
  CHECK(napi_get_value_int32(env, argv[1], &maxBatch));
  if (maxBatch < 1) FAIL("createNet: maxBatch must be >= 1");
  const char *err = "unknown error";
  Net *net = make_net(spec, (int)len, maxBatch, pool.n, &err);
  if (!net) FAIL(err);
  napi_value result, ext, sizes;
  CHECK(napi_create_object(env, &result));
  if (napi_create_external(env, net, net_finalize, NULL, &ext) != napi_ok) {
    free_net(net);
    FAIL("createNet: napi_create_external failed");
  }
  CHECK(napi_set_named_property(env, result, "net", ext));
  CHECK(napi_create_array_with_length(env, net->nParams, &sizes));
  for (int p = 0; p < net->nParams; p++) {
    napi_value s;
    CHECK(napi_create_double(env, (double)net->paramSize[p], &s));
    CHECK(napi_set_element(env, sizes, p, s));
  }
  CHECK(napi_set_named_property(env, result, "paramSizes", sizes));
  return result;
}

static int f32_list(napi_env env, napi_value arr, Net *net, float **out, int must) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok || (int)n != net->nParams) return -1;
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    float *p;
    size_t len;
    if (napi_get_element(env, arr, i, &e) != napi_ok || f32_of(env, e, &p, &len)) return -1;
    if (must && len != net->paramSize[i]) return -1;
    out[i] = p;
  }
  return 0;
}

/*
 * step(net, params: Float32Array[], x: Float32Array, xEnc: Float32Array, eps: Float32Array,
 *      batch: number, hyper: Float64Array, stats: Float64Array, out: Float32Array[], m?, v?, mOut?, vOut?)
 * x is the likelihood's target, xEnc the encoder's input (the same array, or a corrupted copy).
 * hyper = [mode, klBeta, sigma2, klMonteCarlo, chunk, lr, beta1, beta2, epsilon, 1 - accBeta1, 1 - accBeta2]
 * mode 0: out receives the gradients of the mean loss; mode 1: out receives the weights after
 * one Adam step, mOut/vOut the moments (they may be the same arrays as m/v); mode 2: forward only
 * (evaluation), out is not touched.
 * stats receives [Σ log p(x|z), Σ KL] over the batch.
 */
static napi_value js_step(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 9) FAIL("step: too few arguments");
  Net *net;
  CHECK(napi_get_value_external(env, argv[0], (void **)&net));
  Step *st = calloc(1, sizeof(Step));
  if (!st) FAIL("step: out of memory");
  st->net = net;
  float *x, *xEnc, *eps;
  size_t xl, xel, el, hl, sl;
  double *hyper, *stats;
  int32_t batch;
  const char *err = NULL;
  if (f32_list(env, argv[1], net, (float **)st->param, 1)) err = "step: params must be Float32Arrays of the model's sizes";
  else if (f32_of(env, argv[2], &x, &xl) || f32_of(env, argv[3], &xEnc, &xel) || f32_of(env, argv[4], &eps, &el)) err = "step: x, xEnc and eps must be Float32Arrays";
  else if (napi_get_value_int32(env, argv[5], &batch) != napi_ok || batch < 1 || batch > net->maxBatch) err = "step: bad batch size";
  else if (xl < (size_t)batch * net->D || xel < (size_t)batch * net->D || el < (size_t)batch * net->latent) err = "step: x, xEnc or eps too short for the batch";
  else if (f64_of(env, argv[6], &hyper, &hl) || hl < 11) err = "step: hyper must be a Float64Array of 11";
  else if (f64_of(env, argv[7], &stats, &sl) || sl < 2) err = "step: stats must be a Float64Array of 2";
  else if (f32_list(env, argv[8], net, st->out, 1)) err = "step: out must be Float32Arrays of the model's sizes";
  if (!err) {
    st->mode = (int)hyper[0];
    if (st->mode == 1) {
      if (argc < 13 || f32_list(env, argv[9], net, st->m, 1) || f32_list(env, argv[10], net, st->v, 1) ||
          f32_list(env, argv[11], net, st->mOut, 1) || f32_list(env, argv[12], net, st->vOut, 1))
        err = "step: Adam needs m, v, mOut, vOut as Float32Arrays of the model's sizes";
    } else if (st->mode != 0 && st->mode != 2) {
      err = "step: mode must be 0, 1 or 2";
    }
  }
  if (err) { free(st); FAIL(err); }
  st->x = x;
  st->xEnc = xEnc;
  st->eps = eps;
  st->batch = batch;
  st->klBeta = hyper[1];
  st->sigma2 = hyper[2];
  st->klMonteCarlo = hyper[3] != 0;
  int chunk = (int)hyper[4];
  /* default: conv models in chunks of 16 images (their activations stay in the core's L2 and the
   * threads balance), MLPs in two halves of the batch up to 64 (bigger GEMMs for the weight
   * gradients). Set by the batch alone, never by the thread count, so results do not depend on it. */
  if (chunk < 1) chunk = net->kind == KIND_CONV ? 16 : (batch + 1) / 2;
  if (chunk > net->maxChunk) chunk = net->maxChunk;
  st->chunk = chunk;
  st->nChunks = (batch + chunk - 1) / chunk;
  if (ensure_slots(net, st->nChunks)) { free(st); FAIL("step: out of memory"); }
  atomic_init(&st->nextChunk, 0);
  st->lr = (float)hyper[5];
  st->beta1 = (float)hyper[6];
  st->beta2 = (float)hyper[7];
  st->c1 = (float)(1.0 - hyper[6]); /* as tfjs: 1 - beta1 in double, then float32 */
  st->c2 = (float)(1.0 - hyper[7]);
  st->epsilon = (float)hyper[8];
  st->oneMinusAcc1 = (float)hyper[9];
  st->oneMinusAcc2 = (float)hyper[10];

  pthread_mutex_lock(&pool.use);
  pool_run(grad_task, st);
  if (st->mode != 2) pool_run(update_task, st);
  pthread_mutex_unlock(&pool.use);
  double recon = 0, kl = 0;
  for (int c = 0; c < st->nChunks; c++) { recon += net->slotRecon[c]; kl += net->slotKl[c]; }
  stats[0] = recon;
  stats[1] = kl;
  free(st);
  return NULL;
}

/* info() -> { threads, blas } */
static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result, v;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_int32(env, pool.n, &v));
  CHECK(napi_set_named_property(env, result, "threads", v));
#ifdef OPENBLAS_VERSION
  CHECK(napi_create_string_utf8(env, OPENBLAS_VERSION, NAPI_AUTO_LENGTH, &v));
#else
  CHECK(napi_create_string_utf8(env, "cblas", NAPI_AUTO_LENGTH, &v));
#endif
  CHECK(napi_set_named_property(env, result, "blas", v));
  return result;
}

NAPI_MODULE_INIT() {
  static pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&init);
  if (!pool.started) {
    /* BLAS at one thread: OpenBLAS's own threading is erratic on thin shapes and would
     * oversubscribe the cores together with our pool. */
    openblas_set_num_threads(1);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    const char *env_threads = getenv("VAE_NATIVE_THREADS");
    int n = env_threads && atoi(env_threads) > 0 ? atoi(env_threads) : (int)(cpus > 0 ? cpus : 1);
    pool_start(n);
  }
  pthread_mutex_unlock(&init);
  napi_property_descriptor props[] = {
      {"createNet", NULL, js_create_net, NULL, NULL, NULL, napi_default, NULL},
      {"step", NULL, js_step, NULL, NULL, NULL, napi_default, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
