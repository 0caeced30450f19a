/*
 * Micro-benchmark of the seed-000 conv VAE's convolutions, one thread: im2col + OpenBLAS sgemm
 * (native/src/kernels.c, as net.c calls them) against oneDNN (native/src/conv_dnnl.c) for the
 * forward, backward-data and backward-weights of each convolution, at chunks of 16 examples and
 * the whole batches 64 and 128. A transposed convolution is timed as the convolution whose
 * backward-data it is (its forward = that conv's backward-data, its input gradient = the conv's
 * forward). Build and run: bash bench/native/run.sh [reps].
 *
 * Times are the minimum and the median over alternating repetitions (A B A B …): on a shared
 * machine the minimum is the least disturbed figure. Both paths' results are compared (largest
 * difference relative to the largest magnitude) so a fast wrong kernel shows.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../../native/src/vae.h"
#include "bench_util.h"

typedef struct {
  const char *name;
  Geo g;
  int O;
} Case;

/* kind 0: forward, 1: backward-data, 2: backward-weights; path 0: im2col + sgemm, 1: oneDNN */
static int run(int kind, int path, const Case *c, int b, const float *img, const float *w, const float *grid, float *out, float *col) {
  const Geo *g = &c->g;
  const int rows = b * g->OH * g->OW, K = g->k * g->k * g->C;
  if (path == 1) {
    if (kind == 0) return dconv_forward(g, c->O, b, img, w, out);
    if (kind == 1) return dconv_backward_data(g, c->O, b, grid, w, out);
    return dconv_backward_weights(g, c->O, b, img, grid, out);
  }
  if (kind == 0) {
    im2col(g, b, img, col);
    gemm(0, 0, rows, c->O, K, col, w, out, 0);
  } else if (kind == 1) {
    gemm(0, 1, rows, K, c->O, grid, w, col, 0);
    col2im(g, b, col, out);
  } else {
    im2col(g, b, img, col);
    gemm(1, 0, K, c->O, rows, col, grid, out, 0);
  }
  return 0;
}

int main(int argc, char **argv) {
  const int repsArg = argc > 1 ? atoi(argv[1]) : 0;
  openblas_set_num_threads(1);
  const Case cases[] = {
      {"conv1 3->32   32x32->16x16 k3", {32, 32, 3, 3, 2, 1, 1, 16, 16}, 32},
      {"conv2 32->64  16x16->8x8 k3", {16, 16, 32, 3, 2, 1, 1, 8, 8}, 64},
      {"conv3 64->128 8x8->4x4 k3", {8, 8, 64, 3, 2, 1, 1, 4, 4}, 128},
      {"deconv1 128->64 4x4->8x8 k4", {8, 8, 64, 4, 2, 1, 1, 4, 4}, 128},
      {"deconv2 64->32 8x8->16x16 k4", {16, 16, 32, 4, 2, 1, 1, 8, 8}, 64},
      {"deconv3 32->3 16x16->32x32 k4", {32, 32, 3, 4, 2, 1, 1, 16, 16}, 32},
  };
  const int batches[] = {16, 64, 128};
  const char *kindName[3] = {"forward", "bwd-data", "bwd-weights"};
  /* a transposed conv's own names for the conv primitive that serves it */
  const char *deconvName[3] = {"(its dx)", "(its fwd)", "(its dW)"};
  char model[256];
  cpu_model(model, sizeof model);
  printf("CPU: %s; one thread; %s (%s core); %s\n", model, OPENBLAS_VERSION, openblas_get_corename(), dconv_version());
  printf("%-32s %5s %-22s %10s %10s %10s %10s %7s %9s  %s\n", "convolution", "batch", "primitive", "gemm min", "gemm med", "dnnl min",
         "dnnl med", "speedup", "rel.diff", "oneDNN implementation");
  for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
    const Case *c = &cases[ci];
    const Geo *g = &c->g;
    const int deconv = c->g.k == 4;
    for (size_t bi = 0; bi < sizeof batches / sizeof batches[0]; bi++) {
      const int b = batches[bi];
      const size_t nImg = (size_t)b * g->H * g->W * g->C, nGrid = (size_t)b * g->OH * g->OW * c->O, nW = (size_t)g->k * g->k * g->C * c->O;
      const size_t nCol = (size_t)b * g->OH * g->OW * g->k * g->k * g->C;
      float *img = malloc(4 * nImg), *grid = malloc(4 * nGrid), *w = malloc(4 * nW), *col = malloc(4 * nCol);
      size_t nOut = nImg > nGrid ? nImg : nGrid;
      if (nW > nOut) nOut = nW;
      float *o0 = malloc(4 * nOut), *o1 = malloc(4 * nOut);
      unsigned s = 12345;
      fill(img, nImg, &s); fill(grid, nGrid, &s); fill(w, nW, &s);
      for (int kind = 0; kind < 3; kind++) {
        const size_t n = kind == 0 ? nGrid : kind == 1 ? nImg : nW;
        /* repetitions: about 40 ms of work per path at b = 16, fewer for the big batches */
        const int reps = repsArg > 0 ? repsArg : b == 16 ? 40 : b == 64 ? 15 : 9;
        double t0[200], t1[200];
        run(kind, 0, c, b, img, w, grid, o0, col); /* warm: allocation, primitive creation */
        const int have = run(kind, 1, c, b, img, w, grid, o1, col) == 0;
        for (int r = 0; r < reps && r < 200; r++) {
          double a = now_ms();
          run(kind, 0, c, b, img, w, grid, o0, col);
          double m = now_ms();
          if (have) run(kind, 1, c, b, img, w, grid, o1, col);
          double e = now_ms();
          t0[r] = m - a;
          t1[r] = e - m;
        }
        qsort(t0, reps, sizeof(double), cmp_d);
        qsort(t1, reps, sizeof(double), cmp_d);
        char prim[64];
        snprintf(prim, sizeof prim, "%s%s%s", kindName[kind], deconv ? " " : "", deconv ? deconvName[kind] : "");
        if (have)
          printf("%-32s %5d %-22s %10.3f %10.3f %10.3f %10.3f %7.2f %9.1e  %s\n", c->name, b, prim, t0[0], t0[reps / 2], t1[0], t1[reps / 2],
                 t0[0] / t1[0], rel_diff(o0, o1, n), dconv_impl(kind, g, c->O, b));
        else
          printf("%-32s %5d %-22s %10.3f %10.3f %10s %10s %7s %9s  %s\n", c->name, b, prim, t0[0], t0[reps / 2], "-", "-", "-", "-", "oneDNN refused");
        fflush(stdout);
      }
      free(img); free(grid); free(w); free(col); free(o0); free(o1);
    }
  }
  return 0;
}
