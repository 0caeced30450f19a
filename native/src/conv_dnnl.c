/*
 * oneDNN (Debian's libdnnl, C API), when the build found it (VAE_DNNL): the convolutions, and
 * the dense layers' GEMMs (at the end of this file). Convolutions:
 * forward, backward-data and backward-weights of a convolution in our layouts (images NHWC,
 * weights [kh, kw, ci, co] = oneDNN's hwio), one thread per call (parallelism stays ours: the
 * pool runs one chunk of the batch per thread). A transposed convolution is the backward-data of
 * the convolution that reads its output (net.c), so the same three primitives serve it.
 *
 * Primitives are made per shape (geometry, channels, examples) the first time a thread meets it
 * and kept in that thread's cache: a thread creates and runs its own primitives, with OpenMP (the
 * runtime Debian's oneDNN is built with) at one thread, so oneDNN never starts threads of its own.
 * One thread runs a primitive deterministically, and every thread builds the same primitive for a
 * shape, so results do not depend on the scheduling. Weights are passed in our layout and
 * reordered into the primitive's preferred one per call (small next to the convolution).
 *
 * Every function returns 0 when it computed the result and -1 when oneDNN is absent or refused
 * the shape: the caller then uses im2col + GEMM.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vae.h"

#ifdef VAE_DNNL
#include <oneapi/dnnl/dnnl.h>

extern void omp_set_num_threads(int n); /* libgomp, which libdnnl links */

#define CACHE 48
enum { K_FWD = 0, K_BWD_DATA = 1, K_BWD_W = 2 };

typedef struct {
  int key[13];
  dnnl_primitive_t prim, reorder; /* reorder: our weights -> the primitive's (forward, backward-data), or back (backward-weights); NULL if equal */
  dnnl_memory_t mImg, mGrid, mW, mWint, mScratch; /* mW: our layout; mWint: the primitive's (== mW when no reorder) */
  size_t wintSize, scratchSize;
} Entry;

typedef struct {
  int ready, n, next;
  dnnl_stream_t stream;
  float *wint, *scratch;
  size_t wintCap, scratchCap;
  Entry e[CACHE];
} Cache;

static dnnl_engine_t engine;
static int engineState; /* 0 untried, 1 ok, -1 failed */
static pthread_once_t engineOnce = PTHREAD_ONCE_INIT;
static _Thread_local Cache tc;

static void make_engine(void) { engineState = dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success ? 1 : -1; }

static void free_entry(Entry *e) {
  if (e->prim) dnnl_primitive_destroy(e->prim);
  if (e->reorder) dnnl_primitive_destroy(e->reorder);
  if (e->mWint && e->mWint != e->mW) dnnl_memory_destroy(e->mWint);
  if (e->mScratch) dnnl_memory_destroy(e->mScratch);
  if (e->mImg) dnnl_memory_destroy(e->mImg);
  if (e->mGrid) dnnl_memory_destroy(e->mGrid);
  if (e->mW) dnnl_memory_destroy(e->mW);
  memset(e, 0, sizeof *e);
}

static int thread_ready(void) {
  if (tc.ready) return tc.ready > 0;
  pthread_once(&engineOnce, make_engine);
  tc.ready = -1;
  if (engineState != 1) return 0;
  omp_set_num_threads(1); /* this thread's primitives are made for, and run on, one thread */
  if (dnnl_stream_create(&tc.stream, engine, dnnl_stream_default_flags) != dnnl_success) return 0;
  tc.ready = 1;
  return 1;
}

static int grow(float **buf, size_t *cap, size_t bytes) {
  if (bytes <= *cap) return 0;
  float *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!p) return -1;
  free(*buf);
  *buf = p;
  *cap = bytes;
  return 0;
}

/* The right/bottom padding oneDNN checks against the output size: what the last window uses. */
static int pad_end(int in, int k, int s, int begin, int out) {
  const int p = (out - 1) * s + k - in - begin;
  return p < 0 ? 0 : p;
}

