/**
 * Widget 3, sampling: 24 draws z ~ N(0, I) decoded into a 4×6 grid of images, and the same 24
 * points in z space over the density of the standard Gaussian; hovering either highlights both.
 */
import { Rng } from '../../src/math/rng.js';
import type { RunContext, Widget } from '../app.js';
import type { ModelQueue } from '../queue.js';
import { drawImage, imageCanvas } from '../ui/canvas.js';
import { card, el, markReady } from '../ui/card.js';
import { zFrame } from '../ui/plot.js';
import { svgEl } from '../ui/svg.js';

export const EXPLANATION =
  'Only the decoder is needed to make new images: draw z from the prior N(0, I) and decode it. ' +
  'The left plot shows the 24 draws in z space over the density of the standard Gaussian (darker ' +
  'is more likely); the grid on the right shows what the decoder makes of each. Point at an image ' +
  'or a dot to see which is which. The images are the decoder\'s means, so they look smooth and a ' +
  'little blurry, as images from a plain VAE do.';

const COUNT = 24;
const COLS = 6;

export function sampling(queue: ModelQueue): Widget {
  const c = card('sampling', '3 · Sampling from the prior', EXPLANATION);
  const r = 3.5;
  const f = zFrame(260, r);
  const pointsG = svgEl('g', { class: 'samples' }, f.layer);
  const gridEl = el('div', 'sample-grid');
  const canvases: HTMLCanvasElement[] = [];
  const button = el('button', '', 'new samples');
  button.type = 'button';
  const dimsNote = el('p', 'small dims-note');
  const side = el('div', 'side');
  side.append(gridEl, button, dimsNote);
  c.body.append(f.svg, side);

  let ctx: RunContext | null = null;
  let draw = 0;
  const circles: SVGCircleElement[] = [];

  const highlight = (i: number | null): void => {
    circles.forEach((el, k) => el.classList.toggle('hot', k === i));
    canvases.forEach((el, k) => el.classList.toggle('hot', k === i));
    if (i !== null) pointsG.appendChild(circles[i]); // on top
  };

  for (let i = 0; i < COUNT; i++) {
    const cv = imageCanvas(32, 32, 56, 'img sample');
    cv.dataset.index = String(i);
    cv.addEventListener('pointerenter', () => highlight(i));
    cv.addEventListener('pointerleave', () => highlight(null));
    canvases.push(cv);
    gridEl.appendChild(cv);
    const dot = svgEl('circle', { r: 4.5, class: 'sample-pt', 'data-index': i }, pointsG);
    dot.addEventListener('pointerenter', () => highlight(i));
    dot.addEventListener('pointerleave', () => highlight(null));
    circles.push(dot);
  }
  gridEl.style.gridTemplateColumns = `repeat(${COLS}, auto)`;

  /** Draws new z and decodes them (seeded: the k-th press gives the same samples on every load). */
  const resample = async (): Promise<void> => {
    const run = ctx;
    if (!run) return;
    const rng = new Rng(1000 + draw++);
    const latent = run.model.latent;
    const zs = rng.normals(COUNT * latent);
    circles.forEach((el, i) => {
      el.setAttribute('cx', String(f.x(zs[i * latent])));
      el.setAttribute('cy', String(f.y(zs[i * latent + 1])));
    });
    const images = await queue.run('sampling', () => run.model.decode(zs, COUNT));
    if (!images || run !== ctx) return;
    const [h, w, ch] = run.model.imageShape;
    canvases.forEach((cv, i) => drawImage(cv, images, h, w, ch, i * h * w * ch));
    markReady(c.root, run.run.name);
  };
  button.addEventListener('click', () => void resample());

  return {
    name: 'sampling',
    root: c.root,
    async setRun(next) {
      ctx = next;
      c.notice(next.model.latent >= 2 ? null : 'sampling needs a run with at least 2 latent dimensions');
      // more than two dimensions: the plot shows the first two coordinates of each draw
      dimsNote.textContent = next.model.latent > 2 ? `The latent space has ${next.model.latent} dimensions: the plot shows z₁ and z₂ of each draw.` : '';
      draw = 0;
      await resample();
    },
  };
}
