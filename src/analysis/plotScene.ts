/**
 * Chart layout as a tiny display list ("scene"): panels, axes, ticks, lines, legends and text as
 * plain objects with pixel coordinates. One layout, two renderers: `plotCurves.ts` turns a scene
 * into SVG, `raster.ts` into RGB pixels, so the PNG and the SVG show the same chart.
 *
 * Coordinates follow SVG: x to the right, y downwards, pixel edges at integers (a crisp 1 px line
 * sits at a half-integer). Text is placed by the centre of its line of capitals; renderers measure
 * text with their own font through `TextMetrics`, so the layout leaves the right room for either.
 *
 * Browser-safe: no Node imports.
 */
import type { EpochRecord } from '../train/history.js';
import { finiteExtent, formatTick, formatValue, linearScale, MINUS, niceAxis, tickStep, ticksInside, type NiceAxis } from './plotScale.js';

export type Point = readonly [number, number];

/** One line of a chart. Non-finite x or y values leave a gap; an isolated point is drawn as a dot. */
export interface ChartSeries {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
  dashed?: boolean;
  /** CSS hex colour '#rrggbb'; a palette colour by default. */
  color?: string;
  /** Stroke width in px (default 2). */
  width?: number;
}

/** A highlighted x position (a vertical guide) and optionally a dot at (x, y). */
export interface ChartMarker {
  x: number;
  y?: number;
  color?: string;
  /** Legend text; markers without a label stay out of the legend. */
  label?: string;
  /** Draw the vertical guide line (default true). */
  guide?: boolean;
}

export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** Fixed axis ranges; by default the data's extent (y widened to whole ticks). */
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** Integer x ticks only (epochs, steps). */
  integerX?: boolean;
  /** Draw a legend inside the plot (default: when there is more than one entry). */
  legend?: boolean;
  markers?: ChartMarker[];
  /** A line of small text under the chart. */
  note?: string;
}

export type TextTier = 'tick' | 'label' | 'title' | 'heading' | 'note';

