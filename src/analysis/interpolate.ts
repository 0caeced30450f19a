/**
 * Paths through latent space between two encodings (seed 004: "VAEs allow smooth interpolation
 * through the embedding space").
 *
 * - linear: z(t) = (1 − t)·a + t·b.
 * - spherical (slerp, Shoemake 1985): the direction turns at a constant angular speed along the
 *   great circle from â = a/|a| to b̂ = b/|b|, and the length goes linearly from |a| to |b|:
 *
 *     z(t) = ((1 − t)|a| + t|b|) · [ sin((1 − t)Ω)·â + sin(tΩ)·b̂ ] / sin Ω,   cos Ω = â·b̂.
 *
 *   For |a| = |b| this is the textbook slerp of a and b, and the norm stays constant: under a
 *   standard-normal prior most mass lies near the sphere of radius √D, which the straight line
 *   cuts through (its midpoint is shorter). When â and b̂ are (nearly) parallel or opposite, the
 *   great circle is (nearly) undefined and the direction is interpolated linearly instead.
 */

export type InterpolationMethod = 'linear' | 'slerp';

/** `steps` points on the straight line from za to zb (both ends included), steps·D values. */
export function interpolateLinear(za: Float32Array, zb: Float32Array, steps: number): Float32Array {
  checkArgs(za, zb, steps);
  const d = za.length;
  const out = new Float32Array(steps * d);
  for (let i = 0; i < steps; i++) {
    const t = steps === 1 ? 0 : i / (steps - 1);
    for (let j = 0; j < d; j++) out[i * d + j] = (1 - t) * za[j] + t * zb[j];
  }
  return out;
}

/** `steps` points of the spherical interpolation from za to zb (both ends included), steps·D values. */
export function interpolateSlerp(za: Float32Array, zb: Float32Array, steps: number): Float32Array {
  checkArgs(za, zb, steps);
  const d = za.length;
  const na = norm(za);
  const nb = norm(zb);
  if (na === 0 || nb === 0) return interpolateLinear(za, zb, steps);
  let dot = 0;
  for (let j = 0; j < d; j++) dot += (za[j] / na) * (zb[j] / nb);
  const omega = Math.acos(Math.min(1, Math.max(-1, dot)));
  const sinOmega = Math.sin(omega);
  const out = new Float32Array(steps * d);
  for (let i = 0; i < steps; i++) {
    const t = steps === 1 ? 0 : i / (steps - 1);
    const len = (1 - t) * na + t * nb;
    let ca: number;
    let cb: number;
    if (sinOmega < 1e-6) {
      ca = 1 - t;
      cb = t;
    } else {
      ca = Math.sin((1 - t) * omega) / sinOmega;
      cb = Math.sin(t * omega) / sinOmega;
    }
    // direction, renormalised (a no-op on the great circle; needed on the linear fallback)
    let dn = 0;
    const dir = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      dir[j] = ca * (za[j] / na) + cb * (zb[j] / nb);
      dn += dir[j] * dir[j];
    }
    dn = Math.sqrt(dn);
    for (let j = 0; j < d; j++) out[i * d + j] = dn > 0 ? (len * dir[j]) / dn : (1 - t) * za[j] + t * zb[j];
  }
  return out;
}

/** `steps` latent points from `za` to `zb` (both ends included), on a straight line or a great circle (`slerp`). */
export function interpolate(method: InterpolationMethod, za: Float32Array, zb: Float32Array, steps: number): Float32Array {
  return method === 'slerp' ? interpolateSlerp(za, zb, steps) : interpolateLinear(za, zb, steps);
}

function norm(v: Float32Array): number {
  let s = 0;
  for (let j = 0; j < v.length; j++) s += v[j] * v[j];
  return Math.sqrt(s);
}

function checkArgs(za: Float32Array, zb: Float32Array, steps: number): void {
  if (za.length !== zb.length) throw new Error(`interpolate: endpoints have ${za.length} and ${zb.length} dimensions`);
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`interpolate: steps must be an integer ≥ 1, got ${steps}`);
}
