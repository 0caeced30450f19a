/** A line chart of loss curves over epochs, with an optional marker at one epoch. */
import { MARGIN } from './plot.js';
import { axisBottom, axisLeft, linePath, scaleLinear, svgEl, type Scale } from './svg.js';

export interface Series {
  label: string;
  colour: string;
  /** (epoch, value) pairs. */
  values: ReadonlyArray<readonly [number, number]>;
  width?: number;
  dash?: string;
  /** Clicking the line calls this. */
  onClick?(): void;
  /** Extra class on the path. */
  className?: string;
}

export interface Chart {
  svg: SVGSVGElement;
  x: Scale;
  y: Scale;
  /** Moves the vertical marker to an epoch (null hides it). */
  mark(epoch: number | null): void;
}

export interface ChartOptions {
  width: number;
  height: number;
  xLabel?: string;
  yLabel?: string;
  /** x domain; default from the data. */
  xDomain?: readonly [number, number];
  legend?: boolean;
}

export function lossChart(series: Series[], o: ChartOptions): Chart {
  const left = MARGIN.left + 22;
  const svg = svgEl('svg', { width: o.width, height: o.height, viewBox: `0 0 ${o.width} ${o.height}`, class: 'chart' });
  const all = series.flatMap((s) => s.values).filter(([, v]) => Number.isFinite(v));
  const xs = all.map(([e]) => e);
  const vs = all.map(([, v]) => v);
  const x0 = o.xDomain?.[0] ?? Math.min(0, ...xs);
  const x1 = o.xDomain?.[1] ?? Math.max(1, ...xs);
  let y0 = vs.length ? Math.min(...vs) : 0;
  let y1 = vs.length ? Math.max(...vs) : 1;
  const pad = (y1 - y0) * 0.06 || Math.abs(y0) * 0.01 || 1;
  y0 -= pad;
  y1 += pad;
  const x = scaleLinear([x0, x1], [left, o.width - MARGIN.right]);
  const y = scaleLinear([y0, y1], [o.height - MARGIN.bottom, MARGIN.top]);
  svgEl('rect', { x: left, y: MARGIN.top, width: o.width - MARGIN.right - left, height: o.height - MARGIN.bottom - MARGIN.top, class: 'plot-area' }, svg);
  axisBottom(svg, x, o.height - MARGIN.bottom, { label: o.xLabel ?? 'epoch', count: Math.min(8, Math.max(1, x1 - x0)), format: (v) => String(Math.round(v)) });
  axisLeft(svg, y, left, { label: o.yLabel, count: 4 });
  const marker = svgEl('line', { class: 'marker', y1: MARGIN.top, y2: o.height - MARGIN.bottom, visibility: 'hidden' }, svg);
  for (const s of series) {
    const d = linePath(s.values.map(([e, v]) => [x(e), y(v)] as const));
    const path = svgEl('path', { d, stroke: s.colour, 'stroke-width': s.width ?? 1.8, 'stroke-dasharray': s.dash, class: `series ${s.className ?? ''}`.trim() }, svg);
    if (s.onClick) {
      // a wide transparent twin makes thin lines easy to click
      const hit = svgEl('path', { d, class: 'series-hit' }, svg);
      hit.addEventListener('click', s.onClick);
      path.addEventListener('click', s.onClick);
    }
    svgEl('title', {}, path).textContent = s.label;
  }
  if (o.legend !== false) {
    const g = svgEl('g', { class: 'legend' }, svg);
    series.forEach((s, i) => {
      const ly = MARGIN.top + 12 + i * 15;
      const lx = o.width - MARGIN.right - 130;
      svgEl('line', { x1: lx, x2: lx + 18, y1: ly - 4, y2: ly - 4, stroke: s.colour, 'stroke-width': s.width ?? 1.8, 'stroke-dasharray': s.dash }, g);
      svgEl('text', { x: lx + 24, y: ly }, g).textContent = s.label;
    });
  }
  return {
    svg, x, y,
    mark(epoch) {
      if (epoch === null) {
        marker.setAttribute('visibility', 'hidden');
        return;
      }
      marker.setAttribute('visibility', 'visible');
      marker.setAttribute('x1', String(x(epoch)));
      marker.setAttribute('x2', String(x(epoch)));
    },
  };
}
