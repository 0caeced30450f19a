/**
 * A line chart of loss curves over epochs (d3 scales, axes and line paths), with an optional
 * marker at one epoch. Pointer handling is the chart's own: the curve nearest the pointer (within
 * a few pixels) is the one hovered or clicked, so no curve's hit area hides another's; a drag
 * along the chart scrubs through the epochs when the chart has an `onScrub`. When the first epochs'
 * losses lie far above the rest (a long run), the y axis is cut at the top as in the CLI's charts
 * (`yRange` of src/plot/axisCut.ts): the curves are clipped there and a line above the plot names
 * the epochs cut off.
 */
import { cutNote, yRange } from '../../src/plot/axisCut.js';
import { svgPoint } from './drag.js';
import { MARGIN } from './plot.js';
import { axisBottom, axisLeft, describe, linear, linePath, svgEl, type Scale } from './svg.js';

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
  /** What hovering names (default: the label); series with the same key are outlined together. */
  key?: string;
}

export interface Chart {
  svg: SVGSVGElement;
  /** The layer of the curves, clipped to the plot area when the axis is cut: add marks in data coordinates here. */
  plot: SVGGElement;
  x: Scale;
  y: Scale;
  /** Moves the vertical marker to an epoch (null hides it). */
  mark(epoch: number | null): void;
  /** Outlines the series of a key (null: none), as hovering one does. */
  highlight(key: string | null): void;
}

export interface ChartOptions {
  width: number;
  height: number;
  xLabel?: string;
  yLabel?: string;
  /** x domain; default from the data. */
  xDomain?: readonly [number, number];
  legend?: boolean;
  /** Accessible name of the chart (default: "loss curves"). */
  name?: string;
  /** Called with the epoch under the pointer while the chart is dragged (or clicked off a curve). */
  onScrub?(epoch: number): void;
  /** Called with the key of the series under the pointer (null when it leaves them). */
  onHover?(key: string | null): void;
}

/** Height of the line above the plot that names the epochs cut off the top. */
const CUT_NOTE_PX = 16;

/** Numbers the charts' clip paths (their ids must be unique in the page). */
let clipIds = 0;

/** Pixels from the pointer within which a curve counts as under it. */
const HIT_PX = 7;

/** Squared distance from (px, py) to the segment (ax, ay)–(bx, by). */
function segmentDistance2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax, dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
  const ex = ax + t * dx - px, ey = ay + t * dy - py;
  return ex * ex + ey * ey;
}

