/**
 * MNIST view, traversal: pick a test image and one latent dimension; the image is encoded (the
 * mean of q(z|x)) and that one coordinate is swept over [−3, 3] with every other coordinate kept
 * (src/analysis/traverse.ts); the decoder draws the sweep as a strip. Each dimension's activity, the
 * variance of the encoder means over the test images (src/analysis/activeUnits.ts), is shown as a
 * bar and in the menu, so dimensions the model does not use are visible.
 */
import { ACTIVE_UNIT_THRESHOLD, activeUnits, type ActiveUnits } from '../../src/analysis/activeUnits.js';
import { linspace, traverseLatent } from '../../src/analysis/traverse.js';
import type { RunContext, Widget } from '../app.js';
import type { ModelQueue } from '../queue.js';
import { drawImage, imageCanvas } from '../ui/canvas.js';
import { card, el, markReady } from '../ui/card.js';
import { describe, svgEl } from '../ui/svg.js';
import { testStrip, type TestStrip } from '../ui/testStrip.js';
import type { TestImages, TestSets } from '../testset.js';

export const EXPLANATION =
  'What does one latent dimension control? Click a test image to encode it, choose a dimension, ' +
  'and the decoder draws what happens when only that coordinate of the code moves from −3 to 3 ' +
  '(three prior standard deviations each way) while all the others keep the image\'s own values. ' +
  'Some dimensions change the slant or the stroke width, others turn one digit into another; most ' +
  'mix several properties, since nothing in a plain VAE asks them to be separate. The bars show ' +
  'how much each dimension varies across the test images (the variance of the encoder means): a ' +
  'dimension whose variance is below 0.01 is inactive (Burda et al. 2015), its code is the same ' +
  'for every image, and traversing it changes little or nothing.';

/** Values of the swept coordinate: STEPS points from −RANGE to RANGE. */
export const STEPS = 9;
export const RANGE = 3;

