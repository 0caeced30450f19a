/* The N-API glue: argument checks and the calls JS makes (src/engine/native/addon.ts). */
#define NAPI_VERSION 8
#include <cblas.h>
#include <node_api.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include "vae.h"

#define CHECK(call)                                                         \
  do {                                                                      \
    if ((call) != napi_ok) {                                                \
      napi_throw_error(env, NULL, "vae_native: N-API call failed: " #call); \
      return NULL;                                                          \
    }                                                                       \
  } while (0)
#define FAIL(msg)                     \
  do {                                \
    napi_throw_error(env, NULL, msg); \
    return NULL;                      \
  } while (0)

#define HYPER 14

static void net_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  free_net((Net *)data);
}

static int typed_of(napi_env env, napi_value v, napi_typedarray_type want, void **ptr, size_t *len) {
  napi_typedarray_type type;
  size_t length, off;
  void *data;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &off) != napi_ok || type != want) return -1;
  *ptr = data;
  *len = length;
  return 0;
}

/* createNet(spec: Int32Array, maxBatch, maxK) -> { net, paramSizes: number[], rowsCap } */
static napi_value js_create_net(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) FAIL("createNet(spec, maxBatch, maxK)");
  int32_t *spec;
  size_t len;
  if (typed_of(env, argv[0], napi_int32_array, (void **)&spec, &len)) FAIL("createNet: spec must be an Int32Array");
  int32_t maxBatch, maxK;
  CHECK(napi_get_value_int32(env, argv[1], &maxBatch));
  CHECK(napi_get_value_int32(env, argv[2], &maxK));
  if (maxBatch < 1 || maxK < 1) FAIL("createNet: maxBatch and maxK must be >= 1");
  const char *err = "unknown error";
  Net *net = make_net(spec, (int)len, maxBatch, maxK, pool_threads(), &err);
  if (!net) FAIL(err);
  napi_value result, ext, sizes, v;
  CHECK(napi_create_object(env, &result));
  if (napi_create_external(env, net, net_finalize, NULL, &ext) != napi_ok) {
    free_net(net);
    FAIL("createNet: napi_create_external failed");
  }
  CHECK(napi_set_named_property(env, result, "net", ext));
  CHECK(napi_create_array_with_length(env, net->nParams, &sizes));
  for (int p = 0; p < net->nParams; p++) {
    CHECK(napi_create_double(env, (double)net->paramSize[p], &v));
    CHECK(napi_set_element(env, sizes, p, v));
  }
  CHECK(napi_set_named_property(env, result, "paramSizes", sizes));
  CHECK(napi_create_int32(env, net->rowsCap, &v));
  CHECK(napi_set_named_property(env, result, "rowsCap", v));
  return result;
}

static int f32_list(napi_env env, napi_value arr, Net *net, float **out) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok || (int)n != net->nParams) return -1;
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    float *p;
    size_t len;
    if (napi_get_element(env, arr, i, &e) != napi_ok || typed_of(env, e, napi_float32_array, (void **)&p, &len)) return -1;
    if (len != net->paramSize[i]) return -1;
    out[i] = p;
  }
  return 0;
}

/* Common arguments: (net, params, x, xEnc, eps, batch, hyper, stats); NULL on success, else the error. */
static const char *read_common(napi_env env, napi_value *argv, Step *st, double **hyper, double **stats) {
  Net *net;
  if (napi_get_value_external(env, argv[0], (void **)&net) != napi_ok) return "not a net";
  st->net = net;
  float *x, *xEnc, *eps;
  size_t xl, xel, el, hl, sl;
  int32_t batch;
  if (f32_list(env, argv[1], net, (float **)st->param)) return "params must be Float32Arrays of the model's sizes";
  if (typed_of(env, argv[2], napi_float32_array, (void **)&x, &xl) || typed_of(env, argv[3], napi_float32_array, (void **)&xEnc, &xel) ||
      typed_of(env, argv[4], napi_float32_array, (void **)&eps, &el))
    return "x, xEnc and eps must be Float32Arrays";
  if (napi_get_value_int32(env, argv[5], &batch) != napi_ok || batch < 1 || batch > net->maxBatch) return "bad batch size";
  if (typed_of(env, argv[6], napi_float64_array, (void **)hyper, &hl) || hl < HYPER) return "hyper must be a Float64Array of 14";
  if (typed_of(env, argv[7], napi_float64_array, (void **)stats, &sl) || sl < 3) return "stats must be a Float64Array of 3";
  double *h = *hyper;
  st->mode = (int)h[0];
  st->beta = (float)h[1];
  st->sigma2 = h[2];
  st->klMonteCarlo = h[3] != 0;
  st->objective = (int)h[11];
  st->k = (int)h[12];
  st->freeBits = (float)h[13];
  if (st->k < 1 || st->k > net->rowsCap) return "k outside 1..rowsCap";
  if (st->objective != OBJ_ELBO && st->objective != OBJ_IWAE) return "unknown objective";
  if (!(st->sigma2 > 0)) return "sigma2 must be positive";
  if (xl < (size_t)batch * net->D || xel < (size_t)batch * net->D || el < (size_t)batch * st->k * net->latent) return "x, xEnc or eps too short for the batch";
  st->x = x;
  st->xEnc = xEnc;
  st->eps = eps;
  st->batch = batch;
  st->chunk = chunk_examples(net, batch, st->k, (int)h[4]);
  st->nChunks = (batch + st->chunk - 1) / st->chunk;
  if (ensure_slots(net, st->nChunks) || (net->vamp && vamp_prepare(net, st->nChunks, st->mode == MODE_GRAD || st->mode == MODE_ADAM))) return "out of memory";
  atomic_init(&st->nextChunk, 0);
  atomic_init(&st->failed, 0);
  return NULL;
}