/** How a renderer measures text: width of a string and height of capitals, in px. */
export interface TextMetrics {
  width(text: string, tier: TextTier, bold?: boolean): number;
  height(tier: TextTier): number;
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface NodeBase {
  /** Class name for SVG output (and for tests to find things). */
  cls?: string;
  /** Extra `data-*` attributes for SVG output. */
  data?: Record<string, string>;
}
export interface GroupNode extends NodeBase {
  kind: 'group';
  children: SceneNode[];
}
export interface PathNode extends NodeBase {
  kind: 'path';
  /** Polylines drawn with one stroke; a gap between them. */
  subpaths: Point[][];
  color: string;
  width: number;
  dash?: number[];
}
export interface LineNode extends NodeBase {
  kind: 'line';
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  color: string;
  width: number;
  dash?: number[];
}
export interface RectNode extends NodeBase {
  kind: 'rect';
  x: number;
  y: number;
  w: number;
  h: number;
  fill?: string;
  fillOpacity?: number;
  stroke?: string;
  strokeWidth?: number;
}
export interface CircleNode extends NodeBase {
  kind: 'circle';
  cx: number;
  cy: number;
  r: number;
  fill?: string;
  stroke?: string;
  strokeWidth?: number;
}
export interface TextNode extends NodeBase {
  kind: 'text';
  /** Anchor point: x per `anchor`, y at the middle of the capitals. */
  x: number;
  y: number;
  text: string;
  tier: TextTier;
  anchor: 'start' | 'middle' | 'end';
  color: string;
  bold?: boolean;
  /** Rotated 90 degrees counter-clockwise (reads bottom to top), centred on (x, y). */
  rotate?: boolean;
}
export type SceneNode = GroupNode | PathNode | LineNode | RectNode | CircleNode | TextNode;

export interface Scene {
  width: number;
  height: number;
  background: string;
  /** A one-line description (SVG <title>, alt text). */
  label: string;
  nodes: SceneNode[];
  /** Plot areas of the panels, left to right. */
  panels: Rect[];
}

export const INK = '#1f2328';
const AXIS = '#57606a';
const GRID = '#e4e7eb';
const MUTED = '#57606a';
export const TRAIN_COLOR = '#1f6fd1';
export const VALIDATION_COLOR = '#e8590c';
export const MARKER_COLOR = '#2b8a3e';
/** Distinct colours for series without their own. */
export const PALETTE = ['#1f6fd1', '#e8590c', '#2b8a3e', '#c92a2a', '#7048e8', '#8d6e3f', '#d6336c', '#495057', '#a9a000', '#0c98ad'];
/** Dash pattern (on, off) of dashed series. */
export const SERIES_DASH = [7, 4];
const GUIDE_DASH = [3, 3];

/** Nearest half-integer: where a 1 px line is crisp. */
function crisp(v: number): number {
  return Math.round(v - 0.5) + 0.5;
}

function seriesColor(s: ChartSeries, index: number): string {
  return s.color ?? PALETTE[index % PALETTE.length];
}

/** Split a series into runs of finite points (a non-finite x or y ends a run). */
export function finiteRuns(points: ReadonlyArray<readonly [number, number]>): Point[][] {
  const runs: Point[][] = [];
  let run: Point[] = [];
  for (const [x, y] of points) {
    if (Number.isFinite(x) && Number.isFinite(y)) {
      run.push([x, y]);
    } else if (run.length > 0) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

interface LegendEntry {
  label: string;
  color: string;
  kind: 'line' | 'dot';
  dashed?: boolean;
  width?: number;
}

const SWATCH = 24;

function swatchNodes(e: LegendEntry, x: number, y: number): SceneNode[] {
  if (e.kind === 'dot') return [{ kind: 'circle', cx: x + SWATCH / 2, cy: y, r: 4.5, fill: e.color, stroke: '#ffffff', strokeWidth: 1.5 }];
  return [
    {
      kind: 'line',
      x1: x,
      y1: y,
      x2: x + SWATCH,
      y2: y,
      color: e.color,
      width: e.width ?? 2,
      dash: e.dashed ? SERIES_DASH : undefined,
    },
  ];
}

/** A legend box (entries in a column) whose top-left corner is (x, y). */
function legendBox(entries: LegendEntry[], x: number, y: number, m: TextMetrics): { nodes: SceneNode[]; rect: Rect } {
  const rowH = m.height('tick') + 8;
  const textW = Math.max(...entries.map((e) => m.width(e.label, 'tick')));
  const w = Math.ceil(8 + SWATCH + 6 + textW + 8);
  const h = Math.ceil(entries.length * rowH + 6);
  const nodes: SceneNode[] = [
    { kind: 'rect', x: x + 0.5, y: y + 0.5, w: w - 1, h: h - 1, fill: '#ffffff', fillOpacity: 0.9, stroke: '#d0d7de', strokeWidth: 1 },
  ];
  entries.forEach((e, i) => {
    const cy = y + 3 + rowH * i + rowH / 2;
    nodes.push(...swatchNodes(e, x + 8, cy));
    nodes.push({ kind: 'text', x: x + 8 + SWATCH + 6, y: cy, text: e.label, tier: 'tick', anchor: 'start', color: INK });
  });
  return { nodes: [{ kind: 'group', cls: 'legend', children: nodes }], rect: { x, y, w, h } };
}

/** A legend in one row, right-aligned to `right`, centred on `cy`. Returns its width too. */
function legendRow(entries: LegendEntry[], right: number, cy: number, m: TextMetrics): { nodes: SceneNode[]; width: number } {
  const gap = 18;
  const widths = entries.map((e) => SWATCH + 6 + m.width(e.label, 'tick'));
  const total = widths.reduce((a, b) => a + b, 0) + gap * (entries.length - 1);
  let x = right - total;
  const nodes: SceneNode[] = [];
  entries.forEach((e, i) => {
    nodes.push(...swatchNodes(e, x, cy));
    nodes.push({ kind: 'text', x: x + SWATCH + 6, y: cy, text: e.label, tier: 'tick', anchor: 'start', color: INK });
    x += widths[i] + gap;
  });
  return { nodes: [{ kind: 'group', cls: 'legend', children: nodes }], width: total };
}

function axisFor(
  extent: [number, number],
  count: number,
  fixed: [number, number] | undefined,
  options: { extend: boolean; integer: boolean },
): NiceAxis {
  if (fixed) {
    const step = tickStep(fixed[0], fixed[1], count, options.integer);
    return { domain: fixed, ticks: ticksInside(fixed[0], fixed[1], step), step };
  }
  return niceAxis(extent[0], extent[1], count, options);
}

/** Widen a data range by 2% each way (never below 0 for data >= 0). */
function padExtent([lo, hi]: [number, number]): [number, number] {
  const pad = (hi - lo) * 0.02;
  return [lo >= 0 ? Math.max(0, lo - pad) : lo - pad, hi + pad];
}

/** True when the data would run along the top or bottom of the frame (except data resting on 0). */
function touchesEnds([lo, hi]: [number, number], [d0, d1]: [number, number]): boolean {
  const tol = (d1 - d0) * 0.01;
  return (lo - d0 < tol && !(lo === 0 && d0 === 0)) || d1 - hi < tol;
}

export interface PanelSpec {
  series: ChartSeries[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  xDomain?: [number, number];
  yDomain?: [number, number];
  integerX?: boolean;
  markers?: ChartMarker[];
  legend?: boolean;
}

/**
 * One line chart (title, axes with nice ticks, grid, series, markers, optional legend) laid out in
 * `box`. Returns the scene group and the plot area.
 */
export function layoutPanel(spec: PanelSpec, box: Rect, m: TextMetrics): { node: GroupNode; plot: Rect } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of spec.series) {
    for (const [x, y] of s.points) {
      if (Number.isFinite(x) && Number.isFinite(y)) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  for (const mk of spec.markers ?? []) {
    if (Number.isFinite(mk.x)) xs.push(mk.x);
    if (mk.y !== undefined && Number.isFinite(mk.y)) ys.push(mk.y);
  }
  const xExtent = finiteExtent(xs) ?? [0, 1];
  const yExtent = finiteExtent(ys) ?? [0, 1];
  const integerX = spec.integerX ?? false;

  const tickH = m.height('tick');
  const titleH = spec.title ? m.height('title') + 12 : 0;
  const xLabelH = spec.xLabel ? m.height('label') + 8 : 0;
  const plotTop = Math.round(box.y + 6 + titleH + tickH / 2);
  const plotBottom = Math.round(box.y + box.h - (5 + 6 + tickH + xLabelH + 4));
  const ph = Math.max(10, plotBottom - plotTop);

  const yCount = Math.max(2, Math.round(ph / 48));
  let yAxis = axisFor(yExtent, yCount, spec.yDomain, { extend: true, integer: false });
  if (!spec.yDomain && touchesEnds(yExtent, yAxis.domain)) {
    yAxis = axisFor(padExtent(yExtent), yCount, undefined, { extend: true, integer: false });
  }
  const yLabels = yAxis.ticks.map((t) => formatTick(t, yAxis.step));
  const yTickW = Math.max(0, ...yLabels.map((l) => m.width(l, 'tick')));
  const yLabelW = spec.yLabel ? m.height('label') + 10 : 0;
  const plotLeft = Math.round(box.x + 4 + yLabelW + yTickW + 6 + 5);

  // x ticks: as many as fit without their labels touching.
  let pw = Math.max(10, box.x + box.w - 12 - plotLeft);
  let count = Math.max(2, Math.round(pw / 70));
  let xAxis = axisFor(xExtent, count, spec.xDomain, { extend: false, integer: integerX });
  let xLabels = xAxis.ticks.map((t) => formatTick(t, xAxis.step));
  for (;;) {
    const widest = Math.max(0, ...xLabels.map((l) => m.width(l, 'tick')));
    if (count <= 2 || (widest + 14) * xLabels.length <= pw) break;
    count--;
    xAxis = axisFor(xExtent, count, spec.xDomain, { extend: false, integer: integerX });
    xLabels = xAxis.ticks.map((t) => formatTick(t, xAxis.step));
  }
  const lastW = xLabels.length ? m.width(xLabels[xLabels.length - 1], 'tick') : 0;
  pw = Math.max(10, Math.round(box.x + box.w - Math.max(12, lastW / 2 + 4) - plotLeft));
  const plot: Rect = { x: plotLeft, y: plotTop, w: pw, h: ph };
  const sx = linearScale(xAxis.domain, [plot.x, plot.x + plot.w]);
  const sy = linearScale(yAxis.domain, [plot.y + plot.h, plot.y]);
  const axisX = plot.x - 0.5;
  const axisY = plot.y + plot.h + 0.5;

  const children: SceneNode[] = [];
  // grid and axes
  const grid: SceneNode[] = yAxis.ticks.map((t) => ({ kind: 'line', x1: plot.x, y1: crisp(sy(t)), x2: plot.x + plot.w, y2: crisp(sy(t)), color: GRID, width: 1 }));
  children.push({ kind: 'group', cls: 'grid', children: grid });
  const axes: SceneNode[] = [
    { kind: 'line', x1: axisX, y1: plot.y, x2: axisX, y2: axisY + 0.5, color: AXIS, width: 1 },
    { kind: 'line', x1: axisX - 0.5, y1: axisY, x2: plot.x + plot.w, y2: axisY, color: AXIS, width: 1 },
  ];
  yAxis.ticks.forEach((t, i) => {
    const y = crisp(sy(t));
    axes.push({ kind: 'line', x1: axisX - 5, y1: y, x2: axisX, y2: y, color: AXIS, width: 1 });
    axes.push({ kind: 'text', x: axisX - 8, y, text: yLabels[i], tier: 'tick', anchor: 'end', color: MUTED, cls: 'tick-y' });
  });
  xAxis.ticks.forEach((t, i) => {
    const x = crisp(sx(t));
    axes.push({ kind: 'line', x1: x, y1: axisY, x2: x, y2: axisY + 5, color: AXIS, width: 1 });
    axes.push({ kind: 'text', x, y: axisY + 9 + tickH / 2, text: xLabels[i], tier: 'tick', anchor: 'middle', color: MUTED, cls: 'tick-x' });
  });
  if (spec.xLabel) {
    axes.push({ kind: 'text', x: plot.x + plot.w / 2, y: axisY + 9 + tickH + 8 + m.height('label') / 2, text: spec.xLabel, tier: 'label', anchor: 'middle', color: INK, cls: 'axis-label' });
  }
  if (spec.yLabel) {
    axes.push({ kind: 'text', x: box.x + 4 + m.height('label') / 2, y: plot.y + plot.h / 2, text: spec.yLabel, tier: 'label', anchor: 'middle', color: INK, rotate: true, cls: 'axis-label' });
  }
  children.push({ kind: 'group', cls: 'axes', children: axes });
  if (spec.title) {
    children.push({ kind: 'text', x: plot.x + plot.w / 2, y: box.y + 6 + m.height('title') / 2, text: spec.title, tier: 'title', anchor: 'middle', color: INK, bold: true, cls: 'panel-title' });
  }

  // marker guides under the data, marker dots over it
  const markers = (spec.markers ?? []).filter((mk) => Number.isFinite(mk.x));
  const guides: SceneNode[] = markers
    .filter((mk) => mk.guide !== false)
    .map((mk) => ({ kind: 'line', x1: crisp(sx(mk.x)), y1: plot.y, x2: crisp(sx(mk.x)), y2: plot.y + plot.h, color: mk.color ?? MARKER_COLOR, width: 1, dash: GUIDE_DASH }));
  if (guides.length) children.push({ kind: 'group', cls: 'marker-guides', children: guides });

  const mapped: Point[][] = [];
  spec.series.forEach((s, i) => {
    const color = seriesColor(s, i);
    const width = s.width ?? 2;
    const runs = finiteRuns(s.points).map((run) => run.map(([x, y]): Point => [sx(x), sy(y)]));
    mapped.push(...runs);
    const nodes: SceneNode[] = [
      {
        kind: 'path',
        cls: 'series-line',
        data: { series: s.name },
        subpaths: runs.filter((r) => r.length > 1),
        color,
        width,
        dash: s.dashed ? SERIES_DASH : undefined,
      },
    ];
    for (const run of runs) {
      if (run.length === 1) nodes.push({ kind: 'circle', cls: 'series-point', cx: run[0][0], cy: run[0][1], r: width + 1.5, fill: color });
    }
    children.push({ kind: 'group', cls: 'series', data: { series: s.name }, children: nodes });
  });

  const dots: SceneNode[] = markers
    .filter((mk) => mk.y !== undefined && Number.isFinite(mk.y))
    .map((mk) => ({ kind: 'circle', cx: sx(mk.x), cy: sy(mk.y as number), r: 4.5, fill: mk.color ?? MARKER_COLOR, stroke: '#ffffff', strokeWidth: 1.5, cls: 'marker', data: { x: String(mk.x) } }));
  if (dots.length) children.push({ kind: 'group', cls: 'markers', children: dots });

  const entries: LegendEntry[] = spec.series.map((s, i) => ({ label: s.name, color: seriesColor(s, i), kind: 'line', dashed: s.dashed, width: s.width }));
  for (const mk of markers) if (mk.label) entries.push({ label: mk.label, color: mk.color ?? MARKER_COLOR, kind: 'dot' });
  if (spec.legend ?? entries.length > 1) {
    if (entries.length > 0) children.push(...placeLegend(entries, plot, mapped, m));
  }
  return { node: { kind: 'group', cls: 'panel', data: spec.title ? { title: spec.title } : undefined, children }, plot };
}

/** Put the legend in the corner of the plot that hides the fewest data points. */
function placeLegend(entries: LegendEntry[], plot: Rect, lines: Point[][], m: TextMetrics): SceneNode[] {
  const probe = legendBox(entries, 0, 0, m).rect;
  const inset = 6;
  const left = plot.x + inset;
  const right = plot.x + plot.w - inset - probe.w;
  const top = plot.y + inset;
  const bottom = plot.y + plot.h - inset - probe.h;
  const corners: [number, number][] = [
    [right, top],
    [left, top],
    [right, bottom],
    [left, bottom],
  ];
  // sample the lines densely enough to catch a segment crossing a corner
  const samples: Point[] = [];
  for (const run of lines) {
    if (run.length === 1) samples.push(run[0]);
    for (let i = 1; i < run.length; i++) {
      const [x0, y0] = run[i - 1];
      const [x1, y1] = run[i];
      const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / 4));
      for (let k = 0; k <= n; k++) samples.push([x0 + ((x1 - x0) * k) / n, y0 + ((y1 - y0) * k) / n]);
    }
  }
  let best = corners[0];
  let bestHits = Infinity;
  for (const c of corners) {
    const [cx, cy] = c;
    let hits = 0;
    for (const [x, y] of samples) if (x >= cx - 3 && x <= cx + probe.w + 3 && y >= cy - 3 && y <= cy + probe.h + 3) hits++;
    if (hits < bestHits) {
      bestHits = hits;
      best = c;
    }
  }
  return legendBox(entries, Math.round(best[0]), Math.round(best[1]), m).nodes;
}

/** Greedy word wrap of `text` into lines no wider than `maxWidth` (a too-long word keeps its own line). */
export function wrapText(text: string, maxWidth: number, tier: TextTier, m: TextMetrics): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    const next = line ? `${line} ${word}` : word;
    if (line && m.width(next, tier) > maxWidth) {
      lines.push(line);
      line = word;
    } else {
      line = next;
    }
  }
  if (line) lines.push(line);
  return lines;
}

