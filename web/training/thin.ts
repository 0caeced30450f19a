/** Thinning a long series for drawing. */

/** At most about `max` points: means of equal runs of consecutive points (long trainings stay cheap to draw). */
export function thin(points: readonly (readonly [number, number])[], max = 1500): [number, number][] {
  const k = Math.ceil(points.length / max);
  if (k <= 1) return points.map(([x, y]) => [x, y]);
  const out: [number, number][] = [];
  for (let i = 0; i < points.length; i += k) {
    const run = points.slice(i, i + k);
    out.push([run.reduce((a, p) => a + p[0], 0) / run.length, run.reduce((a, p) => a + p[1], 0) / run.length]);
  }
  return out;
}
