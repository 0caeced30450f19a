/**
 * Tiny SVG helpers over d3's modules: element creation, linear scales (`d3-scale`), axes
 * (`d3-axis`, the page's one tick implementation), line paths (`d3-shape`) and accessible names.
 * Data in, DOM out.
 */
import { axisBottom as d3AxisBottom, axisLeft as d3AxisLeft } from 'd3-axis';
import { scaleLinear, type ScaleLinear } from 'd3-scale';
import { select } from 'd3-selection';
import { line } from 'd3-shape';

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

/** A linear map from domain to range (d3's, with `invert`, `ticks` and `domain()`/`range()`). */
export type Scale = ScaleLinear<number, number>;

/** d3's linear scale from `domain` to `range`. */
export function linear(domain: readonly [number, number], range: readonly [number, number]): Scale {
  return scaleLinear().domain(domain).range(range);
}

/** A scale's domain as [low, high] whatever its direction. */
export function domainOf(s: Scale): [number, number] {
  const [a, b] = s.domain();
  return [Math.min(a, b), Math.max(a, b)];
}

export interface AxisOptions {
  label?: string;
  /** About how many ticks (d3's `ticks(count)`: steps of 1, 2 or 5 times a power of ten). */
  count?: number;
  /** Tick label formatter; default d3's fixed-point format with as many decimals as the step needs. */
  format?(v: number): string;
}

/** A bottom axis at y = `at`, drawn by d3-axis, with an optional label under it. */
export function axisBottom(parent: Element, x: Scale, at: number, o: AxisOptions = {}): SVGGElement {
  const g = svgEl('g', { class: 'axis axis-x', transform: `translate(0,${at})` }, parent);
  const count = o.count ?? 5;
  const axis = d3AxisBottom(x).ticks(count).tickSizeOuter(0).tickFormat(o.format ? (v) => o.format!(Number(v)) : x.tickFormat(count, '~f'));
  select(g).call(axis);
  const [r0, r1] = x.range();
  if (o.label) svgEl('text', { x: (r0 + r1) / 2, y: 30, 'text-anchor': 'middle', class: 'axis-label' }, g).textContent = o.label;
  return g;
}

/** A left axis at x = `at`, drawn by d3-axis. */
export function axisLeft(parent: Element, y: Scale, at: number, o: AxisOptions = {}): SVGGElement {
  const g = svgEl('g', { class: 'axis axis-y', transform: `translate(${at},0)` }, parent);
  const count = o.count ?? 5;
  const axis = d3AxisLeft(y).ticks(count).tickSizeOuter(0).tickFormat(o.format ? (v) => o.format!(Number(v)) : y.tickFormat(count, '~f'));
  select(g).call(axis);
  if (o.label) {
    const [r0, r1] = y.range();
    svgEl('text', { x: 0, y: 0, transform: `translate(-38,${(r0 + r1) / 2}) rotate(-90)`, 'text-anchor': 'middle', class: 'axis-label' }, g).textContent = o.label;
  }
  return g;
}

const path = line<readonly [number, number]>()
  .defined(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
  .x(([x]) => x)
  .y(([, y]) => y);

/** An SVG path through points (d3-shape's line); NaN points break the line. */
export function linePath(points: ReadonlyArray<readonly [number, number]>): string {
  return path(points) ?? '';
}

/**
 * Gives a plot an accessible name and a short text alternative: role="img" (or "group" for a plot
 * holding focusable handles), aria-label, aria-description and a <title>/<desc> pair (call again to
 * update the description).
 */
export function describe(svg: SVGSVGElement, name: string, description = '', role: 'img' | 'group' = 'img'): void {
  svg.setAttribute('role', role);
  svg.setAttribute('aria-label', name);
  let title = svg.querySelector(':scope > title');
  if (!title) {
    title = svgEl('title', {});
    svg.insertBefore(title, svg.firstChild);
  }
  title.textContent = name;
  let desc = svg.querySelector(':scope > desc');
  if (!desc) {
    desc = svgEl('desc', {});
    title.after(desc);
  }
  desc.textContent = description;
  if (description) svg.setAttribute('aria-description', description);
}

/** Removes every child of an element. */
export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}
