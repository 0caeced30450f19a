/* The gradient sum over chunks (in chunk order, so the result does not depend on the threads)
 * and tfjs's Adam update, each thread on its share of every parameter. */
#include <string.h>
#include "vae.h"

/* tfjs's Adam on one range: m' = β1·m + (1−β1)·g, v' = β2·v + (1−β2)·g², w' = w − lr·(m'/(1−β1ᵗ)) /
 * (sqrt(v'/(1−β2ᵗ)) + ε), in tfjs's order of float operations. Outputs may alias the inputs. */
HOT static void adam_range(size_t n, const float *g, const float *w, const float *m, const float *v, float *wo, float *mo,
                           float *vo, float b1, float b2, float c1, float c2, float mlr, float eps, float a1, float a2) {
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

void update_task(void *arg, int tid) {
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
    if (st->mode == MODE_GRAD) {
      memcpy(st->out[p] + lo, g0 + lo, sizeof(float) * (hi - lo));
      continue;
    }
    adam_range(hi - lo, g0 + lo, st->param[p] + lo, st->m[p] + lo, st->v[p] + lo, st->out[p] + lo, st->mOut[p] + lo,
               st->vOut[p] + lo, b1, b2, c1, c2, mlr, eps, a1, a2);
  }
}
