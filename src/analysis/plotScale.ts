/**
 * Numbers for charts: data extents, "nice" tick values (1, 2 or 5 times a power of ten),
 * tick labels and linear scales. Pure functions, browser-safe, shared by the SVG and the raster
 * renderers so both draw the same axes.
 */

/** [min, max] of the finite values, or null when there are none. */
export function finiteExtent(values: Iterable<number>): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

/** Decimal places needed to print multiples of `step` exactly (step = 1, 2 or 5 x 10^k). */
export function stepDecimals(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) return 0;
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/**
 * The nice step (1, 2 or 5 x 10^k) that cuts [min, max] into about `count` intervals.
 * With `integer`, steps below 1 are raised to 1 (for epochs, counts).
 */
export function tickStep(min: number, max: number, count: number, integer = false): number {
  const span = max - min;
  const raw = span / Math.max(1, count);
  let step: number;
  if (!(raw > 0) || !Number.isFinite(raw)) {
    step = 1;
  } else {
    const power = Math.floor(Math.log10(raw));
    const mag = Math.pow(10, power);
    const n = raw / mag;
    const factor = n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10;
    step = factor * mag;
  }
  return integer ? Math.max(1, Math.round(step)) : step;
}

/** Multiples of `step` inside [min, max] (with a little tolerance for rounding), cleaned of float noise. */
export function ticksInside(min: number, max: number, step: number): number[] {
  if (!(step > 0) || !Number.isFinite(min) || !Number.isFinite(max) || max < min) return [];
  const decimals = stepDecimals(step);
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last && ticks.length < 1000; i++) {
    const v = Number((i * step).toFixed(Math.min(20, decimals)));
    ticks.push(Object.is(v, -0) ? 0 : v);
  }
  return ticks;
}

export interface NiceAxis {
  /** The domain, widened to whole steps when `extend` was asked for. */
  domain: [number, number];
  ticks: number[];
  step: number;
}

/**
 * Ticks for a data range. A zero-width range is widened first (so a single point still gets an
 * axis); with `extend` the domain grows outwards to whole steps, so the first and last tick sit at
 * the ends of the axis (what y axes want); without it the domain is kept (what an epoch axis wants).
 */
export function niceAxis(
  min: number,
  max: number,
  count: number,
  options: { extend?: boolean; integer?: boolean } = {},
): NiceAxis {
  let lo = min;
  let hi = max;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi - lo <= Math.max(Math.abs(lo), Math.abs(hi)) * 1e-12) {
    if (options.integer) {
      lo -= 1;
      hi += 1;
    } else if (lo === 0) {
      hi = 1;
    } else {
      const pad = Math.abs(lo) * 0.05;
      lo -= pad;
      hi += pad;
    }
  }
  let step = tickStep(lo, hi, count, options.integer);
  if (options.extend) {
    // Widening can change the best step once; two rounds settle it.
    for (let round = 0; round < 2; round++) {
      const decimals = stepDecimals(step);
      lo = Number((Math.floor(lo / step + 1e-9) * step).toFixed(Math.min(20, decimals)));
      hi = Number((Math.ceil(hi / step - 1e-9) * step).toFixed(Math.min(20, decimals)));
      const next = tickStep(lo, hi, count, options.integer);
      if (next === step) break;
      step = next;
    }
    const decimals = stepDecimals(step);
    lo = Number((Math.floor(lo / step + 1e-9) * step).toFixed(Math.min(20, decimals)));
    hi = Number((Math.ceil(hi / step - 1e-9) * step).toFixed(Math.min(20, decimals)));
  }
  return { domain: [lo, hi], ticks: ticksInside(lo, hi, step), step };
}

/** Typographic minus sign (U+2212), used in labels instead of the hyphen. */
export const MINUS = '\u2212';

/**
 * A tick label: as many decimals as the step needs, a real minus sign, and exponent notation for
 * very large or very small magnitudes (1.5e6).
 */
export function formatTick(value: number, step: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  let text: string;
  if (abs >= 1e6 || (abs < 1e-4 && step < 1e-4)) {
    const digits = Math.max(0, Math.floor(Math.log10(abs)) - Math.floor(Math.log10(step > 0 ? step : abs)));
    text = value.toExponential(Math.min(20, digits)).replace('e+', 'e');
  } else {
    text = value.toFixed(Math.min(20, stepDecimals(step)));
  }
  return text.replace(/^-/, MINUS);
}

/** A number for a legend or a note: up to `digits` significant decimals, real minus sign. */
export function formatValue(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  let text: string;
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) text = value.toExponential(Math.max(0, digits - 1)).replace('e+', 'e');
  else text = String(Number(value.toPrecision(digits)));
  return text.replace(/^-/, MINUS);
}

/** A linear map from a domain to a range; a zero-width domain maps everything to the range's middle. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): (v: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  if (span === 0 || !Number.isFinite(span)) {
    const mid = (r0 + r1) / 2;
    return () => mid;
  }
  const k = (r1 - r0) / span;
  return (v: number) => r0 + (v - d0) * k;
}