static Entry *build(int kind, const Geo *g, int O, int b) {
  dnnl_dims_t dImg = {b, g->C, g->H, g->W}, dGrid = {b, O, g->OH, g->OW}, dW = {O, g->C, g->k, g->k};
  dnnl_dims_t strides = {g->s, g->s}, padL = {g->top, g->left},
              padR = {pad_end(g->H, g->k, g->s, g->top, g->OH), pad_end(g->W, g->k, g->s, g->left, g->OW)};
  dnnl_memory_desc_t img, grid, wAny, wUser;
  dnnl_memory_desc_init_by_tag(&img, 4, dImg, dnnl_f32, dnnl_nhwc);
  dnnl_memory_desc_init_by_tag(&grid, 4, dGrid, dnnl_f32, dnnl_nhwc);
  dnnl_memory_desc_init_by_tag(&wAny, 4, dW, dnnl_f32, dnnl_format_tag_any);
  dnnl_memory_desc_init_by_tag(&wUser, 4, dW, dnnl_f32, dnnl_hwio);
  dnnl_primitive_attr_t attr = NULL;
  dnnl_primitive_desc_t fwd = NULL, pd = NULL, rpd = NULL;
  Entry e;
  memset(&e, 0, sizeof e);
  int ok = dnnl_primitive_attr_create(&attr) == dnnl_success &&
           dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) == dnnl_success;
  dnnl_convolution_desc_t cd;
  ok = ok && dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, dnnl_convolution_direct, &img, &wAny, NULL, &grid,
                                                strides, padL, padR) == dnnl_success;
  ok = ok && dnnl_primitive_desc_create(&fwd, &cd, attr, engine, NULL) == dnnl_success;
  if (ok && kind == K_FWD) {
    pd = fwd;
    fwd = NULL;
  } else if (ok && kind == K_BWD_DATA) {
    ok = dnnl_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &img, &wAny, &grid, strides, padL, padR) == dnnl_success &&
         dnnl_primitive_desc_create(&pd, &cd, attr, engine, fwd) == dnnl_success;
  } else if (ok) {
    ok = dnnl_convolution_backward_weights_desc_init(&cd, dnnl_convolution_direct, &img, &wAny, NULL, &grid, strides, padL, padR) == dnnl_success &&
         dnnl_primitive_desc_create(&pd, &cd, attr, engine, fwd) == dnnl_success;
  }
  const dnnl_memory_desc_t *wInt = ok ? dnnl_primitive_desc_query_md(pd, kind == K_BWD_W ? dnnl_query_diff_weights_md : dnnl_query_weights_md, 0) : NULL;
  const dnnl_memory_desc_t *sp = ok ? dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0) : NULL;
  ok = ok && wInt && dnnl_primitive_create(&e.prim, pd) == dnnl_success;
  ok = ok && dnnl_memory_create(&e.mImg, &img, engine, DNNL_MEMORY_NONE) == dnnl_success &&
       dnnl_memory_create(&e.mGrid, &grid, engine, DNNL_MEMORY_NONE) == dnnl_success &&
       dnnl_memory_create(&e.mW, &wUser, engine, DNNL_MEMORY_NONE) == dnnl_success;
  if (ok && dnnl_memory_desc_equal(wInt, &wUser)) {
    e.mWint = e.mW;
  } else if (ok) {
    e.wintSize = dnnl_memory_desc_get_size(wInt);
    ok = dnnl_memory_create(&e.mWint, wInt, engine, DNNL_MEMORY_NONE) == dnnl_success &&
         (kind == K_BWD_W ? dnnl_reorder_primitive_desc_create(&rpd, wInt, engine, &wUser, engine, NULL)
                          : dnnl_reorder_primitive_desc_create(&rpd, &wUser, engine, wInt, engine, NULL)) == dnnl_success &&
         dnnl_primitive_create(&e.reorder, rpd) == dnnl_success;
  }
  if (ok) e.scratchSize = sp ? dnnl_memory_desc_get_size(sp) : 0;
  ok = ok && (!e.scratchSize || dnnl_memory_create(&e.mScratch, sp, engine, DNNL_MEMORY_NONE) == dnnl_success);
  if (rpd) dnnl_primitive_desc_destroy(rpd);
  if (pd) dnnl_primitive_desc_destroy(pd);
  if (fwd) dnnl_primitive_desc_destroy(fwd);
  if (attr) dnnl_primitive_attr_destroy(attr);
  if (!ok) {
    free_entry(&e);
    return NULL;
  }
  /* keep it: a free place, else replace in turn */
  Entry *slot;
  if (tc.n < CACHE) {
    slot = &tc.e[tc.n++];
  } else {
    slot = &tc.e[tc.next];
    tc.next = (tc.next + 1) % CACHE;
    free_entry(slot);
  }
  *slot = e;
  return slot;
}

static Entry *lookup(int kind, const Geo *g, int O, int b) {
  const int key[13] = {kind, g->H, g->W, g->C, g->k, g->s, g->top, g->left, g->OH, g->OW, O, b, 1};
  for (int i = 0; i < tc.n; i++)
    if (!memcmp(tc.e[i].key, key, sizeof key)) return &tc.e[i];
  Entry *e = build(kind, g, O, b);
  if (e) memcpy(e->key, key, sizeof key);
  return e;
}

