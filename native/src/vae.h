/*
 * vae_native: shared declarations of the native engine's C files, one job each:
 *   pool.c       the thread pool (our own; OpenBLAS runs at one thread)
 *   kernels.c    GEMM (cblas_sgemm; oneDNN's for dense layers where it wins), im2col/col2im, bias + activation and their gradients
 *   net.c        the network configured from the layer description (src/models/layers.ts via
 *                src/engine/native/netSpec.ts): layers, forward and backward of one layer
 *   objective.c  the likelihoods (fixed-σ² and σ-VAE Gaussians, Bernoulli, continuous Bernoulli)
 *                and the objectives (k-sample ELBO with analytic or Monte-Carlo KL, β, free bits,
 *                IWAE-k; standard normal, Gaussian-mixture or VampPrior), per chunk of the batch
 *   prior_mixture.c  log p(z) of a mixture prior and its gradients, a chunk's rows at once (GEMMs)
 *   prior_vamp.c the VampPrior: its pseudo-inputs through the encoder (the mixture's components)
 *                and the gradients back through the encoder to them
 *   adam.c       the gradient sum over chunks and tfjs's Adam update
 *   rng.c        src/math/rng.ts's normals in C (long runs of eps for evaluation)
 *   napi.c       the N-API glue (argument checking, the calls JS makes)
 * Layouts are tfjs's (dense [in, out], conv [kh, kw, ci, co], transposed conv [kh, kw, co, ci],
 * images NHWC), so weights are read where tfjs keeps them.
 */
#ifndef VAE_NATIVE_H
#define VAE_NATIVE_H
#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_THREADS 16
#define MAX_LAYERS 32
#define MAX_PARAMS (2 * MAX_LAYERS + 8)
#define MAX_CHUNK 64
/* floats per thread buffer that bound a chunk's rows (examples × samples) */
#define ROW_BUDGET (1 << 22)

/* Element-wise loops compiled for AVX-512, AVX2 and the baseline, picked at load time (glibc
 * ifunc), so one build runs everywhere and uses the wide units where they exist. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HOT __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define HOT
#endif

/* ------------------------------------------------------------------ pool.c */
typedef void (*task_fn)(void *arg, int tid);
int pool_start(int n);
int pool_threads(void);
/* Runs fn(arg, tid) on every thread (tid 0 is the caller) and waits for all. */
void pool_run(task_fn fn, void *arg);
/* One parallel region at a time (several Node threads may share the pool). */
void pool_lock(void);
void pool_unlock(void);

/* ------------------------------------------------------------------ kernels.c */
enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_TANH = 2, ACT_LEAKY = 3, ACT_SIGMOID = 4 };

/* Geometry of one convolution seen from its "image" side: image [b, H, W, C] read by a k×k window
 * with stride s and padding (top, left) into an output grid OH×OW. */
typedef struct {
  int H, W, C, k, s, top, left, OH, OW;
} Geo;

void gemm(int transA, int transB, int M, int N, int K, const float *A, const float *B, float *C, int accumulate);
/* gemm for the dense layers: oneDNN's when chosen (dgemm_use), else OpenBLAS's */
void gemm_dense(int transA, int transB, int M, int N, int K, const float *A, const float *B, float *C, int accumulate);
void im2col(const Geo *g, int b, const float *img, float *col);
void col2im(const Geo *g, int b, const float *col, float *img);
void bias_act(float *y, const float *bias, int rows, int cols, int act);
void act_grad(float *d, const float *y, size_t n, int act);
void bias_grad(const float *d, int rows, int cols, float *db, int accumulate);
void add_into(float *restrict a, const float *restrict b, size_t n);
void scale_into(float *a, size_t n, float s);

/* exp(x) for x <= 0 without a library call, so the loops around it vectorise: x = n·ln2 + r with
 * |r| <= ln2/2 (ln2 split in two parts), exp(r) by its Taylor polynomial to r^7 (relative error
 * < 2e-7 on that range), times 2^n put into the exponent bits. exp(x) = 0 below -87. */
