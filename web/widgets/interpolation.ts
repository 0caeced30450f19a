/**
 * MNIST view, interpolation: pick two test images from a strip; both are encoded (the means of
 * q(z|x)) and the decoder draws the path between them in latent space for t from 0 to 1: the
 * straight line z(t) = (1 − t)·mu_A + t·mu_B, or the spherical one (slerp) of
 * src/analysis/interpolate.ts, chosen with a toggle.
 */
import { interpolate, type InterpolationMethod } from '../../src/analysis/interpolate.js';
import type { RunContext, Widget } from '../app.js';
import type { ModelQueue } from '../queue.js';
import { drawImage, imageCanvas } from '../ui/canvas.js';
import { card, el, markReady } from '../ui/card.js';
import { toggleButtons } from '../ui/testStrip.js';
import { MNIST_ONLY, isMnistLike, type TestImages, type TestSets } from '../testset.js';
import { getNumbers, setParam } from '../urlState.js';

export const EXPLANATION =
  'Walking from one image to another through the latent space. Click an image in the strip to ' +
  'make it the start (A), click another to make it the end (B); the clicks alternate. Both are ' +
  'encoded, and the decoder draws the points on the straight line between their means, ' +
  'z = (1 − t)·mu_A + t·mu_B for t = 0, 1/8, …, 1. Because the prior packs the codes closely, ' +
  'most points on the way decode to plausible images rather than to a double exposure of A and B; ' +
  'where the path crosses the region of a third class, that class appears on the way. The ' +
  'spherical path (slerp) turns the direction of z at a constant rate from that of mu_A to that of ' +
  'mu_B while its length goes from |mu_A| to |mu_B|: under N(0, I) most of the prior\'s mass lies ' +
  'near a sphere of radius √D, which the straight line cuts through, so slerp keeps the path ' +
  'where codes are likely (most visible with many latent dimensions).';

/** How many test images the strip offers, and the steps of the path (t = 0 … 1). */
export const STRIP = 20;
export const STEPS = 9;

