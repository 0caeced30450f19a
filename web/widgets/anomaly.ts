/**
 * MNIST view, anomalies: every test image of the page is scored by the model, −ELBO in nats
 * (one seeded draw of z per image; src/math/iwae.ts's estimator with the run's likelihood and
 * prior, as `vae anomaly --score elbo --samples 1` does), and the 12 most and 12 least typical
 * images are shown with their scores, over a histogram of all scores stacked by label and the mean
 * score of each label.
 */
import { rankByScore } from '../../src/analysis/anomaly.js';
import { Rng } from '../../src/math/rng.js';
import type { RunContext, Widget } from '../app.js';
import type { ModelQueue } from '../queue.js';
import { drawImage, imageCanvas } from '../ui/canvas.js';
import { card, el, markReady } from '../ui/card.js';
import { axisBottom, axisLeft, describe, linear, svgEl } from '../ui/svg.js';
import { LABEL_COLOURS, type TestImages, type TestSets } from '../testset.js';

export const EXPLANATION =
  'A VAE gives every input a score of how well it fits what the model learnt: −ELBO, the number of ' +
  'nats the model needs to describe the image (reconstruction error plus the KL cost of its code), ' +
  'an upper bound on −log p(x). Low scores are typical images; high scores are images the model ' +
  'finds unusual, which is the basis of anomaly detection. Every test image of this page is scored ' +
  'once (one draw of z per image, seeded, so the numbers repeat); the rows show the 12 most and ' +
  'the 12 least typical with their scores, and the histogram shows all scores, each bar split by ' +
  'label, with the mean score of each label beside it. Digits with few strokes, such as 1, cost few ' +
  'nats; unusual shapes and thick or broken strokes cost many.';

/** Images scored per queued call (keeps each call short), z draws per image, and their seed. */
export const BATCH = 250;
export const SAMPLES = 1;
export const SEED = 0;
export const SHOW = 12;
const BINS = 30;

export interface AnomalyResult {
  /** −ELBO per test image, nats. */
  scores: Float32Array;
  /** Test indices, least typical (highest score) first. */
  order: number[];
  seconds: number;
}

export function anomaly(queue: ModelQueue, sets: TestSets): Widget {
  const c = card('anomaly', 'MNIST · Anomalies: the least and most typical test images', EXPLANATION);
  const summary = el('p', 'small anomaly-summary', ' ');
  const rowFor = (role: string): { row: HTMLElement; figs: { fig: HTMLElement; cv: HTMLCanvasElement; cap: HTMLElement }[] } => {
    const row = el('div', 'anomaly-row');
    row.dataset.role = role;
    const figs = Array.from({ length: SHOW }, (_, r) => {
      const fig = el('figure', 'image');
      const cv = imageCanvas(28, 28, 44, `img anomaly-img ${role}`);
      cv.dataset.rank = String(r);
      const cap = el('figcaption', 'mono');
      fig.append(cv, cap);
      row.append(fig);
      return { fig, cv, cap };
    });
    return { row, figs };
  };
  const atypical = rowFor('atypical');
  const typical = rowFor('typical');
  const histBox = el('div', 'anomaly-hist');
  const means = el('div', 'label-means');
  const charts = el('div', 'pair');
  charts.append(histBox, means);
  const column = el('div', 'interp');
  column.append(summary, el('p', 'small', `least typical (highest −ELBO first)`), atypical.row,
    el('p', 'small', `most typical (lowest −ELBO first)`), typical.row, charts);
  c.body.append(column);

  let ctx: RunContext | null = null;
  const cache = new WeakMap<RunContext['model'], Promise<AnomalyResult | null>>();

  /** Scores the test images in batches through the model queue; null if the run changed meanwhile. */
  const score = async (run: RunContext, t: TestImages): Promise<AnomalyResult | null> => {
    const t0 = performance.now();
    const size = t.height * t.width * t.channels;
    const scores = new Float32Array(t.count);
    // one generator across the batches, so the draws are those of one pass with batch size BATCH
    const rng = new Rng(SEED);
    for (let start = 0; start < t.count; start += BATCH) {
      if (ctx?.model !== run.model) return null;
      const n = Math.min(BATCH, t.count - start);
      const x = t.images.subarray(start * size, (start + n) * size);
      // a unique key per batch: each must run, and in order (they share the generator)
      const s = await queue.run(`anomaly:${run.run.name}:${start}`, () => run.model.scores(x, n, SAMPLES, rng));
      if (!s) return null;
      scores.set(s.negElbo, start);
    }
    return { scores, order: rankByScore(scores), seconds: (performance.now() - t0) / 1000 };
  };

  const draw = (t: TestImages, r: AnomalyResult, run: RunContext): void => {
    const size = t.height * t.width * t.channels;
    const name = (i: number): string => t.classNames[t.labels[i]] ?? String(t.labels[i]);
    const fill = (figs: typeof typical.figs, idx: number[]): void => figs.forEach((f, k) => {
      const i = idx[k];
      drawImage(f.cv, t.images, t.height, t.width, t.channels, i * size);
      f.cv.dataset.test = String(i);
      f.cv.dataset.score = String(r.scores[i]);
      f.cap.textContent = `${name(i)}\n${r.scores[i].toFixed(1)}`;
      f.fig.title = `test #${i}: ${name(i)}, −ELBO ${r.scores[i].toFixed(2)} nats`;
      f.cv.setAttribute('aria-label', f.fig.title);
    });
    fill(atypical.figs, r.order.slice(0, SHOW));
    fill(typical.figs, r.order.slice(-SHOW).reverse());
    let total = 0;
    for (const v of r.scores) total += v;
    const lik = run.run.model.likelihood.kind === 'gaussian' ? ' (Gaussian likelihood: includes its constant)' : '';
    const prior = run.model.prior ? `the run's mixture prior of ${run.model.prior.components} Gaussians` : 'the prior N(0, I)';
    summary.textContent = `${t.count} test images scored by −ELBO${lik}, ${SAMPLES} draw of z per image (seed ${SEED}), with ${prior}, ` +
      `in ${r.seconds.toFixed(1)} s: mean ${(total / t.count).toFixed(1)} nats, from ${r.scores[r.order[t.count - 1]].toFixed(1)} to ${r.scores[r.order[0]].toFixed(1)}.`;
    histogram(histBox, t, r.scores);
    labelMeans(means, t, r.scores);
  };

  return {
    name: 'anomaly',
    root: c.root,
    async setRun(next) {
      ctx = next;
      const t = await sets.testset(next.run);
      if (ctx !== next) return;
      let p = cache.get(next.model);
      if (!p) {
        p = score(next, t);
        cache.set(next.model, p);
        void p.then((r) => r ?? cache.delete(next.model), () => cache.delete(next.model));
      }
      const r = await p;
      if (!r || ctx !== next) return;
      draw(t, r, next);
      markReady(c.root, next.run.name);
    },
  };
}

