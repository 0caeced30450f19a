/**
 * Charts as SVG text: a generic line chart (`lineChartSvg`) and the training curves of a run
 * (`lossCurvesSvg`: -ELBO, reconstruction and KL per epoch, train solid, validation dashed).
 * Both render the scenes of `plotScene.ts`; `raster.ts` renders the same scenes to pixels.
 *
 * Browser-safe: returns a string, imports nothing from Node.
 */
import type { EpochRecord } from '../train/history.js';
import {
  lineChartScene,
  lossCurvesScene,
  type ChartSeries,
  type LineChartOptions,
  type LossCurvesOptions,
  type Scene,
  type SceneNode,
  type TextMetrics,
  type TextTier,
} from './plotScene.js';

export type { ChartMarker, ChartSeries, LineChartOptions, LossCurvesOptions } from './plotScene.js';

/** Escape text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;'));
}

const FONT_PX: Record<TextTier, number> = { tick: 11, label: 12, title: 13, heading: 15, note: 11 };
const FONT_FAMILY = 'system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif';

/** Text size estimates for a proportional sans-serif (a little generous, so labels never collide). */
export const svgTextMetrics: TextMetrics = {
  width: (text, tier, bold) => [...text].length * FONT_PX[tier] * (bold ? 0.62 : 0.57),
  height: (tier) => FONT_PX[tier],
};

function num(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

function attrs(values: Record<string, string | number | undefined>): string {
  let out = '';
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    out += ` ${k}="${typeof v === 'number' ? num(v) : escapeXml(v)}"`;
  }
  return out;
}

function common(node: SceneNode): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { class: node.cls };
  for (const [k, v] of Object.entries(node.data ?? {})) out[`data-${k}`] = v;
  return out;
}

function dashAttr(dash: number[] | undefined): string | undefined {
  return dash && dash.length ? dash.map(num).join(' ') : undefined;
}

function renderNode(node: SceneNode, out: string[], indent: string): void {
  switch (node.kind) {
    case 'group': {
      out.push(`${indent}<g${attrs(common(node))}>`);
      for (const child of node.children) renderNode(child, out, indent + '  ');
      out.push(`${indent}</g>`);
      return;
    }
    case 'path': {
      const d = node.subpaths
        .map((run) => run.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${num(x)},${num(y)}`).join(' '))
        .join(' ');
      out.push(
        `${indent}<path${attrs({
          ...common(node),
          d,
          fill: 'none',
          stroke: node.color,
          'stroke-width': node.width,
          'stroke-dasharray': dashAttr(node.dash),
          'stroke-linejoin': 'round',
          'stroke-linecap': node.dash ? 'butt' : 'round',
        })}/>`,
      );
      return;
    }
    case 'line':
      out.push(
        `${indent}<line${attrs({
          ...common(node),
          x1: node.x1,
          y1: node.y1,
          x2: node.x2,
          y2: node.y2,
          stroke: node.color,
          'stroke-width': node.width,
          'stroke-dasharray': dashAttr(node.dash),
        })}/>`,
      );
      return;
    case 'rect':
      out.push(
        `${indent}<rect${attrs({
          ...common(node),
          x: node.x,
          y: node.y,
          width: node.w,
          height: node.h,
          fill: node.fill ?? 'none',
          'fill-opacity': node.fillOpacity,
          stroke: node.stroke,
          'stroke-width': node.stroke ? (node.strokeWidth ?? 1) : undefined,
        })}/>`,
      );
      return;
    case 'circle':
      out.push(
        `${indent}<circle${attrs({
          ...common(node),
          cx: node.cx,
          cy: node.cy,
          r: node.r,
          fill: node.fill ?? 'none',
          stroke: node.stroke,
          'stroke-width': node.stroke ? (node.strokeWidth ?? 1) : undefined,
        })}/>`,
      );
      return;
    case 'text': {
      const size = FONT_PX[node.tier];
      // y is the middle of the capitals; the baseline sits about 0.36 em below it
      const baseline = node.y + size * 0.36;
      out.push(
        `${indent}<text${attrs({
          ...common(node),
          x: node.x,
          y: baseline,
          'font-size': size,
          'font-weight': node.bold ? 'bold' : undefined,
          'text-anchor': node.anchor === 'start' ? undefined : node.anchor,
          fill: node.color,
          transform: node.rotate ? `rotate(-90 ${num(node.x)} ${num(node.y)})` : undefined,
        })}>${escapeXml(node.text)}</text>`,
      );
      return;
    }
  }
}

/** A scene as a standalone SVG document (no XML declaration, so it can also be inlined in HTML). */
export function sceneToSvg(scene: Scene): string {
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg"${attrs({
      width: scene.width,
      height: scene.height,
      viewBox: `0 0 ${num(scene.width)} ${num(scene.height)}`,
      role: 'img',
      'font-family': FONT_FAMILY,
    })}>`,
    `  <title>${escapeXml(scene.label)}</title>`,
    `  <rect${attrs({ class: 'background', width: scene.width, height: scene.height, fill: scene.background })}/>`,
  ];
  for (const node of scene.nodes) renderNode(node, out, '  ');
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/**
 * A line chart of any series as SVG: nice ticks, grid, a legend (when more than one entry),
 * dashed series, gaps at non-finite values, dots for isolated points, optional markers.
 */
export function lineChartSvg(series: ChartSeries[], opts: LineChartOptions = {}): string {
  return sceneToSvg(lineChartScene(series, opts, svgTextMetrics));
}

/**
 * The training curves of a run as SVG: three panels side by side (-ELBO, reconstruction, KL) in
 * nats per example, train solid and validation dashed, a dot and a guide at the best validation
 * epoch. One epoch shows as dots; NaN values leave gaps; an empty history says "no epochs yet".
 */
export function lossCurvesSvg(history: readonly EpochRecord[], opts: LossCurvesOptions = {}): string {
  return sceneToSvg(lossCurvesScene(history, opts, svgTextMetrics));
}