const NOTE_GAP = 5;

/** A note wrapped to the width: its text nodes (anchored at the bottom of the scene) and their height. */
function noteBlock(text: string, width: number, height: number, m: TextMetrics): { nodes: SceneNode[]; height: number } {
  if (!text) return { nodes: [], height: 0 };
  const lines = wrapText(text, width - 24, 'note', m);
  const lineH = m.height('note') + NOTE_GAP;
  const blockH = lines.length * lineH + 8;
  const nodes: SceneNode[] = lines.map((line, i) => ({
    kind: 'text',
    x: 12,
    y: height - blockH + i * lineH + m.height('note') / 2,
    text: line,
    tier: 'note',
    anchor: 'start',
    color: MUTED,
  }));
  return { nodes: [{ kind: 'group', cls: 'note', children: nodes }], height: blockH + 4 };
}

/** A single-panel line chart of any series. */
export function lineChartScene(series: ChartSeries[], opts: LineChartOptions, m: TextMetrics): Scene {
  const width = opts.width ?? 640;
  const height = opts.height ?? 400;
  const note = noteBlock(opts.note ?? '', width, height, m);
  const footer = note.height;
  const { node, plot } = layoutPanel(
    {
      series,
      title: opts.title,
      xLabel: opts.xLabel,
      yLabel: opts.yLabel,
      xDomain: opts.xDomain,
      yDomain: opts.yDomain,
      integerX: opts.integerX,
      markers: opts.markers,
      legend: opts.legend,
    },
    { x: 4, y: 4, w: width - 8, h: height - 8 - footer },
    m,
  );
  const nodes: SceneNode[] = [node];
  nodes.push(...note.nodes);
  const label = opts.title ?? `line chart of ${series.map((s) => s.name).join(', ') || 'nothing'}`;
  return { width, height, background: '#ffffff', label, nodes, panels: [plot] };
}