/** A histogram of the scores, each bin's bar stacked by label (colours as in the latent scatter). */
function histogram(host: HTMLElement, t: TestImages, scores: Float32Array): void {
  let lo = Infinity, hi = -Infinity;
  for (const v of scores) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!(hi > lo)) hi = lo + 1;
  const L = t.classNames.length;
  const counts = Array.from({ length: BINS }, () => new Array<number>(L).fill(0));
  const bin = (v: number): number => Math.min(BINS - 1, Math.floor(((v - lo) / (hi - lo)) * BINS));
  for (let i = 0; i < t.count; i++) counts[bin(scores[i])][t.labels[i]]++;
  const top = Math.max(...counts.map((c) => c.reduce((a, b) => a + b, 0)));
  const W = 400, H = 190, m = { left: 40, right: 8, top: 8, bottom: 34 };
  const svg = svgEl('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: 'chart score-hist' });
  describe(svg, 'histogram of anomaly scores', `−ELBO of ${t.count} test images from ${lo.toFixed(0)} to ${hi.toFixed(0)} nats, bars stacked by label`);
  const x = linear([lo, hi], [m.left, W - m.right]);
  const y = linear([0, top], [H - m.bottom, m.top]);
  const bw = (W - m.left - m.right) / BINS;
  counts.forEach((perLabel, b) => {
    let acc = 0;
    perLabel.forEach((n, l) => {
      if (n === 0) return;
      svgEl('rect', { x: m.left + b * bw + 0.5, width: bw - 1, y: y(acc + n), height: y(acc) - y(acc + n), fill: LABEL_COLOURS[l % LABEL_COLOURS.length], class: 'hist-bar', 'data-label': l, 'data-count': n }, svg);
      acc += n;
    });
  });
  axisBottom(svg, x, H - m.bottom, { label: '−ELBO (nats)' });
  axisLeft(svg, y, m.left, { count: 4 });
  host.replaceChildren(svg);
}

/** The mean score of each label as a horizontal bar, highest (least typical class) first. */
function labelMeans(host: HTMLElement, t: TestImages, scores: Float32Array): void {
  const L = t.classNames.length;
  const sum = new Float64Array(L), n = new Float64Array(L);
  for (let i = 0; i < t.count; i++) {
    sum[t.labels[i]] += scores[i];
    n[t.labels[i]]++;
  }
  const mean = Array.from(sum, (s, l) => (n[l] > 0 ? s / n[l] : NaN));
  const order = Array.from({ length: L }, (_, l) => l).filter((l) => n[l] > 0).sort((a, b) => mean[b] - mean[a]);
  const lo = Math.min(...order.map((l) => mean[l])), hi = Math.max(...order.map((l) => mean[l]));
  const items = order.map((l) => {
    const item = el('div', 'label-mean');
    item.dataset.label = String(l);
    item.dataset.mean = String(mean[l]);
    const bar = el('span', 'mean-bar');
    bar.style.background = LABEL_COLOURS[l % LABEL_COLOURS.length];
    // bars from a little below the lowest mean, so the differences show
    bar.style.width = `${hi > lo ? 12 + (88 * (mean[l] - lo)) / (hi - lo) : 50}%`;
    const track = el('span', 'mean-track');
    track.append(bar);
    item.append(el('span', 'mean-name', t.classNames[l]), track, el('span', 'mono small', mean[l].toFixed(1)));
    return item;
  });
  host.replaceChildren(el('p', 'small', 'mean −ELBO per label'), ...items);
}