static void finish_stats(Step *st, double *stats) {
  double s[3] = {0, 0, 0};
  for (int c = 0; c < st->nChunks; c++)
    for (int i = 0; i < 3; i++) s[i] += st->net->slotStats[3 * c + i];
  for (int i = 0; i < 3; i++) stats[i] = s[i];
}

/* Free bits: the per-dimension mask (batch-mean KL >= λ), from a pass of the encoder. */
static int free_bits_mask(Step *st, float *mask) {
  Net *net = st->net;
  const int L = net->latent;
  pool_run(kl_dims_task, st);
  atomic_store(&st->nextChunk, 0);
  const double n = (double)st->batch * (st->klMonteCarlo ? st->k : 1);
  for (int d = 0; d < L; d++) {
    double s = 0;
    for (int c = 0; c < st->nChunks; c++) s += net->slotKlDim[(size_t)c * L + d];
    mask[d] = (float)(s / n) >= st->freeBits ? 1.0f : 0.0f;
  }
  st->klMask = mask;
  return 0;
}

/*
 * step(net, params, x, xEnc, eps, batch, hyper, stats, out: Float32Array[], m?, v?, mOut?, vOut?)
 * x is the likelihood's target, xEnc the encoder's input (the same array, or a corrupted copy),
 * eps [k, batch, L]. hyper = [mode, beta, sigma2, klMonteCarlo, chunk, lr, beta1, beta2, epsilon,
 * 1 − accBeta1, 1 − accBeta2, objective (0 ELBO, 1 IWAE), k, freeBits]. mode 0: out receives the
 * gradients of the mean loss; mode 1: out receives the weights after one Adam step, mOut/vOut the
 * moments (they may be the same arrays as m/v). stats receives [Σ E log p(x|z), Σ KL, Σ IWAE_k].
 */
static napi_value js_step(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 9) FAIL("step: too few arguments");
  Step *st = calloc(1, sizeof(Step));
  if (!st) FAIL("step: out of memory");
  double *hyper, *stats;
  const char *err = read_common(env, argv, st, &hyper, &stats);
  Net *net = st->net;
  if (!err && f32_list(env, argv[8], net, st->out)) err = "out must be Float32Arrays of the model's sizes";
  if (!err && st->mode == MODE_ADAM) {
    if (argc < 13 || f32_list(env, argv[9], net, st->m) || f32_list(env, argv[10], net, st->v) ||
        f32_list(env, argv[11], net, st->mOut) || f32_list(env, argv[12], net, st->vOut))
      err = "Adam needs m, v, mOut, vOut as Float32Arrays of the model's sizes";
  } else if (!err && st->mode != MODE_GRAD) {
    err = "mode must be 0 or 1";
  }
  if (!err && st->freeBits > 0 && (net->priorK > 0 || net->vamp)) err = "free bits need the standard normal prior";
  if (err) {
    free(st);
    napi_throw_error(env, NULL, err);
    return NULL;
  }
  st->lr = (float)hyper[5];
  st->beta1 = (float)hyper[6];
  st->beta2 = (float)hyper[7];
  st->c1 = (float)(1.0 - hyper[6]); /* as tfjs: 1 - beta1 in double, then float32 */
  st->c2 = (float)(1.0 - hyper[7]);
  st->epsilon = (float)hyper[8];
  st->oneMinusAcc1 = (float)hyper[9];
  st->oneMinusAcc2 = (float)hyper[10];
  float *mask = NULL;
  if (st->freeBits > 0 && st->objective == OBJ_ELBO) {
    mask = malloc(sizeof(float) * net->latent);
    if (!mask) { free(st); FAIL("step: out of memory"); }
  }
  pool_lock();
  if (mask) free_bits_mask(st, mask);
  if (net->vamp) vamp_forward(st); /* the VampPrior's components, before the chunks read them */
  pool_run(chunk_task, st);
  if (!atomic_load(&st->failed) && net->vamp) vamp_backward(st);
  if (!atomic_load(&st->failed)) pool_run(update_task, st);
  pool_unlock();
  const int failed = atomic_load(&st->failed);
  if (!failed) finish_stats(st, stats);
  free(mask);
  free(st);
  if (failed) FAIL("step: out of memory");
  return NULL;
}

