/** Tiny SVG helpers: element creation, linear scales, nice ticks, axes. Data in, DOM out. */

export const SVG_NS = 'http://www.w3.org/2000/svg';

type Attrs = Record<string, string | number | undefined>;

/** Creates an SVG element with attributes, appended to `parent` when given. */
export function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, parent?: Element): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  if (parent) parent.appendChild(el);
  return el;
}

export function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined) el.setAttribute(k, String(v));
  }
}

/** A linear map from `domain` to `range`, with its inverse. */
export interface Scale {
  (v: number): number;
  invert(p: number): number;
  domain: readonly [number, number];
  range: readonly [number, number];
}

export function scaleLinear(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  const f = ((v: number) => r0 + (v - d0) * k) as Scale;
  f.invert = (p: number) => (k === 0 ? d0 : d0 + (p - r0) / k);
  f.domain = domain;
  f.range = range;
  return f;
}

/** About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of ten). */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** Formats a tick value with as few decimals as its step needs. */
export function formatTick(v: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return v.toFixed(Math.min(decimals, 6));
}

export interface AxisOptions {
  label?: string;
  count?: number;
  /** Tick label formatter; default from the tick step. */
  format?(v: number): string;
}

/** A bottom axis at y = `at` (baseline, ticks, labels). */
export function axisBottom(parent: Element, x: Scale, at: number, o: AxisOptions = {}): SVGGElement {
  const g = svgEl('g', { class: 'axis axis-x' }, parent);
  const [a, b] = x.domain;
  const t = ticks(Math.min(a, b), Math.max(a, b), o.count ?? 5);
  const step = t.length > 1 ? t[1] - t[0] : 1;
  svgEl('line', { x1: x.range[0], x2: x.range[1], y1: at, y2: at }, g);
  for (const v of t) {
    const px = x(v);
    svgEl('line', { x1: px, x2: px, y1: at, y2: at + 4 }, g);
    svgEl('text', { x: px, y: at + 14, 'text-anchor': 'middle' }, g).textContent = o.format ? o.format(v) : formatTick(v, step);
  }
  if (o.label) svgEl('text', { x: (x.range[0] + x.range[1]) / 2, y: at + 28, 'text-anchor': 'middle', class: 'axis-label' }, g).textContent = o.label;
  return g;
}

/** A left axis at x = `at`. */
export function axisLeft(parent: Element, y: Scale, at: number, o: AxisOptions = {}): SVGGElement {
  const g = svgEl('g', { class: 'axis axis-y' }, parent);
  const [a, b] = y.domain;
  const t = ticks(Math.min(a, b), Math.max(a, b), o.count ?? 5);
  const step = t.length > 1 ? t[1] - t[0] : 1;
  svgEl('line', { x1: at, x2: at, y1: y.range[0], y2: y.range[1] }, g);
  for (const v of t) {
    const py = y(v);
    svgEl('line', { x1: at - 4, x2: at, y1: py, y2: py }, g);
    svgEl('text', { x: at - 6, y: py + 3.5, 'text-anchor': 'end' }, g).textContent = o.format ? o.format(v) : formatTick(v, step);
  }
  if (o.label) {
    const cy = (y.range[0] + y.range[1]) / 2;
    svgEl('text', { x: 0, y: 0, transform: `translate(${at - 38},${cy}) rotate(-90)`, 'text-anchor': 'middle', class: 'axis-label' }, g).textContent = o.label;
  }
  return g;
}

/** An SVG path through points (`M x y L x y ...`); NaN points break the line. */
export function linePath(points: ReadonlyArray<readonly [number, number]>): string {
  let d = '';
  let pen = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x.toFixed(2)} ${y.toFixed(2)}`;
    pen = true;
  }
  return d;
}

/** Removes every child of an element. */
export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}
