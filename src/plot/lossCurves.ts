/**
 * The loss curves of a run as a vega-lite spec: three panels side by side (−ELBO, reconstruction,
 * KL) in nats per example, train solid and validation dashed, the best validation epoch marked by a
 * green guide and dot. When the first epochs sit far above the rest, a panel's y axis is cut at the
 * top (the lines are clipped there) so the later epochs stay readable; the panel says so.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { EpochRecord } from '../train/history.js';
import { cutNote, yRange } from './axisCut.js';
import { CHART_CONFIG } from './theme.js';

export const TRAIN_COLOR = '#1f6fd1';
export const VALIDATION_COLOR = '#e8590c';
export const BEST_COLOR = '#2b8a3e';
const MINUS = '\u2212';

type Metric = 'loss' | 'reconstruction' | 'kl';
const PANELS: { key: Metric; title: string }[] = [
  { key: 'loss', title: `${MINUS}ELBO (loss)` },
  { key: 'reconstruction', title: `reconstruction ${MINUS}log p(x|z)` },
  { key: 'kl', title: 'KL(q(z|x) \u2016 p(z))' },
];

export interface LossCurvesOptions {
  /** Chart heading, e.g. "RUN: faces". */
  title?: string;
  /** Extra lines under the heading (e.g. the likelihood's constant). */
  notes?: string[];
  /** Epoch whose weights the run keeps (default: the lowest finite validation −ELBO). */
  bestEpoch?: number | null;
  /** Size of one panel's plot area in px (default 300 x 220). */
  panelWidth?: number;
  panelHeight?: number;
}

/** The record with the lowest finite validation loss (the first of ties), or undefined. */
export function bestValidationEpoch(history: readonly EpochRecord[]): EpochRecord | undefined {
  let best: EpochRecord | undefined;
  for (const r of history) {
    const v = r.validation?.loss;
    if (Number.isFinite(v) && (best === undefined || v < best.validation.loss)) best = r;
  }
  return best;
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(3) : v.toPrecision(3);
}

/** The chart as a vega-lite spec (render it with `chartSvg` / `writeChart` of render.ts). */
export function lossCurvesSpec(history: readonly EpochRecord[], opts: LossCurvesOptions = {}): TopLevelSpec {
  const width = opts.panelWidth ?? 300;
  const height = opts.panelHeight ?? 220;
  const heading = opts.title ?? 'Training curves';
  const units = `${MINUS}ELBO = reconstruction + KL, in nats per example (summed over pixels and latent dimensions, averaged over examples)`;
  const records = history.filter((r) => Number.isFinite(r.epoch));
  if (records.length === 0) {
    return {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      config: CHART_CONFIG,
      title: heading,
      width: 3 * width,
      height: 60,
      data: { values: [{}] },
      mark: { type: 'text', text: 'no epochs yet', fontSize: 14, color: '#57606a' },
    } as TopLevelSpec;
  }
  const best = opts.bestEpoch != null ? records.find((r) => r.epoch === opts.bestEpoch) : bestValidationEpoch(records);
  const lastEpoch = Math.max(...records.map((r) => r.epoch));
  const firstEpoch = Math.min(...records.map((r) => r.epoch));
  const xDomain = firstEpoch === lastEpoch ? [firstEpoch - 1, lastEpoch + 1] : [firstEpoch, lastEpoch];
  const showPoints = records.length <= 40;
  const val = (v: number | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

  const panelRows = PANELS.map(({ key }) => records.flatMap((r) => [
    { epoch: r.epoch, split: 'train', value: val(r.train?.[key]) },
    { epoch: r.epoch, split: 'validation', value: val(r.validation?.[key]) },
  ]));
  const ranges = panelRows.map((rows) => yRange(['train', 'validation'].map((split) => rows.filter((r) => r.split === split))));
  const anyCut = ranges.some((r) => r !== undefined && r.cutEpochs.length > 0);
  const panels = PANELS.map(({ key, title }, p) => {
    const rows = panelRows[p];
    const range = ranges[p];
    const cut = range && range.cutEpochs.length > 0;
    const y = {
      field: 'value',
      type: 'quantitative' as const,
      title: 'nats per example',
      scale: range ? { domain: range.domain, zero: false, nice: !cut } : { zero: false },
      axis: { tickCount: 6 },
    };
    const color = { field: 'split', type: 'nominal', title: null, scale: { domain: ['train', 'validation'], range: [TRAIN_COLOR, VALIDATION_COLOR] } };
    const clip = Boolean(cut);
    const layers: object[] = [
      {
        mark: { type: 'line', strokeWidth: 2.2, clip, invalid: 'break-paths-show-domains' },
        encoding: {
          y,
          color,
          strokeDash: { field: 'split', type: 'nominal', title: null, scale: { domain: ['train', 'validation'], range: [[1, 0], [7, 4]] } },
        },
      },
    ];
    if (showPoints) {
      layers.push({
        mark: { type: 'point', filled: true, size: records.length <= 5 ? 50 : 22, opacity: 1, clip },
        transform: [{ filter: 'isValid(datum.value) && isFinite(datum.value)' }],
        encoding: { y, color },
      });
    }
    const bestValue = best ? val(best.validation[key]) : null;
    if (best) {
      layers.push({
        data: { values: [{ epoch: best.epoch }] },
        mark: { type: 'rule', color: BEST_COLOR, strokeDash: [3, 3], strokeWidth: 1.5 },
        encoding: { x: { field: 'epoch', type: 'quantitative' } },
      });
    }
    if (best && bestValue !== null) {
      layers.push({
        data: { values: [{ epoch: best.epoch, value: bestValue }] },
        mark: { type: 'point', filled: true, size: 80, color: BEST_COLOR, stroke: '#ffffff', strokeWidth: 1.5, opacity: 1, clip },
        encoding: { y },
      });
    }
    return {
      title: cut
        ? { text: title, subtitle: cutNote(range!.cutEpochs), subtitleColor: '#9a3412', fontSize: 14, anchor: 'middle', frame: 'group' }
        // when another panel has a note, this one gets one too: it keeps the titles level
        : anyCut
          ? { text: title, subtitle: 'all epochs shown', subtitleColor: '#57606a', fontSize: 14, anchor: 'middle', frame: 'group' }
          : { text: title, fontSize: 14, anchor: 'middle', frame: 'group' },
      width,
      height,
      data: { values: rows },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', scale: { domain: xDomain, nice: false, padding: 6 }, axis: { format: 'd', tickMinStep: 1 } },
      },
      layer: layers,
    };
  });

  const subtitle = [
    best ? `best validation: epoch ${best.epoch} (${MINUS}ELBO ${fmt(best.validation.loss)}), green guide and dot` : 'no finite validation loss',
    units,
    ...(opts.notes ?? []),
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: { ...CHART_CONFIG, concat: { spacing: 28 } },
    title: { text: heading, subtitle },
    hconcat: panels,
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}
