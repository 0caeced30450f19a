/**
 * Widget 3, sampling: 24 draws z ~ p(z) decoded into a 4×6 grid of images, and the same 24
 * points in z space over the prior's density; hovering either highlights both. The prior is
 * N(0, I), or the run's Gaussian mixture when it has one (`--prior gmm:K`; its component means are
 * marked).
 */
import { Rng } from '../../src/math/rng.js';
import type { RunContext, Widget } from '../app.js';
import type { ModelQueue } from '../queue.js';
import { drawImage, imageCanvas } from '../ui/canvas.js';
import { card, el, markReady } from '../ui/card.js';
import { zExtent } from '../ui/grid.js';
import { zFrame, type Frame } from '../ui/plot.js';
import { drawComponentMeans, mixtureHeatmapUrl, mixtureWeights } from '../ui/prior.js';
import { describe, svgEl } from '../ui/svg.js';
import { getIndex, setParam } from '../urlState.js';

export const EXPLANATION =
  'Only the decoder is needed to make new images: draw z from the prior N(0, I) and decode it. ' +
  'The plot shows the 24 draws in z space over the density of the standard Gaussian (darker ' +
  'is more likely); the grid of images shows what the decoder makes of each. Point at an image ' +
  'or a dot (or tap one) to see which is which. The images are the decoder\'s means, so they look smooth and a ' +
  'little blurry, as images from a plain VAE do. A run trained with a mixture prior (a learnt ' +
  'mixture of K Gaussians instead of N(0, I)) is sampled from that mixture: pick a component by its ' +
  'weight, then draw from it; the plot then shows the mixture\'s density, and a cross marks each ' +
  'component\'s mean.';

const COUNT = 24;
const COLS = 6;

