/** The look shared by every chart of the CLI (a vega-lite `config`). No imports: cheap to load. */

/** Font of every chart: Liberation Sans where installed (Debian), else a metric-compatible one. */
export const CHART_FONT = 'Liberation Sans, Arial, Helvetica, sans-serif';

/** Shared look: white background, readable sizes for a README at 1x and 2x. */
export const CHART_CONFIG = {
  background: '#ffffff',
  font: CHART_FONT,
  padding: 12,
  title: { fontSize: 17, anchor: 'start', offset: 10, subtitleFontSize: 12, subtitleColor: '#57606a' },
  axis: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: 'normal', gridColor: '#e4e7eb', domainColor: '#57606a', tickColor: '#57606a' },
  axisY: { labelFlush: true },
  header: { labelFontSize: 14, labelFontWeight: 'bold', titleFontSize: 13 },
  legend: { labelFontSize: 13, symbolType: 'stroke', symbolStrokeWidth: 2.5, symbolSize: 400, orient: 'top' },
  view: { stroke: null },
} as const;
