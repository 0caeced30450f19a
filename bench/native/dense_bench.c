/*
 * Micro-benchmark of the dense layers' GEMMs, one thread: OpenBLAS sgemm (native/src/kernels.c's
 * gemm) against oneDNN's sgemm (native/src/conv_dnnl.c's dgemm, which VAE_NATIVE_GEMM=auto picks
 * on Intel AVX-512 CPUs), on every GEMM of a training step as net.c calls them: forward
 * (rows × in · in × out), backward-data (rows × out · (in × out)ᵀ) and weight gradient
 * ((rows × in)ᵀ · rows × out), for the 784-400-20 MLP at chunks of 32 and 64 rows (batches 64 and
 * 128 in two chunks) and the 784-200-200-50 MLP at the 500 rows of an IWAE-50 chunk (10 examples
 * × 50 samples). Build and run: bash bench/native/run.sh dense [reps].
 *
 * Times are the minimum and the median over alternating repetitions (A B A B …): on a shared
 * machine the minimum is the least disturbed figure. Both results are compared (largest
 * difference relative to the largest magnitude) so a fast wrong kernel shows.
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../../native/src/vae.h"
#include "bench_util.h"

typedef struct {
  const char *name;
  int in, out;
} Dense;

/* kind 0: forward, 1: backward-data, 2: weight gradient; path 0: OpenBLAS, 1: oneDNN */
static int run(int kind, int path, int rows, const Dense *l, const float *x, const float *w, const float *dy, float *out) {
  int tA = 0, tB = 0, M = rows, N = l->out, K = l->in;
  const float *A = x, *B = w;
  if (kind == 1) { tB = 1; N = l->in; K = l->out; A = dy; }
  if (kind == 2) { tA = 1; M = l->in; N = l->out; K = rows; B = dy; }
  if (path == 1) return dgemm(tA, tB, M, N, K, A, B, out, 0);
  gemm(tA, tB, M, N, K, A, B, out, 0);
  return 0;
}

int main(int argc, char **argv) {
  const int repsArg = argc > 1 ? atoi(argv[1]) : 0;
  openblas_set_num_threads(1);
  const Dense mlp[] = {{"784-400-20: enc 784->400", 784, 400}, {"784-400-20: heads 400->20", 400, 20}, {"784-400-20: dec 20->400", 20, 400}, {"784-400-20: dec 400->784", 400, 784}};
  const Dense iw[] = {{"784-200-200-50: dec 50->200", 50, 200}, {"784-200-200-50: dec 200->200", 200, 200}, {"784-200-200-50: dec 200->784", 200, 784}};
  struct { const Dense *l; int rows; } cases[16];
  int n = 0;
  for (int r = 32; r <= 64; r += 32)
    for (int i = 0; i < 4; i++) cases[n++] = (typeof(cases[0])){&mlp[i], r};
  for (int i = 0; i < 3; i++) cases[n++] = (typeof(cases[0])){&iw[i], 500};
  const char *kindName[3] = {"forward", "bwd-data", "weight-grad"};
  char model[256];
  cpu_model(model, sizeof model);
  printf("CPU: %s; one thread; %s (%s core); %s\n", model, OPENBLAS_VERSION, openblas_get_corename(), dconv_version());
  printf("auto choice on this machine: %s\n", dgemm_kernels());
  printf("%-30s %5s %-12s %12s %12s %10s %10s %7s %9s\n", "dense layer", "rows", "GEMM", "OpenBLAS min", "OpenBLAS med", "dnnl min", "dnnl med", "speedup", "rel.diff");
  for (int c = 0; c < n; c++) {
    const Dense *l = cases[c].l;
    const int rows = cases[c].rows;
    const size_t nx = (size_t)rows * l->in, nw = (size_t)l->in * l->out, ny = (size_t)rows * l->out;
    const size_t nOut = nx > nw ? (nx > ny ? nx : ny) : (nw > ny ? nw : ny);
    float *x = malloc(4 * nx), *w = malloc(4 * nw), *dy = malloc(4 * ny), *o0 = malloc(4 * nOut), *o1 = malloc(4 * nOut);
    unsigned s = 12345;
    fill(x, nx, &s); fill(w, nw, &s); fill(dy, ny, &s);
    for (int kind = 0; kind < 3; kind++) {
      const size_t len = kind == 0 ? ny : kind == 1 ? nx : nw;
      const int reps = repsArg > 0 ? repsArg : 60;
      double t0[400], t1[400];
      run(kind, 0, rows, l, x, w, dy, o0); /* warm: packing buffers, JIT kernels */
      const int have = run(kind, 1, rows, l, x, w, dy, o1) == 0;
      for (int r = 0; r < reps && r < 400; r++) {
        double a = now_ms();
        run(kind, 0, rows, l, x, w, dy, o0);
        double m = now_ms();
        if (have) run(kind, 1, rows, l, x, w, dy, o1);
        double e = now_ms();
        t0[r] = m - a;
        t1[r] = e - m;
      }
      const int used = reps < 400 ? reps : 400;
      qsort(t0, used, sizeof(double), cmp_d);
      qsort(t1, used, sizeof(double), cmp_d);
      if (have)
        printf("%-30s %5d %-12s %12.4f %12.4f %10.4f %10.4f %7.2f %9.1e\n", l->name, rows, kindName[kind], t0[0], t0[used / 2], t1[0], t1[used / 2],
               t0[0] / t1[0], rel_diff(o0, o1, len));
      else
        printf("%-30s %5d %-12s %12.4f %12.4f %10s %10s %7s %9s\n", l->name, rows, kindName[kind], t0[0], t0[used / 2], "-", "-", "-", "oneDNN absent");
      fflush(stdout);
    }
    free(x); free(w); free(dy); free(o0); free(o1);
  }
  return 0;
}