export interface LossCurvesOptions {
  /** Heading over the three panels (default 'Training curves'). */
  title?: string;
  width?: number;
  height?: number;
  /** Small text under the chart; '' for none (default: what the numbers are). */
  note?: string;
}

type Metric = 'loss' | 'reconstruction' | 'kl';
const METRICS: { key: Metric; title: string }[] = [
  { key: 'loss', title: `${MINUS}ELBO (loss)` },
  { key: 'reconstruction', title: `reconstruction ${MINUS}log p(x|z)` },
  { key: 'kl', title: 'KL(q(z|x) \u2016 p(z))' },
];

export const DEFAULT_LOSS_NOTE = `${MINUS}ELBO = reconstruction + KL, in nats per example (summed over pixels and latent dimensions, averaged over examples)`;

/** The record with the lowest finite validation loss (the first of ties), or undefined. */
export function bestValidationEpoch(history: readonly EpochRecord[]): EpochRecord | undefined {
  let best: EpochRecord | undefined;
  for (const r of history) {
    const v = r.validation?.loss;
    if (Number.isFinite(v) && Number.isFinite(r.epoch) && (best === undefined || v < best.validation.loss)) best = r;
  }
  return best;
}

/** The train and validation series of one metric. */
export function metricSeries(history: readonly EpochRecord[], key: Metric): ChartSeries[] {
  return [
    { name: 'train', color: TRAIN_COLOR, points: history.map((r) => [r.epoch, r.train?.[key] ?? NaN] as const) },
    { name: 'validation', color: VALIDATION_COLOR, dashed: true, points: history.map((r) => [r.epoch, r.validation?.[key] ?? NaN] as const) },
  ];
}

