/* Helpers shared by the native micro-benchmarks (conv_bench.c, dense_bench.c): a monotonic clock,
 * a comparator for medians, a seeded fill, the largest difference relative to the largest value and the CPU model. */
#ifndef VAE_BENCH_UTIL_H
#define VAE_BENCH_UTIL_H
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static inline double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static inline int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static inline void fill(float *p, size_t n, unsigned *s) {
  for (size_t i = 0; i < n; i++) {
    *s = *s * 1664525u + 1013904223u;
    p[i] = ((*s >> 8) / 16777216.0f) - 0.5f;
  }
}

static inline float rel_diff(const float *a, const float *b, size_t n) {
  float m = 0, d = 0;
  for (size_t i = 0; i < n; i++) {
    if (fabsf(a[i]) > m) m = fabsf(a[i]);
    if (fabsf(a[i] - b[i]) > d) d = fabsf(a[i] - b[i]);
  }
  return m > 0 ? d / m : d;
}

/* the "model name" line of /proc/cpuinfo, or "?" */
static inline void cpu_model(char *model, size_t size) {
  snprintf(model, size, "?");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10)) continue;
    const char *p = strchr(line, ':');
    if (p) { snprintf(model, size, "%s", p + 2); model[strcspn(model, "\n")] = 0; }
    break;
  }
  fclose(f);
}

#endif