static int run(int kind, const Geo *g, int O, int b, const float *img, const float *w, const float *grid) {
  if (!thread_ready()) return -1;
  Entry *e = lookup(kind, g, O, b);
  if (!e) return -1;
  if (grow(&tc.scratch, &tc.scratchCap, e->scratchSize) || grow(&tc.wint, &tc.wintCap, e->wintSize)) return -1;
  dnnl_memory_set_data_handle(e->mImg, (void *)img);
  dnnl_memory_set_data_handle(e->mGrid, (void *)grid);
  dnnl_memory_set_data_handle(e->mW, (void *)w);
  if (e->mWint != e->mW) dnnl_memory_set_data_handle(e->mWint, tc.wint);
  if (e->scratchSize) dnnl_memory_set_data_handle(e->mScratch, tc.scratch);
  dnnl_status_t st = dnnl_success;
  if (e->reorder && kind != K_BWD_W) {
    dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, e->mW}, {DNNL_ARG_TO, e->mWint}};
    st = dnnl_primitive_execute(e->reorder, tc.stream, 2, r);
  }
  dnnl_exec_arg_t a[4];
  if (kind == K_FWD) {
    a[0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, e->mImg};
    a[1] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, e->mWint};
    a[2] = (dnnl_exec_arg_t){DNNL_ARG_DST, e->mGrid};
  } else if (kind == K_BWD_DATA) {
    a[0] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC, e->mImg};
    a[1] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, e->mWint};
    a[2] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, e->mGrid};
  } else {
    a[0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, e->mImg};
    a[1] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS, e->mWint};
    a[2] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, e->mGrid};
  }
  a[3] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, e->mScratch};
  if (st == dnnl_success) st = dnnl_primitive_execute(e->prim, tc.stream, e->scratchSize ? 4 : 3, a);
  if (st == dnnl_success && e->reorder && kind == K_BWD_W) {
    dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, e->mWint}, {DNNL_ARG_TO, e->mW}};
    st = dnnl_primitive_execute(e->reorder, tc.stream, 2, r);
  }
  if (st == dnnl_success) st = dnnl_stream_wait(tc.stream);
  return st == dnnl_success ? 0 : -1;
}

int dconv_forward(const Geo *g, int O, int b, const float *img, const float *w, float *grid) { return run(K_FWD, g, O, b, img, w, grid); }
int dconv_backward_data(const Geo *g, int O, int b, const float *dgrid, const float *w, float *dimg) { return run(K_BWD_DATA, g, O, b, dimg, w, dgrid); }
int dconv_backward_weights(const Geo *g, int O, int b, const float *img, const float *dgrid, float *dw) { return run(K_BWD_W, g, O, b, img, dw, dgrid); }

/* The implementation oneDNN picks for a primitive ("" if none), e.g. "brg:avx512_core". */
const char *dconv_impl(int kind, const Geo *g, int O, int b) {
  if (!thread_ready()) return "";
  Entry *e = lookup(kind, g, O, b);
  if (!e) return "";
  const_dnnl_primitive_desc_t pd;
  const char *s = "";
  if (dnnl_primitive_get_primitive_desc(e->prim, &pd) != dnnl_success || dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s) != dnnl_success) return "";
  return s;
}

/* VAE_NATIVE_CONV: "gemm" (im2col + sgemm only), "dnnl" (oneDNN for every primitive it takes),
 * else "auto": the table below. */
static int mode = -1; /* 0 gemm, 1 auto, 2 dnnl */
static pthread_once_t modeOnce = PTHREAD_ONCE_INIT;
static void read_mode(void) {
  const char *m = getenv("VAE_NATIVE_CONV");
  mode = m && !strcmp(m, "gemm") ? 0 : m && !strcmp(m, "dnnl") ? 2 : 1;
}

/* Which primitives go to oneDNN, from bench/native/conv_bench.c at chunks of 16 examples, one
 * thread, on an AVX-512 Xeon (2.1 GHz; minimum times, oneDNN 2.6.3 vs OpenBLAS 0.3.21 SkylakeX):
 * the forward won on all six seed-000 convolutions (1.3-2.3x); backward-weights won where the
 * output grid has >= 64 positions (1.1-3.6x) and lost on the 4x4 grids (0.82x, 0.96x);
 * backward-data won with >= 16 image channels on >= 64 positions (1.25x, 1.47x) and lost with 3
 * image channels (0.55x, 0.62x) and on the 4x4 grids (0.83x, 0.95x). */
int dconv_use(int kind, const Geo *g, int O) {
  pthread_once(&modeOnce, read_mode);
  if (mode == 0) return 0;
  if (mode == 2) return 1;
  const int grid = g->OH * g->OW;
  if (kind == K_FWD) return 1;
  if (kind == K_BWD_W) return grid >= 64;
  return grid >= 64 && g->C >= 16;
}

