/**
 * MNIST view, latent search: click a test image (the query); its 10 nearest test images by encoder
 * mean (Euclidean or cosine distance, src/analysis/search.ts) are shown with their labels and
 * distances, and precision@10: the fraction of them with the query's label. The same figure over
 * every test image as a query (leave-one-out) says how well the whole latent space groups classes.
 */
import { nearestNeighbours, precisionAtK, type Metric } from '../../src/analysis/search.js';
import type { RunContext, Widget } from '../app.js';
import { drawImage, imageCanvas } from '../ui/canvas.js';
import { card, el, markReady } from '../ui/card.js';
import { testStrip, toggleButtons, type TestStrip } from '../ui/testStrip.js';
import type { LatentView, TestSets } from '../testset.js';

export const EXPLANATION =
  'Search by meaning rather than by pixels: every test image is encoded once, and a query is ' +
  'answered by the images whose codes (the means of q(z|x)) lie nearest to the query\'s code, as in ' +
  'an image search that runs each upload through the encoder. Click a test image to make it the ' +
  'query; the row shows its 10 nearest neighbours among the other test images, nearest first, with ' +
  'their labels and distances. Euclidean distance compares the codes themselves; cosine distance ' +
  '(1 − cos of the angle between them) only their directions, which ignores how far from the ' +
  'origin a code lies. The model never saw a label, so precision@10, the share of neighbours with ' +
  'the query\'s label, measures how well the latent space groups digits on its own.';

export const K = 10;

export function latentSearch(sets: TestSets): Widget {
  const c = card('latent-search', 'MNIST · Latent search: nearest test images', EXPLANATION);
  const stripHost = el('div', 'test-strip');
  const metrics = toggleButtons<Metric>([{ value: 'euclidean', label: 'Euclidean' }, { value: 'cosine', label: 'cosine' }], 'euclidean', () => show());
  metrics.root.dataset.role = 'search-metric';
  const metricRow = el('div', 'toggle-row');
  metricRow.append(el('span', 'small', 'distance:'), metrics.root);
  const query = imageCanvas(28, 28, 56, 'img search-query');
  const row = el('div', 'search-row');
  const queryFig = el('figure', 'image');
  const queryCap = el('figcaption', '', 'query');
  queryFig.append(query, queryCap);
  const figs = Array.from({ length: K }, (_, r) => {
    const fig = el('figure', 'image neighbour');
    const cv = imageCanvas(28, 28, 48, 'img neighbour');
    cv.dataset.rank = String(r);
    const cap = el('figcaption', 'mono');
    fig.append(cv, cap);
    return { fig, cv, cap };
  });
  row.append(queryFig, el('span', 'search-arrow', '→'), ...figs.map((f) => f.fig));
  const readout = el('p', 'small precision');
  const overall = el('p', 'small precision-all');
  const column = el('div', 'interp');
  column.append(el('p', 'small', 'test images (click one to search with it)'), stripHost, metricRow, row, readout, overall);
  c.body.append(column);

  let ctx: RunContext | null = null;
  let view: LatentView | null = null;
  let strip: TestStrip | null = null;
  let pick = 0;
  /** Leave-one-out precision@10 over the whole test set, per model and metric. */
  const overallCache = new WeakMap<LatentView, Map<Metric, number>>();

  const show = (): void => {
    const v = view, run = ctx;
    if (!v || !run) return;
    const t = v.test;
    const metric = metrics.value();
    strip?.mark(pick);
    const d = v.latent;
    const q = pick;
    const nb = nearestNeighbours(v.mu, t.count, v.mu.subarray(q * d, (q + 1) * d), 1, d, K, { metric, exclude: (_, i) => i === q });
    const size = t.height * t.width * t.channels;
    const name = (i: number): string => t.classNames[t.labels[i]] ?? String(t.labels[i]);
    drawImage(query, t.images, t.height, t.width, t.channels, q * size);
    queryCap.textContent = `query #${q}: ${name(q)}`;
    figs.forEach((f, r) => {
      const i = nb.indices[r];
      drawImage(f.cv, t.images, t.height, t.width, t.channels, i * size);
      f.cv.dataset.test = String(i);
      f.cv.dataset.distance = String(nb.distances[r]);
      f.fig.classList.toggle('same', t.labels[i] === t.labels[q]);
      f.cap.textContent = `${name(i)}\n${nb.distances[r].toFixed(3)}`;
      f.fig.title = `test #${i}: ${name(i)}, ${metric} distance ${nb.distances[r].toFixed(4)}`;
      f.cv.setAttribute('aria-label', f.fig.title);
    });
    const p = precisionAtK(nb, [t.labels[q]], t.labels);
    readout.textContent = `precision@${K} for this query: ${p.toFixed(1)} (${Math.round(p * K)} of ${K} neighbours are ${name(q)}s; ${metric} distance between encoder means)`;
    c.root.dataset.precision = String(p);
    c.root.dataset.metric = metric;
    c.root.dataset.query = String(q);
    // every test image as a query, itself left out: n² distances, a few hundred ms at most for 2000 images
    let byMetric = overallCache.get(v);
    if (!byMetric) overallCache.set(v, (byMetric = new Map()));
    let all = byMetric.get(metric);
    if (all === undefined) {
      const every = nearestNeighbours(v.mu, t.count, v.mu, t.count, d, K, { metric, exclude: (qq, i) => qq === i });
      all = precisionAtK(every, t.labels, t.labels);
      byMetric.set(metric, all);
    }
    overall.textContent = `over all ${t.count} test images as queries (each left out of its own search): precision@${K} = ${all.toFixed(3)}`;
    markReady(c.root, run.run.name);
  };

  return {
    name: 'latent-search',
    root: c.root,
    async setRun(next) {
      ctx = next;
      const v = await sets.latent(next);
      if (ctx !== next) return;
      if (!view || v.test !== view.test) {
        strip = testStrip(stripHost, v.test, (i) => {
          pick = i;
          show();
        });
        pick = 0;
      }
      view = v;
      show();
    },
  };
}
