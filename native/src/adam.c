/* The gradient sum over chunks (in chunk order, so the result does not depend on the threads)
 * and tfjs's Adam update in one pass, each thread on its share of every parameter. */
#include <math.h>
#include <string.h>
#include "vae.h"

/* Adam on one range: m' = β1·m + (1−β1)·g, v' = β2·v + (1−β2)·g², w' = w − lr·(m'/(1−β1ᵗ)) /
 * (sqrt(v'/(1−β2ᵗ)) + ε), tfjs's update, computed as w' = w + s·m' / (sqrt(v')·r + ε) with
 * s = −lr/(1−β1ᵗ) and r = 1/sqrt(1−β2ᵗ) taken once per step (as PyTorch does): one square root
 * and one division per weight instead of three divisions and a square root. The divider is the
 * slowest unit on the path (AVX-512: ~10–12 cycles per 16 floats each), and this loop was 30% of
 * a one-thread MLP step; the result differs from tfjs's order of operations by a few ulps.
 * Outputs may alias the inputs. */
HOT static void adam_range(size_t n, const float *g, const float *w, const float *m, const float *v, float *wo, float *mo,
                           float *vo, float b1, float b2, float c1, float c2, float s, float r, float eps) {
#pragma GCC ivdep
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mn = m[i] * b1 + gi * c1;
    const float vn = v[i] * b2 + (gi * gi) * c2;
    const float wn = (s * mn) / (sqrtf(vn) * r + eps) + w[i];
    mo[i] = mn;
    vo[i] = vn;
    wo[i] = wn;
  }
}

/* buf = s[0] + s[1] + … + s[n−1] over one block, added left to right as add_into did (the same
 * float operations in the same order, so the same bits) */
HOT static void sum_slots(float *restrict buf, float *const *s, int n, size_t at, size_t len) {
  const float *restrict a = s[0] + at, *restrict b = s[1] + at;
  for (size_t i = 0; i < len; i++) buf[i] = a[i] + b[i];
  for (int c = 2; c < n; c++) {
    const float *restrict d = s[c] + at;
    for (size_t i = 0; i < len; i++) buf[i] += d[i];
  }
}

/* Block of the fused pass: the chunk sums of a block stay in L1 for the Adam update that reads
 * them, instead of a pass that writes the sum over slot 0 and a second one that reads it back. */
#define UBLOCK 2048

void update_task(void *arg, int tid) {
  Step *st = arg;
  Net *net = st->net;
  const int T = net->threads;
  const float b1 = st->beta1, b2 = st->beta2, c1 = st->c1, c2 = st->c2;
  const float eps = st->epsilon;
  const float s = (float)(-(double)st->lr / st->oneMinusAcc1), r = (float)(1.0 / sqrt((double)st->oneMinusAcc2));
  float buf[UBLOCK] __attribute__((aligned(64)));
  for (int p = 0; p < net->nParams; p++) {
    const size_t size = net->paramSize[p], off = net->paramOffset[p];
    const size_t lo = size * tid / T, hi = size * (tid + 1) / T;
    for (size_t at = lo; at < hi; at += UBLOCK) {
      const size_t len = hi - at < UBLOCK ? hi - at : UBLOCK;
      const float *g = net->slot[0] + off + at;
      if (st->nChunks > 1) {
        sum_slots(buf, net->slot, st->nChunks, off + at, len);
        g = buf;
      }
      if (st->mode == MODE_GRAD) {
        memcpy(st->out[p] + at, g, sizeof(float) * len);
        continue;
      }
      adam_range(len, g, st->param[p] + at, st->m[p] + at, st->v[p] + at, st->out[p] + at, st->mOut[p] + at, st->vOut[p] + at,
                 b1, b2, c1, c2, s, r, eps);
    }
  }
}