static inline float exp_nonpos(float x) {
  const float xc = x < -87.0f ? -87.0f : x;
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

/* log m for m in [0.75, 1.5): log m = 2·atanh(s), s = (m−1)/(m+1), |s| <= 0.2, by its series to
 * s^9 (error < 1e-8) */
static inline float log_mantissa(float m) {
  const float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
  float p = 0.111111111f;
  p = p * s2 + 0.142857143f;
  p = p * s2 + 0.2f;
  p = p * s2 + 0.333333333f;
  p = p * s2 + 1.0f;
  return 2.0f * s * p;
}

/* log(1 + t) for t in [0, 1], without a library call: u = 1 + t = m·2^e with m in [0.75, 1.5),
 * log m by log_mantissa; then the rounding of 1 + t is corrected by (t − (u − 1))/u. */
static inline float log1p_unit(float t) {
  const float u = 1.0f + t;
  union { float f; int32_t i; } v = {.f = u};
  const int32_t big = v.i >= 0x3fc00000;
  v.i -= big << 23;
  return log_mantissa(v.f) + (float)big * 0.693147181f + (t - (u - 1.0f)) / u;
}

/* log(y) for a positive normal float y, without a library call: y = m·2^e with m in [0.75, 1.5),
 * log_mantissa(m) + e·log 2. NaN, infinities, zero and subnormals give wrong values (callers
 * select them away). */
static inline float log_pos(float y) {
  union { float f; int32_t i; } v = {.f = y};
  const int32_t e = (v.i - 0x3f400000) >> 23; /* 0x3f400000 = 0.75f */
  v.i -= e << 23;
  return log_mantissa(v.f) + (float)e * 0.693147181f;
}

/* ------------------------------------------------------------------ conv_dnnl.c
 * A convolution reading image [b, H, W, C] (geometry g) into grid [b, OH, OW, O] with weights
 * [k, k, C, O], through oneDNN on the calling thread; each returns -1 (nothing written) when
 * oneDNN is absent or refuses the shape. dconv_impl names oneDNN's implementation (kind 0
 * forward, 1 backward-data, 2 backward-weights). */
int dconv_forward(const Geo *g, int O, int b, const float *img, const float *w, float *grid);
int dconv_backward_data(const Geo *g, int O, int b, const float *dgrid, const float *w, float *dimg);
int dconv_backward_weights(const Geo *g, int O, int b, const float *img, const float *dgrid, float *dw);
const char *dconv_impl(int kind, const Geo *g, int O, int b);
const char *dconv_version(void);
/* 1 when oneDNN should run this primitive (the measured table in conv_dnnl.c, VAE_NATIVE_CONV). */
int dconv_use(int kind, const Geo *g, int O);
/* One line naming the convolution kernels in use (info().conv). */
const char *dconv_kernels(void);
/* The dense layers' GEMM through oneDNN's sgemm (same contract as gemm; -1: not run), whether to
 * use it (VAE_NATIVE_GEMM, the measured choice in conv_dnnl.c), and a line naming it (info().dense). */
int dgemm(int transA, int transB, int M, int N, int K, const float *A, const float *B, float *C, int accumulate);
int dgemm_use(void);
const char *dgemm_kernels(void);

/* ------------------------------------------------------------------ net.c */
/* the decoder's likelihood (src/math/likelihood.ts): fixed-σ² Gaussian, Bernoulli from logits, the
 * σ-VAE's Gaussian with the optimal σ² per image, the continuous Bernoulli from logits */
enum { LIK_GAUSSIAN = 0, LIK_BERNOULLI = 1, LIK_GAUSSIAN_LEARNED = 2, LIK_CONT_BERNOULLI = 3 };
/* Layer types of the description's records (src/engine/native/netSpec.ts). */
enum { L_DENSE = 0, L_CONV = 1, L_DECONV = 2, L_RESHAPE = 3 };

typedef struct {
  int type, act;
  int in, out;  /* values per example of input and output */
  int ci, co;   /* channels (conv, deconv) or in/out units (dense) */
  Geo geo;      /* conv: the input image; deconv: the output image (a conv of the same k, s reads it) */
  int colLen;   /* per example: conv OH·OW·k²·Ci, deconv h·w·k²·Co */
  int w, bias;  /* parameter indices */
} Layer;

typedef struct {
  float *act[MAX_LAYERS + 1]; /* encoder activations, per example */
  float *dec[MAX_LAYERS + 1]; /* decoder activations, per row (example × sample) */
  float *col, *dA, *dB;
  float *mu, *lv, *std, *dmu, *dlv; /* per example [chunk, L] */
  float *z, *dz;                    /* per row [rows, L] */
  double *rowPx, *rowPz, *rowQ, *rowW; /* per row */
  float *resp;                         /* mixture responsibilities [K] */
} Work;

typedef struct Vamp Vamp;

typedef struct {
  int H, W, C, D, latent, lik, priorK, hasConv;
  int nEnc, nDec;
  Layer enc[MAX_LAYERS], dec[MAX_LAYERS];
  Layer muL, lvL;
  int prLogits, prMeans, prLogvars; /* mixture prior parameter indices (priorK > 0) */
  int prU;                          /* VampPrior: the pseudo-inputs' parameter index (vamp != NULL) */
  Vamp *vamp;                       /* the VampPrior's state, NULL without one (prior_vamp.c) */
  int nParams;
  size_t paramSize[MAX_PARAMS], paramOffset[MAX_PARAMS], totalParams;
  int maxBatch, maxChunk, rowsCap, threads;
  size_t maxAct, maxCol, encMaxAct;
  Work work[MAX_THREADS];
  /* one gradient slot per chunk of the batch, summed in chunk order: the result does not depend
   * on which thread ran which chunk (nor on the number of threads) */
  int nSlots;
  float **slot;
  double *slotStats; /* [nSlots × 3]: Σ E log p(x|z), Σ KL, Σ IWAE bound */
  double *slotKlDim; /* [nSlots × latent]: free bits, Σ per-dimension KL */
} Net;

Net *make_net(const int32_t *spec, int len, int maxBatch, int maxK, int threads, const char **err);
void free_net(Net *net);
int ensure_slots(Net *net, int n);
/* examples per chunk for a batch and k samples: set by the batch, k and the net alone (never by
 * the thread count), so results do not depend on the scheduling */
int chunk_examples(const Net *net, int batch, int k, int requested);
void layer_forward(const float *const *param, const Layer *L, int b, const float *in, float *y, float *col);
void layer_backward(const Net *net, const float *const *param, const Layer *L, int b, const float *in, const float *y,
                    float *dy, float *din, float *col, float *grad);

/* ------------------------------------------------------------------ objective.c */
enum { MODE_GRAD = 0, MODE_ADAM = 1, MODE_EVAL = 2, MODE_LOGW = 3, MODE_ENCODE = 4 };
enum { OBJ_ELBO = 0, OBJ_IWAE = 1 };

typedef struct {
  Net *net;
  const float *param[MAX_PARAMS];
  const float *x, *xEnc, *eps; /* x: the likelihood's target; xEnc: what the encoder sees; eps [k, batch, L] */
  int batch, k, chunk, nChunks, mode, objective;
  atomic_int nextChunk, failed;
  float beta, freeBits;
  double sigma2;
  int klMonteCarlo;
  float *klMask; /* free bits: per dimension 1 where the batch-mean KL is >= λ, else 0 */
  /* MODE_GRAD: gradients; MODE_ADAM: new weights */
  float *out[MAX_PARAMS], *m[MAX_PARAMS], *v[MAX_PARAMS], *mOut[MAX_PARAMS], *vOut[MAX_PARAMS];
  float lr, beta1, beta2, c1, c2, epsilon, oneMinusAcc1, oneMinusAcc2;
  double *logwOut; /* MODE_LOGW: per example [log Σ_j w_j, Σ_j log w_j] */
  float *encOut;   /* MODE_ENCODE: per example mu then logvar, [2, batch, L] */
} Step;

void chunk_task(void *arg, int tid);
void kl_dims_task(void *arg, int tid);

/* ------------------------------------------------------------------ prior_mixture.c
 * The mixture prior (Gaussian mixture or VampPrior) of a chunk c: its constants, where the chunk's
 * backward adds the parameters' gradients, scratch, and the responsibilities of its rows. */
typedef struct {
  int K, L;
  const float *means, *logvars;
  double *logPi, *c, *iv, *a;         /* log π [K], Σ_d (m²·iv + logvar) + L·log 2π [K], exp(−logvar), m·iv [K, L] */
  double *zb, *z2b, *t1, *t2, *s;      /* block scratch */
  double *gz, *gz2, *gs;               /* backward sums */
  float *resp;                         /* [rows, K] */
  float *e;                            /* [K] scratch */
  float *dLogits, *dMeans, *dLogvars;  /* dLogits NULL: equal weights (VampPrior) */
} Mixture;
int mixture_init(Mixture *mx, const Net *net, const float *const *P, int c);
void mixture_free(Mixture *mx);
/* log p(z) of rows z [rows, L] into logp; keep: the responsibilities for mixture_backward_rows */
int mixture_logp_rows(Mixture *mx, const float *z, int rows, double *logp, int keep);
/* g_r = coef·(float)w[r]: the coefficient of log p(z_r) in the loss; dz += g·∂log p/∂z, prior
 * gradients += g·∂log p/∂θ (after mixture_logp_rows with keep on the same rows) */
void mixture_backward_rows(Mixture *mx, const float *z, int rows, const double *w, float coef, float *dz);

/* ------------------------------------------------------------------ prior_vamp.c
 * p(z) = 1/K Σ_k N(z; mu(u_k), diag exp(logvar(u_k))) with the encoder's heads at the pseudo-inputs
 * clip(u_k, 0, 1) (src/math/prior.ts's VampPrior). Per step: vamp_forward encodes the K pseudo-
 * inputs (before the data chunks, which read the components as a mixture with equal weights and
 * add ∂loss/∂(mu_k, logvar_k) into their chunk's dComp); vamp_backward sums those in chunk order
 * and back-propagates them through the encoder to its weights and to u (before the update). */
struct Vamp {
  int K, chunk, nChunks; /* pseudo-inputs, per chunk of pseudo-inputs, chunks */
  size_t encParams;      /* floats of the encoder's and heads' parameters (the first ones) */
  float *uc;             /* clip(u, 0, 1) [K, D] */
  float *act[MAX_LAYERS + 1]; /* the encoder's activations at the pseudo-inputs [K, out] */
  float *mu, *lv;        /* the components [K, L] */
  int nData;             /* data chunks with a dComp */
  float *dComp;          /* per data chunk [2, K, L]: ∂loss/∂mu_k then ∂loss/∂logvar_k */
  float **pslot;         /* per chunk of pseudo-inputs: the encoder's parameter gradients */
  float *scr[MAX_THREADS]; /* per thread: dA, dB (scrAct floats each), dmu, dlv, col */
  size_t scrAct;
  atomic_int next;
};
int vamp_create(Net *net, int K, const char **err);
void vamp_free(Vamp *v);
/* dComp for nChunks data chunks (and, train, the gradient slots); 0 or -1 (out of memory) */
int vamp_prepare(Net *net, int nChunks, int train);
void vamp_forward(Step *st);
void vamp_backward(Step *st);

/* ------------------------------------------------------------------ rng.c */
void rng_normals(uint32_t *s, double *spare, float *out, size_t n);

/* ------------------------------------------------------------------ adam.c */
void update_task(void *arg, int tid);

#endif