/** Index of the polyline nearest (px, py) within `maxPx`, or -1. */
export function nearestLine(lines: ReadonlyArray<ReadonlyArray<readonly [number, number]>>, px: number, py: number, maxPx = HIT_PX): number {
  let best = -1, bestD = maxPx * maxPx + 1e-9;
  lines.forEach((pts, i) => {
    const finite = pts.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    for (let k = 0; k < finite.length; k++) {
      const [ax, ay] = finite[k];
      const [bx, by] = finite[Math.min(k + 1, finite.length - 1)];
      const d = segmentDistance2(px, py, ax, ay, bx, by);
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
  });
  return best;
}

export function lossChart(series: Series[], o: ChartOptions): Chart {
  const left = MARGIN.left + 22;
  const svg = svgEl('svg', { width: o.width, height: o.height, viewBox: `0 0 ${o.width} ${o.height}`, class: 'chart' });
  const all = series.flatMap((s) => s.values).filter(([, v]) => Number.isFinite(v));
  const xs = all.map(([e]) => e);
  const vs = all.map(([, v]) => v);
  const x0 = o.xDomain?.[0] ?? Math.min(0, ...xs);
  const x1 = o.xDomain?.[1] ?? Math.max(1, ...xs);
  const range = yRange(series.map((s) => s.values.map(([epoch, value]) => ({ epoch, value }))));
  const cut = range !== undefined && range.cutEpochs.length > 0 ? range : null;
  let y0 = vs.length ? Math.min(...vs) : 0;
  let y1 = vs.length ? Math.max(...vs) : 1;
  if (cut) {
    // the early epochs would flatten the rest into a line at the bottom: cut the axis above the tail
    [y0, y1] = cut.domain;
  } else {
    const pad = (y1 - y0) * 0.06 || Math.abs(y0) * 0.01 || 1;
    y0 -= pad;
    y1 += pad;
  }
  const top = MARGIN.top + (cut ? CUT_NOTE_PX : 0);
  const bottom = o.height - MARGIN.bottom;
  const x = linear([x0, x1], [left, o.width - MARGIN.right]);
  const y = linear([y0, y1], [bottom, top]);
  const cutText = cut ? cutNote(cut.cutEpochs) : '';
  describe(svg, o.name ?? 'loss curves', `${series.map((s) => s.label).join(', ')}; −ELBO in nats per epoch ${x0}–${x1}${cut ? `; the y axis is cut at ${y1.toFixed(1)}: ${cutText}` : ''}`);
  svgEl('rect', { x: left, y: top, width: o.width - MARGIN.right - left, height: bottom - top, class: 'plot-area' }, svg);
  let clip: string | undefined;
  if (cut) {
    clip = `chart-clip-${++clipIds}`;
    const defs = svgEl('defs', {}, svg);
    svgEl('rect', { x: left, y: top, width: o.width - MARGIN.right - left, height: bottom - top }, svgEl('clipPath', { id: clip }, defs));
    svgEl('text', { x: left, y: top - 5, class: 'cut-note' }, svg).textContent = cutText;
  }
  // whole epochs only, at most 8 ticks
  axisBottom(svg, x, bottom, { label: o.xLabel ?? 'epoch', count: Math.min(8, Math.max(1, x1 - x0)), format: (v) => (Number.isInteger(v) ? String(v) : '') });
  axisLeft(svg, y, left, { label: o.yLabel, count: 4 });
  const marker = svgEl('line', { class: 'marker', y1: top, y2: bottom, visibility: 'hidden' }, svg);
  const plot = svgEl('g', { class: 'plot-layer', 'clip-path': clip ? `url(#${clip})` : undefined }, svg);
  const pixelsOf = series.map((s) => s.values.map(([e, v]) => [x(e), y(v)] as const));
  const paths = series.map((s, i) => {
    const path = svgEl('path', {
      d: linePath(pixelsOf[i]), stroke: s.colour, 'stroke-width': s.width ?? 1.8, 'stroke-dasharray': s.dash,
      class: `series ${s.className ?? ''}`.trim(), 'data-key': s.key ?? s.label,
    }, plot);
    svgEl('title', {}, path).textContent = s.label;
    return path;
  });
  if (o.legend !== false) {
    const g = svgEl('g', { class: 'legend' }, svg);
    series.forEach((s, i) => {
      const ly = top + 12 + i * 15;
      const lx = o.width - MARGIN.right - 130;
      svgEl('line', { x1: lx, x2: lx + 18, y1: ly - 4, y2: ly - 4, stroke: s.colour, 'stroke-width': s.width ?? 1.8, 'stroke-dasharray': s.dash }, g);
      svgEl('text', { x: lx + 24, y: ly }, g).textContent = s.label;
    });
  }
  // the name of the hovered curve, drawn in the chart's top-left corner
  const tip = svgEl('text', { x: left + 6, y: top + 14, class: 'hover-name', visibility: 'hidden' }, svg);

  const interactive = Boolean(o.onScrub || o.onHover || series.some((s) => s.onClick));
  let hovered: string | null = null;
  const highlight = (key: string | null): void => {
    paths.forEach((p, i) => p.classList.toggle('hot', key !== null && (series[i].key ?? series[i].label) === key));
    svg.classList.toggle('has-hot', key !== null);
  };
  const setHover = (i: number): void => {
    const key = i >= 0 ? (series[i].key ?? series[i].label) : null;
    if (key === hovered) return;
    hovered = key;
    highlight(key);
    tip.textContent = key ?? '';
    tip.setAttribute('visibility', key ? 'visible' : 'hidden');
    o.onHover?.(key);
  };
  const epochAt = (px: number): number => Math.max(x0, Math.min(x1, Math.round(x.invert(px))));

  if (interactive) {
    svg.classList.add('interactive');
    if (o.onScrub) svg.classList.add('scrubbable');
    let drag: { id: number; startX: number; moved: boolean } | null = null;
    const at = (e: PointerEvent): { px: number; py: number; i: number } => {
      const p = svgPoint(svg, e);
      return { px: p.x, py: p.y, i: nearestLine(pixelsOf, p.x, p.y) };
    };
    svg.addEventListener('pointermove', (e) => {
      const { px, i } = at(e);
      if (drag && e.pointerId === drag.id) {
        if (Math.abs(px - drag.startX) > 3) drag.moved = true;
        if (drag.moved) o.onScrub?.(epochAt(px));
        return;
      }
      setHover(i);
      svg.style.cursor = i >= 0 && series[i].onClick ? 'pointer' : o.onScrub ? 'ew-resize' : '';
    });
    svg.addEventListener('pointerleave', () => setHover(-1));
    svg.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      const { px } = at(e);
      drag = { id: e.pointerId, startX: px, moved: false };
      if (o.onScrub && e.pointerType !== 'touch') svg.setPointerCapture(e.pointerId);
    });
    const end = (e: PointerEvent, cancelled: boolean): void => {
      if (!drag || e.pointerId !== drag.id) return;
      const d = drag;
      drag = null;
      if (cancelled || d.moved) return;
      // a click: the curve under the pointer if it has an action, else scrub to that epoch
      const { px, i } = at(e);
      if (i >= 0 && series[i].onClick) series[i].onClick!();
      else o.onScrub?.(epochAt(px));
    };
    svg.addEventListener('pointerup', (e) => end(e, false));
    svg.addEventListener('pointercancel', (e) => end(e, true));
  }

  return {
    svg, plot, x, y,
    mark(epoch) {
      if (epoch === null) {
        marker.setAttribute('visibility', 'hidden');
        return;
      }
      marker.setAttribute('visibility', 'visible');
      marker.setAttribute('x1', String(x(epoch)));
      marker.setAttribute('x2', String(x(epoch)));
    },
    highlight(key) {
      highlight(key);
    },
  };
}