/*
 * forward(net, params, x, xEnc, eps, batch, hyper, stats, result?) without gradients:
 * mode 2: stats only; mode 3: result (Float64Array [2·batch]) receives per example
 * [log Σ_j w_j, Σ_j log w_j] over its k samples; mode 4: result (Float32Array [2·batch·L])
 * receives mu then logvar (eps is not read).
 */
static napi_value js_forward(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 8) FAIL("forward: too few arguments");
  Step *st = calloc(1, sizeof(Step));
  if (!st) FAIL("forward: out of memory");
  double *hyper, *stats;
  const char *err = read_common(env, argv, st, &hyper, &stats);
  size_t rl;
  if (!err) {
    if (st->mode == MODE_LOGW) {
      if (argc < 9 || typed_of(env, argv[8], napi_float64_array, (void **)&st->logwOut, &rl) || rl < 2 * (size_t)st->batch)
        err = "forward: mode 3 needs a Float64Array of 2·batch";
    } else if (st->mode == MODE_ENCODE) {
      if (argc < 9 || typed_of(env, argv[8], napi_float32_array, (void **)&st->encOut, &rl) || rl < 2 * (size_t)st->batch * st->net->latent)
        err = "forward: mode 4 needs a Float32Array of 2·batch·latent";
    } else if (st->mode != MODE_EVAL) {
      err = "forward: mode must be 2, 3 or 4";
    }
  }
  if (err) {
    free(st);
    napi_throw_error(env, NULL, err);
    return NULL;
  }
  pool_lock();
  if (st->net->vamp && st->mode != MODE_ENCODE) vamp_forward(st);
  pool_run(chunk_task, st);
  pool_unlock();
  const int failed = atomic_load(&st->failed);
  if (!failed) finish_stats(st, stats);
  free(st);
  if (failed) FAIL("forward: out of memory");
  return NULL;
}

/* normals(state: Uint32Array(4), spare: Float64Array(1), out: Float32Array): fills out with
 * src/math/rng.ts's normals from that state (NaN spare: none) and updates state and spare. */
static napi_value js_normals(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t *s;
  double *spare;
  float *out;
  size_t sl, pl, ol;
  if (argc < 3 || typed_of(env, argv[0], napi_uint32_array, (void **)&s, &sl) || sl != 4 ||
      typed_of(env, argv[1], napi_float64_array, (void **)&spare, &pl) || pl != 1 ||
      typed_of(env, argv[2], napi_float32_array, (void **)&out, &ol))
    FAIL("normals(state: Uint32Array(4), spare: Float64Array(1), out: Float32Array)");
  rng_normals(s, spare, out, ol);
  return NULL;
}

/* info() -> { threads, blas, core, conv, dense } */
static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result, v;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_int32(env, pool_threads(), &v));
  CHECK(napi_set_named_property(env, result, "threads", v));
#ifdef OPENBLAS_VERSION
  CHECK(napi_create_string_utf8(env, OPENBLAS_VERSION, NAPI_AUTO_LENGTH, &v));
#else
  CHECK(napi_create_string_utf8(env, "cblas", NAPI_AUTO_LENGTH, &v));
#endif
  CHECK(napi_set_named_property(env, result, "blas", v));
  CHECK(napi_create_string_utf8(env, openblas_get_corename(), NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, result, "core", v));
  CHECK(napi_create_string_utf8(env, dconv_kernels(), NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, result, "conv", v));
  CHECK(napi_create_string_utf8(env, dgemm_kernels(), NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, result, "dense", v));
  return result;
}

NAPI_MODULE_INIT() {
  static pthread_mutex_t init = PTHREAD_MUTEX_INITIALIZER;
  static int started = 0;
  pthread_mutex_lock(&init);
  if (!started) {
    /* BLAS at one thread: OpenBLAS's own threading is erratic on thin shapes and would
     * oversubscribe the cores together with our pool. */
    openblas_set_num_threads(1);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    const char *env_threads = getenv("VAE_NATIVE_THREADS");
    int n = env_threads && atoi(env_threads) > 0 ? atoi(env_threads) : (int)(cpus > 0 ? cpus : 1);
    pool_start(n);
    started = 1;
  }
  pthread_mutex_unlock(&init);
  napi_property_descriptor props[] = {
      {"createNet", NULL, js_create_net, NULL, NULL, NULL, napi_default, NULL},
      {"step", NULL, js_step, NULL, NULL, NULL, napi_default, NULL},
      {"forward", NULL, js_forward, NULL, NULL, NULL, napi_default, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_default, NULL},
      {"normals", NULL, js_normals, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