/* The kernels in use, for info(). */
const char *dconv_kernels(void) {
  static char v[200];
  pthread_once(&modeOnce, read_mode);
  const dnnl_version_t *d = dnnl_version();
  if (mode == 0) snprintf(v, sizeof v, "im2col+sgemm (VAE_NATIVE_CONV=gemm; oneDNN %d.%d.%d unused)", d->major, d->minor, d->patch);
  else if (mode == 2) snprintf(v, sizeof v, "oneDNN %d.%d.%d for every conv primitive (VAE_NATIVE_CONV=dnnl)", d->major, d->minor, d->patch);
  else snprintf(v, sizeof v, "oneDNN %d.%d.%d: forward; backward-weights on >=64-position grids; backward-data also >=16 channels; else im2col+sgemm", d->major, d->minor, d->patch);
  return v;
}

/* ------------------------------------------------------------------ dense layers
 * oneDNN's own GEMM (dnnl_sgemm, row-major, its JIT kernels) on the calling thread: measured
 * (bench/native/dense_bench.c, one thread, AVX-512 Xeon 2.1 GHz, minimum times) 1.1-1.35x faster
 * than OpenBLAS 0.3.21 SkylakeX on every large GEMM of the 784-400-20 MLP's dense layers at 64 and
 * 128 rows (forward, backward-data, weight gradients), and even on the tiny ones; with β = 0 it
 * writes C directly where OpenBLAS first clears it. Deterministic: one thread, and the same
 * shapes give the same kernels whichever thread calls. */
int dgemm(int transA, int transB, int M, int N, int K, const float *A, const float *B, float *C, int accumulate) {
  if (!thread_ready()) return -1;
  return dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', M, N, K, 1.0f, A, transA ? M : K, B, transB ? K : N,
                    accumulate ? 1.0f : 0.0f, C, N) == dnnl_success ? 0 : -1;
}

/* VAE_NATIVE_GEMM: "openblas" or "dnnl" for the dense layers; else "auto": oneDNN on Intel CPUs
 * with AVX-512 (where it was measured faster), OpenBLAS elsewhere (AMD Zen4 met its targets on
 * OpenBLAS; oneDNN's GEMM is unmeasured there). */
static int gemmMode = -1; /* 0 OpenBLAS, 1 oneDNN */
static const char *gemmWhy = "";
static pthread_once_t gemmOnce = PTHREAD_ONCE_INIT;
static void read_gemm_mode(void) {
  const char *m = getenv("VAE_NATIVE_GEMM");
  if (m && !strcmp(m, "openblas")) { gemmMode = 0; gemmWhy = "VAE_NATIVE_GEMM=openblas"; return; }
  if (m && !strcmp(m, "dnnl")) { gemmMode = 1; gemmWhy = "VAE_NATIVE_GEMM=dnnl"; return; }
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  gemmMode = __builtin_cpu_is("intel") && __builtin_cpu_supports("avx512f");
#else
  gemmMode = 0;
#endif
  gemmWhy = gemmMode ? "auto: Intel with AVX-512" : "auto: not an Intel AVX-512 CPU";
}

int dgemm_use(void) {
  pthread_once(&gemmOnce, read_gemm_mode);
  return gemmMode;
}

const char *dgemm_kernels(void) {
  static char v[160];
  pthread_once(&gemmOnce, read_gemm_mode);
  const dnnl_version_t *d = dnnl_version();
  if (gemmMode) snprintf(v, sizeof v, "oneDNN %d.%d.%d sgemm (%s)", d->major, d->minor, d->patch, gemmWhy);
  else snprintf(v, sizeof v, "OpenBLAS sgemm (%s)", gemmWhy);
  return v;
}

const char *dconv_version(void) {
  static char v[32];
  const dnnl_version_t *d = dnnl_version();
  snprintf(v, sizeof v, "oneDNN %d.%d.%d", d->major, d->minor, d->patch);
  return v;
}

#else

int dconv_forward(const Geo *g, int O, int b, const float *img, const float *w, float *grid) { return -1; }
int dconv_backward_data(const Geo *g, int O, int b, const float *dgrid, const float *w, float *dimg) { return -1; }
int dconv_backward_weights(const Geo *g, int O, int b, const float *img, const float *dgrid, float *dw) { return -1; }
const char *dconv_impl(int kind, const Geo *g, int O, int b) { return ""; }
const char *dconv_version(void) { return ""; }
int dconv_use(int kind, const Geo *g, int O) { return 0; }
const char *dconv_kernels(void) { return "im2col+sgemm (built without oneDNN)"; }
int dgemm(int transA, int transB, int M, int N, int K, const float *A, const float *B, float *C, int accumulate) { return -1; }
int dgemm_use(void) { return 0; }
const char *dgemm_kernels(void) { return "OpenBLAS sgemm (built without oneDNN)"; }

#endif
