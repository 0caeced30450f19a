/**
 * The model-quality chart of `npm run bench:quality`: test NLL (−log p(x), IWAE-K estimate) against
 * training epochs on a log axis, one panel per model and dataset (their NLLs differ by more than
 * a hundred nats, so each panel has its own y axis), one colour per objective, and where a
 * published value exists a dashed line of the same colour at that value, labelled with it: how far
 * each row is from the paper and how fast the gap closes, at a glance.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG } from './theme.js';

export interface QualityPoint {
  /** The panel, e.g. '784-200-200-50 tanh, MNIST'. */
  panel: string;
  /** The objective or prior, e.g. 'VAE', 'IWAE k=5': one colour each, across panels. */
  series: string;
  epochs: number;
  /** Test −log p(x) in nats. */
  nll: number;
}

export interface PublishedLine {
  panel: string;
  series: string;
  nll: number;
}

export interface QualityChartOptions {
  title?: string;
  subtitle?: string[];
  /** The last epoch of the schedule: the x axis runs to it (default 3280). */
  maxEpochs?: number;
  /** Panel order (default: first appearance in the points). */
  panels?: string[];
  /** Series order, which fixes each one's colour, whether or not it is present (default: first appearance); the legend lists those present. */
  series?: string[];
}

/** Colours and marker shapes of the series, in the order of `series`. */
const SERIES_COLORS = ['#1f6fd1', '#d6336c', '#2b8a3e', '#7048e8', '#e8590c', '#495057'];
const SERIES_SHAPES = ['circle', 'square', 'diamond', 'triangle-up', 'cross', 'triangle-down'];

export function qualityChartSpec(points: readonly QualityPoint[], published: readonly PublishedLine[], opts: QualityChartOptions = {}): TopLevelSpec {
  const panels = opts.panels ?? [...new Set(points.map((p) => p.panel))];
  const present = new Set([...points, ...published].filter((p) => panels.includes(p.panel)).map((p) => p.series));
  const order = opts.series ?? [...present];
  const series = order.filter((name) => present.has(name));
  const colours = series.map((name) => SERIES_COLORS[order.indexOf(name) % SERIES_COLORS.length]);
  const maxEpochs = opts.maxEpochs ?? 3280;
  const minEpochs = Math.min(...points.map((p) => p.epochs), maxEpochs);
  const x = {
    field: 'epochs', type: 'quantitative', title: 'training epochs (log scale)',
    scale: { type: 'log', domain: [Math.max(1, minEpochs / 1.5), maxEpochs * 1.15] },
    axis: { values: [1, 4, 13, 40, 121, 364, 1093, 3280].filter((v) => v <= maxEpochs * 1.15 && v >= minEpochs / 1.5) },
  } as const;
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain: series, range: colours } } as const;
  const shape = { field: 'series', type: 'nominal', title: null, scale: { domain: series, range: series.map((name) => SERIES_SHAPES[order.indexOf(name) % SERIES_SHAPES.length]) } } as const;
  const y = { field: 'nll', type: 'quantitative', title: 'test NLL, −log p(x) (nats)', scale: { zero: false, nice: true } } as const;
  // one layered chart per panel (not a facet: a panel without published values then has no empty rule layer)
  const panelSpec = (panel: string) => {
    const lines = published.filter((p) => p.panel === panel);
    return {
      width: 300,
      height: 260,
      title: { text: panel, fontSize: 14, anchor: 'middle' },
      layer: [
        ...(lines.length === 0 ? [] : [
          {
            // published values are at the end of the paper's schedule; the rule spans the panel
            data: { values: lines.map((p) => ({ series: p.series, nll: p.nll, epochs: maxEpochs, label: `published ${p.series}: ${p.nll.toFixed(2)}` })) },
            layer: [
              { mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.5, opacity: 0.8 }, encoding: { y, color } },
              { mark: { type: 'text', align: 'right', baseline: 'top', dy: 3, fontSize: 11 }, encoding: { x, y, text: { field: 'label' }, color } },
            ],
          },
        ]),
        {
          data: { values: points.filter((p) => p.panel === panel).map((p) => ({ series: p.series, epochs: p.epochs, nll: p.nll })) },
          // hollow markers of a shape per series: two rows at the same value both stay visible
          mark: { type: 'line', point: { size: 80, filled: false, strokeWidth: 2 }, strokeWidth: 2 },
          encoding: { x, y, color, shape, tooltip: [{ field: 'series' }, { field: 'epochs' }, { field: 'nll', format: '.2f' }] },
        },
      ],
    };
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: { ...CHART_CONFIG, concat: { spacing: 40 }, legend: { ...CHART_CONFIG.legend, symbolSize: 140, symbolStrokeWidth: 2 } },
    title: { text: opts.title ?? 'Test NLL against training epochs', subtitle: opts.subtitle ?? [] },
    hconcat: panels.map(panelSpec),
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}