export function sampling(queue: ModelQueue): Widget {
  const c = card('sampling', '3 · Sampling from the prior', EXPLANATION);
  const R = 3.5;
  let f: Frame = zFrame(260, R);
  let pointsG = svgEl('g', { class: 'samples' }, f.layer);
  const gridEl = el('div', 'sample-grid');
  const canvases: HTMLCanvasElement[] = [];
  const button = el('button', '', 'new samples');
  button.type = 'button';
  const dimsNote = el('p', 'small dims-note');
  const priorNote = el('p', 'small prior-note');
  const side = el('div', 'side');
  side.append(gridEl, button, dimsNote, priorNote);
  c.body.append(f.svg, side);

  let ctx: RunContext | null = null;
  /** The k-th draw uses seed 1000 + k (the address's `draw`); a new run keeps the draw. */
  let draw = 0;
  let first = true;
  const circles: SVGCircleElement[] = [];

  let pinned: number | null = null;
  const highlight = (i: number | null): void => {
    if (i === null && pinned !== null) i = pinned;
    circles.forEach((el, k) => el.classList.toggle('hot', k === i));
    canvases.forEach((el, k) => el.classList.toggle('hot', k === i));
    if (i !== null) pointsG.appendChild(circles[i]); // on top
  };

  function pin(i: number): void {
    pinned = pinned === i ? null : i;
    highlight(pinned);
  }

  for (let i = 0; i < COUNT; i++) {
    const cv = imageCanvas(32, 32, 56, 'img sample');
    cv.dataset.index = String(i);
    cv.setAttribute('aria-label', `sample ${i + 1}`);
    cv.addEventListener('pointerenter', () => highlight(i));
    cv.addEventListener('pointerleave', () => highlight(null));
    // a tap (or click) pins the link until the next tap
    cv.addEventListener('click', () => pin(i));
    canvases.push(cv);
    gridEl.appendChild(cv);
    const dot = svgEl('circle', { r: 4.5, class: 'sample-pt', 'data-index': i }, pointsG);
    dot.addEventListener('pointerenter', () => highlight(i));
    dot.addEventListener('pointerleave', () => highlight(null));
    dot.addEventListener('click', () => pin(i));
    circles.push(dot);
  }
  gridEl.style.gridTemplateColumns = `repeat(${COLS}, minmax(0, 56px))`;

  /**
   * A new plot for a run's prior: over N(0, I) on [−3.5, 3.5]², or over a mixture's (z₁, z₂)
   * density, wide enough for its components (means ± 2.5 σ), with their means marked.
   */
  const newFrame = (run: RunContext): void => {
    const prior = run.model.latent >= 2 ? run.model.prior : null;
    let next: Frame;
    if (prior) {
      const p = prior.getParams();
      const reach = p.means.flatMap((m, k) => [0, 1].flatMap((j) => [m[j] - 2.5 * Math.exp(0.5 * p.logvars[k][j]), m[j] + 2.5 * Math.exp(0.5 * p.logvars[k][j])]));
      const r = Math.max(R, zExtent(reach));
      next = zFrame(260, r);
      next.layer.querySelector('image.heatmap')?.setAttribute('href', mixtureHeatmapUrl(p, -r, r));
      drawComponentMeans(next, p.means.flatMap((m) => [m[0], m[1]]), mixtureWeights(p.logits));
      const K = p.logits.length;
      priorNote.textContent = `This run's prior is a mixture of ${K} Gaussians (learnt with the model): the draws come from it; the background is its density over (z₁, z₂), a cross marks each component's mean.`;
    } else {
      next = zFrame(260, R);
      priorNote.textContent = '';
    }
    next.svg.dataset.prior = prior ? 'gmm' : 'standard';
    describe(next.svg, 'samples in latent space', `${COUNT} draws from the prior ${prior ? '(a Gaussian mixture)' : 'N(0, I)'} over its density; each dot is one image of the grid`);
    pointsG = svgEl('g', { class: 'samples' }, next.layer);
    circles.forEach((dot) => pointsG.appendChild(dot));
    f.svg.replaceWith(next.svg);
    f = next;
  };

  /** Draws new z and decodes them (seeded: the k-th press gives the same samples on every load). */
  const resample = async (): Promise<void> => {
    const run = ctx;
    if (!run) return;
    setParam('draw', draw === 0 ? null : String(draw));
    const rng = new Rng(1000 + draw);
    const latent = run.model.latent;
    // the run's mixture prior (ancestral sampling, src/math/prior.ts), else N(0, I)
    const zs = run.model.prior ? run.model.prior.sample(rng, COUNT) : rng.normals(COUNT * latent);
    circles.forEach((el, i) => {
      el.setAttribute('cx', String(f.x(zs[i * latent])));
      el.setAttribute('cy', String(f.y(zs[i * latent + 1])));
      el.dataset.z1 = String(zs[i * latent]);
      el.dataset.z2 = String(zs[i * latent + 1]);
    });
    const images = await queue.run('sampling', () => run.model.decode(zs, COUNT));
    if (!images || run !== ctx) return;
    const [h, w, ch] = run.model.imageShape;
    canvases.forEach((cv, i) => {
      drawImage(cv, images, h, w, ch, i * h * w * ch);
      cv.setAttribute('aria-label', `sample ${i + 1}: the decoder's image of z₁ ${zs[i * latent].toFixed(2)}, z₂ ${zs[i * latent + 1].toFixed(2)}`);
    });
    c.root.dataset.draw = String(draw);
    markReady(c.root, run.run.name);
  };
  button.addEventListener('click', () => {
    draw++;
    void resample();
  });

  return {
    name: 'sampling',
    root: c.root,
    // the page's first model images: drawn before the parameter grid is encoded
    drawsFirst: true,
    async setRun(next) {
      ctx = next;
      c.notice(next.model.latent >= 2 ? null : 'sampling needs a run with at least 2 latent dimensions');
      // more than two dimensions: the plot shows the first two coordinates of each draw
      dimsNote.textContent = next.model.latent > 2 ? `The latent space has ${next.model.latent} dimensions: the plot shows z₁ and z₂ of each draw.` : '';
      if (first) draw = getIndex('draw') ?? 0;
      first = false;
      newFrame(next);
      await resample();
    },
  };
}