/** Three panels side by side: -ELBO, reconstruction and KL per epoch, train solid, validation dashed. */
export function lossCurvesScene(history: readonly EpochRecord[], opts: LossCurvesOptions, m: TextMetrics): Scene {
  const width = opts.width ?? 1020;
  const height = opts.height ?? 360;
  const heading = opts.title ?? 'Training curves';
  const note = opts.note ?? DEFAULT_LOSS_NOTE;
  const headingH = m.height('heading');
  const headY = 10 + headingH / 2;
  const nodes: SceneNode[] = [
    { kind: 'text', x: 12, y: headY, text: heading, tier: 'heading', anchor: 'start', color: INK, bold: true, cls: 'heading' },
  ];

  if (history.length === 0) {
    nodes.push({ kind: 'text', x: width / 2, y: height / 2, text: 'no epochs yet', tier: 'title', anchor: 'middle', color: MUTED, cls: 'empty' });
    return { width, height, background: '#ffffff', label: `${heading}: no epochs yet`, nodes, panels: [] };
  }

  const best = bestValidationEpoch(history);
  const entries: LegendEntry[] = [
    { label: 'train', color: TRAIN_COLOR, kind: 'line' },
    { label: 'validation', color: VALIDATION_COLOR, kind: 'line', dashed: true },
  ];
  if (best) entries.push({ label: `best validation: epoch ${best.epoch} (${MINUS}ELBO ${formatValue(best.validation.loss)})`, color: MARKER_COLOR, kind: 'dot' });

  // legend beside the heading when it fits, else on a row of its own
  const legendW = legendRow(entries, 0, 0, m).width;
  const headingW = m.width(heading, 'heading', true);
  let top: number;
  if (12 + headingW + 24 + legendW <= width - 12) {
    nodes.push(...legendRow(entries, width - 12, headY, m).nodes);
    top = 10 + headingH + 12;
  } else {
    const rowY = 10 + headingH + 10 + m.height('tick') / 2;
    nodes.push(...legendRow(entries, width - 12, rowY, m).nodes);
    top = rowY + m.height('tick') / 2 + 12;
  }
  const noteNodes = noteBlock(note, width, height, m);
  const footer = Math.max(4, noteNodes.height);
  const gap = 10;
  const panelW = (width - 8 - 2 * gap) / 3;
  const panels: Rect[] = [];
  METRICS.forEach(({ key, title }, i) => {
    const markers: ChartMarker[] = best ? [{ x: best.epoch, y: best.validation[key], color: MARKER_COLOR }] : [];
    const { node, plot } = layoutPanel(
      { series: metricSeries(history, key), title, xLabel: 'epoch', yLabel: 'nats per example', integerX: true, markers, legend: false },
      { x: 4 + i * (panelW + gap), y: top, w: panelW, h: height - top - footer },
      m,
    );
    node.data = { ...node.data, metric: key };
    nodes.push(node);
    panels.push(plot);
  });
  nodes.push(...noteNodes.nodes);
  const last = history[history.length - 1];
  const label = `${heading}: ${MINUS}ELBO, reconstruction and KL over ${history.length} epoch${history.length === 1 ? '' : 's'}` +
    (Number.isFinite(last.validation?.loss) ? `, last validation ${MINUS}ELBO ${formatValue(last.validation.loss)}` : '');
  return { width, height, background: '#ffffff', label, nodes, panels };
}
