/* Standard normals exactly as src/math/rng.ts draws them (xoshiro128**, uniform = u32 / 2^32,
 * Box-Muller in double keeping the second value of each pair), so the native engine can draw a
 * long run of eps (IWAE-K evaluation: K·n·latent values) without leaving C; the caller passes the
 * JS generator's state in and takes it back. V8's and glibc's log/sin/cos may differ in the last
 * bit of a double, which after rounding to float32 almost never shows. */
#include <math.h>
#include "vae.h"

static inline uint32_t rotl32(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

static inline uint32_t next_u32(uint32_t *s) {
  const uint32_t result = rotl32(s[1] * 5u, 7) * 9u;
  const uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl32(s[3], 11);
  return result;
}

void rng_normals(uint32_t *s, double *spare, float *out, size_t n) {
  size_t i = 0;
  if (n > 0 && !isnan(*spare)) {
    out[i++] = (float)*spare;
    *spare = NAN;
  }
  while (i < n) {
    double u = 0;
    while (u == 0) u = next_u32(s) / 4294967296.0;
    const double v = next_u32(s) / 4294967296.0;
    const double r = sqrt(-2 * log(u));
    const double a = 2 * M_PI * v;
    out[i++] = (float)(r * cos(a));
    const double second = r * sin(a);
    if (i < n) out[i++] = (float)second;
    else *spare = second;
  }
}