export function traversal(queue: ModelQueue, sets: TestSets): Widget {
  const c = card('traversal', 'MNIST · Traversing one latent dimension', EXPLANATION);
  const stripHost = el('div', 'test-strip');
  const select = el('select');
  select.dataset.role = 'traversal-dim';
  const bars = el('div', 'activity');
  const activityNote = el('p', 'small activity-note');
  const source = imageCanvas(28, 28, 56, 'img traverse-source');
  const steps = Array.from({ length: STEPS }, (_, i) => {
    const cv = imageCanvas(28, 28, 56, 'img traverse-step');
    cv.dataset.index = String(i);
    return cv;
  });
  const values = linspace(-RANGE, RANGE, STEPS);
  const ticks = el('div', 'traverse-ticks');
  ticks.append(el('span', 'small', 'x'), ...values.map((v) => el('span', 'small mono', v.toFixed(2).replace('-', '−'))));
  const row = el('div', 'traverse-row');
  row.append(source, ...steps);
  const readout = el('p', 'small mono', ' ');
  const pickRow = el('label', 'small', 'dimension ');
  pickRow.append(select);
  const column = el('div', 'interp');
  column.append(el('p', 'small', 'test images (click one)'), stripHost, pickRow, bars, activityNote,
    el('p', 'small', 'the image · decoded with the chosen coordinate set to −3 … 3'), row, ticks, readout);
  c.body.append(column);

  let ctx: RunContext | null = null;
  let test: TestImages | null = null;
  let strip: TestStrip | null = null;
  let pick = 0;
  let dim = 0;
  let units: ActiveUnits | null = null;
  let barEls: SVGRectElement[] = [];

  const update = async (): Promise<void> => {
    const run = ctx, t = test;
    if (!run || !t) return;
    strip?.mark(pick);
    barEls.forEach((b, j) => b.classList.toggle('chosen', j === dim));
    select.value = String(dim);
    const size = t.height * t.width * t.channels;
    const x = t.images.slice(pick * size, (pick + 1) * size);
    const d = dim;
    const res = await queue.run('traversal', async () => {
      const { mu } = await run.model.encode(x, 1);
      const z = traverseLatent(mu, [d], values);
      return { mu, images: await run.model.decode(z, STEPS) };
    });
    if (!res || run !== ctx) return;
    const [h, w, ch] = run.model.imageShape;
    drawImage(source, t.images, t.height, t.width, t.channels, pick * size);
    steps.forEach((cv, i) => drawImage(cv, res.images, h, w, ch, i * h * w * ch));
    const name = t.classNames[t.labels[pick]] ?? String(t.labels[pick]);
    readout.textContent = `test #${pick} (${name}): z${d + 1} from −${RANGE} to ${RANGE}, its own value ${res.mu[d].toFixed(2)}; the other ${run.model.latent - 1} coordinates stay at the image's mean`;
    c.root.dataset.dim = String(d);
    c.root.dataset.pick = String(pick);
    markReady(c.root, run.run.name);
  };

  select.addEventListener('change', () => {
    dim = Number(select.value);
    void update();
  });

  /** The menu and the bar chart of each dimension's activity. */
  const showActivity = (u: ActiveUnits): void => {
    const D = u.variances.length;
    select.replaceChildren(...Array.from(u.variances, (v, j) => {
      const o = el('option', '', `z${j + 1} · variance ${v.toFixed(3)}${v > u.threshold ? '' : ' (inactive)'}`);
      o.value = String(j);
      o.dataset.variance = String(v);
      return o;
    }));
    const W = Math.min(460, Math.max(120, 18 * D)), H = 70, top = 6, bottom = 16;
    const svg = svgEl('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: 'activity-chart' });
    describe(svg, 'activity of each latent dimension', `variance of the test means per dimension; ${u.active.length} of ${D} above the threshold ${u.threshold}`, 'group');
    const max = Math.max(...u.variances, u.threshold * 2);
    const bw = W / D;
    const y = (v: number): number => top + (H - top - bottom) * (1 - v / max);
    barEls = Array.from(u.variances, (v, j) => {
      const b = svgEl('rect', {
        x: j * bw + 1, width: Math.max(1, bw - 2), y: y(v), height: Math.max(1, y(0) - y(v)),
        class: `activity-bar${v > u.threshold ? '' : ' inactive'}`, 'data-dim': j,
      }, svg);
      svgEl('title', {}, b).textContent = `z${j + 1}: variance of the means ${v.toFixed(4)}${v > u.threshold ? '' : ' (inactive)'}`;
      b.addEventListener('click', () => {
        dim = j;
        void update();
      });
      if (D <= 24) svgEl('text', { x: j * bw + bw / 2, y: H - 4, 'text-anchor': 'middle', class: 'activity-label' }, svg).textContent = String(j + 1);
      return b;
    });
    svgEl('line', { x1: 0, x2: W, y1: y(u.threshold), y2: y(u.threshold), class: 'activity-threshold' }, svg);
    bars.replaceChildren(svg);
    activityNote.textContent = `${u.active.length} of ${D} dimensions active (variance of the encoder means over the ${test?.count ?? ''} test images > ${ACTIVE_UNIT_THRESHOLD}; the dashed line); grey bars are inactive. Click a bar or use the menu.`;
  };

  return {
    name: 'traversal',
    root: c.root,
    async setRun(next) {
      ctx = next;
      const v = await sets.latent(next);
      if (ctx !== next) return;
      units = activeUnits(v.mu, v.test.count, v.latent);
      if (v.test !== test) {
        test = v.test;
        strip = testStrip(stripHost, v.test, (i) => {
          pick = i;
          void update();
        });
        pick = 0;
      }
      showActivity(units);
      // start with the most active dimension
      dim = units.variances.reduce((best, x, j, a) => (x > a[best] ? j : best), 0);
      await update();
    },
  };
}
