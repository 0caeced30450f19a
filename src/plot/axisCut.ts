/**
 * Where a loss chart cuts its y axis: when the first epochs' losses lie far above the rest, the top
 * is cut so the later epochs stay readable, and the cut epochs are named. Shared by the CLI's charts
 * (`lossCurves.ts`) and the explorer's (`web/ui/chart.ts`). No imports: the browser bundle takes it too.
 */

export interface YRange {
  domain: [number, number];
  /** Epochs whose values lie above the top of the domain (cut off), empty when nothing is cut. */
  cutEpochs: number[];
}

type Point = { epoch: number; value: number | null };

/**
 * The y range of one chart of one or more series (train and validation, or several runs). Normally
 * the extent of the values (vega-lite then rounds it to nice ticks). When the early epochs
 * dominate — the highest value lies more than three times the tail's range above the tail — the
 * top is cut at the tail's maximum plus half its range (the bottom 4% of the range below the
 * lowest value), and the epochs above it are listed. The tail is each series' points after its
 * own first tenth of epochs (all of a series with fewer than 5), so a short run beside a long
 * one keeps its curve in view.
 */
export function yRange(series: readonly (readonly Point[])[]): YRange | undefined {
  const finiteOf = (rows: readonly Point[]): { epoch: number; value: number }[] =>
    rows.filter((r): r is { epoch: number; value: number } => r.value !== null && Number.isFinite(r.value));
  const each = series.map(finiteOf);
  const finite = each.flat();
  if (finite.length === 0) return undefined;
  const values = finite.map((r) => r.value);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const tail = each.flatMap((rows) => {
    const epochs = [...new Set(rows.map((r) => r.epoch))].sort((a, b) => a - b);
    if (epochs.length < 5) return rows.map((r) => r.value);
    const after = epochs[Math.max(1, Math.floor(epochs.length / 10)) - 1];
    return rows.filter((r) => r.epoch > after).map((r) => r.value);
  });
  const tLo = Math.min(...tail);
  const tHi = Math.max(...tail);
  const span = tHi - tLo;
  if (span > 0 && hi > tHi + span * 3) {
    const top = tHi + span * 0.5;
    const cut = [...new Set(finite.filter((r) => r.value > top).map((r) => r.epoch))].sort((a, b) => a - b);
    // the domain is not rounded to ticks here: leave a little room under the lowest point
    return { domain: [Math.min(lo, tLo) - 0.04 * (top - Math.min(lo, tLo)), top], cutEpochs: cut };
  }
  return { domain: [lo, hi], cutEpochs: [] };
}

/** Most ranges `epochList` names before it abbreviates (a long run's list once made a chart 13,000 px wide). */
const MAX_EPOCH_RANGES = 6;

/** "epoch 3", "epochs 1–5, 8, 10–12", or when that is long "74 epochs (1–5, 8, 10–12, 15, 17, …, 301)". */
export function epochList(epochs: readonly number[]): string {
  if (epochs.length === 1) return `epoch ${epochs[0]}`;
  const ranges: string[] = [];
  for (let i = 0; i < epochs.length; ) {
    let j = i;
    while (j + 1 < epochs.length && epochs[j + 1] === epochs[j] + 1) j++;
    ranges.push(j > i ? `${epochs[i]}\u2013${epochs[j]}` : `${epochs[i]}`);
    i = j + 1;
  }
  if (ranges.length <= MAX_EPOCH_RANGES) return `epochs ${ranges.join(', ')}`;
  return `${epochs.length} epochs (${ranges.slice(0, MAX_EPOCH_RANGES - 1).join(', ')}, \u2026, ${ranges[ranges.length - 1]})`;
}

/**
 * The line that names what a cut axis leaves out: "epochs 1–66, 68–70 above the top, cut off"; for
 * points between epochs (a live chart's minibatches) "values up to epoch 0.31 above the top, cut off".
 */
export function cutNote(cutEpochs: readonly number[]): string {
  if (cutEpochs.every(Number.isInteger)) return `${epochList(cutEpochs)} above the top, cut off`;
  const last = Math.max(...cutEpochs);
  return `values up to epoch ${Number(last.toPrecision(2))} above the top, cut off`;
}