export function interpolation(queue: ModelQueue, sets: TestSets): Widget {
  const c = card('interpolation', 'MNIST · Interpolating between two test images', EXPLANATION);
  const strip = el('div', 'test-strip');
  const path = el('div', 'interp-path');
  const readout = el('p', 'small mono', ' ');
  const column = el('div', 'interp');
  const methods = toggleButtons<InterpolationMethod>([{ value: 'linear', label: 'linear' }, { value: 'slerp', label: 'spherical (slerp)' }], 'linear', () => void update());
  methods.root.dataset.role = 'interp-method';
  const toggle = el('div', 'toggle-row');
  toggle.append(el('span', 'small', 'path:'), methods.root);
  column.append(el('p', 'small', 'test images (click: A, then B)'), strip, toggle, el('p', 'small', 'A · decoded path from mu_A to mu_B · B'), path, readout);
  c.body.append(column);

  let ctx: RunContext | null = null;
  let test: TestImages | null = null;
  let stripCanvases: HTMLCanvasElement[] = [];
  const a = imageCanvas(28, 28, 56, 'img interp-end');
  a.dataset.role = 'interp-a';
  const b = imageCanvas(28, 28, 56, 'img interp-end');
  b.dataset.role = 'interp-b';
  const steps: HTMLCanvasElement[] = Array.from({ length: STEPS }, (_, i) => {
    const cv = imageCanvas(28, 28, 56, 'img interp-step');
    cv.dataset.index = String(i);
    cv.setAttribute('aria-label', `decoded step ${i + 1} of ${STEPS} from A to B`);
    return cv;
  });
  a.setAttribute('aria-label', 'image A');
  b.setAttribute('aria-label', 'image B');
  path.append(a, ...steps, b);

  let pickA = 0, pickB = 1;
  let nextIsA = true;

  const markPicks = (): void => {
    stripCanvases.forEach((cv, i) => {
      cv.classList.toggle('pick-a', i === pickA);
      cv.classList.toggle('pick-b', i === pickB);
    });
  };

  const update = async (): Promise<void> => {
    const run = ctx, t = test;
    if (!run || !t) return;
    markPicks();
    const size = t.height * t.width * t.channels;
    const x = new Float32Array(2 * size);
    x.set(t.images.subarray(pickA * size, (pickA + 1) * size), 0);
    x.set(t.images.subarray(pickB * size, (pickB + 1) * size), size);
    const latent = run.model.latent;
    const how = methods.value();
    const res = await queue.run('interpolation', async () => {
      const { mu } = await run.model.encode(x, 2);
      const z = interpolate(how, mu.slice(0, latent), mu.slice(latent, 2 * latent), STEPS);
      return { mu, z, images: await run.model.decode(z, STEPS) };
    });
    if (!res || run !== ctx) return;
    const [h, w, ch] = run.model.imageShape;
    drawImage(a, t.images, t.height, t.width, t.channels, pickA * size);
    drawImage(b, t.images, t.height, t.width, t.channels, pickB * size);
    steps.forEach((cv, i) => drawImage(cv, res.images, h, w, ch, i * h * w * ch));
    const name = (i: number): string => t.classNames[t.labels[i]] ?? String(t.labels[i]);
    let dist = 0;
    for (let j = 0; j < latent; j++) dist += (res.mu[j] - res.mu[latent + j]) ** 2;
    // the path's length at its middle: slerp keeps it between |mu_A| and |mu_B|, the line cuts inside
    const mid = (STEPS - 1) / 2;
    let midNorm = 0;
    for (let j = 0; j < latent; j++) midNorm += res.z[mid * latent + j] ** 2;
    readout.textContent = `A = test #${pickA} (${name(pickA)}), B = test #${pickB} (${name(pickB)}); |mu_B − mu_A| = ${Math.sqrt(dist).toFixed(2)}; ` +
      `${how === 'slerp' ? 'spherical' : 'linear'} path, |z(½)| = ${Math.sqrt(midNorm).toFixed(2)}`;
    c.root.dataset.method = how;
    markReady(c.root, run.run.name);
  };

  const buildStrip = (t: TestImages): void => {
    const size = t.height * t.width * t.channels;
    const n = Math.min(STRIP, t.count);
    stripCanvases = Array.from({ length: n }, (_, i) => {
      const cv = imageCanvas(t.height, t.width, 40, 'img strip-img');
      cv.dataset.index = String(i);
      cv.title = `test #${i}: ${t.classNames[t.labels[i]] ?? t.labels[i]}`;
      cv.setAttribute('aria-label', cv.title);
      cv.tabIndex = 0;
      cv.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          cv.click();
        }
      });
      drawImage(cv, t.images, t.height, t.width, t.channels, i * size);
      cv.addEventListener('click', () => {
        if (nextIsA) pickA = i;
        else pickB = i;
        nextIsA = !nextIsA;
        setParam('ab', `${pickA},${pickB}`);
        void update();
      });
      return cv;
    });
    strip.replaceChildren(...stripCanvases);
    // the address's endpoints (`ab=A,B`) when they are in the strip
    const ab = getNumbers('ab', 2);
    const ok = ab !== null && ab.every((v) => Number.isInteger(v) && v >= 0 && v < n);
    pickA = ok ? ab[0] : 0;
    pickB = ok ? ab[1] : Math.min(1, n - 1);
    nextIsA = true;
  };

  return {
    name: 'interpolation',
    root: c.root,
    async setRun(next) {
      ctx = next;
      if (!isMnistLike(next.run)) {
        c.notice(MNIST_ONLY);
        markReady(c.root, next.run.name);
        return;
      }
      c.notice(null);
      const t = await sets.testset(next.run);
      if (ctx !== next) return;
      if (t !== test) {
        test = t;
        buildStrip(t);
      }
      await update();
    },
  };
}
