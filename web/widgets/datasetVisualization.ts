/**
 * Widget 2, dataset visualisation: the (size, hue) of every training and validation image, the
 * validation rectangle, and the image under the pointer.
 */
import { FACES, renderFace } from '../../src/data/faces.js';
import type { RunContext, Widget } from '../app.js';
import { captionedImage, drawImage } from '../ui/canvas.js';
import { card, el, markReady } from '../ui/card.js';
import { svgPoint } from '../ui/drag.js';
import { paramFrame } from '../ui/plot.js';
import { describe, svgEl } from '../ui/svg.js';

export const EXPLANATION =
  'The dataset holds 2000 images whose size and hue were drawn uniformly at random. Every image ' +
  'whose parameters fall into the dashed rectangle (size 0.6–0.9, hue 0.4–0.7, about 18% of the ' +
  'area) is held out as the validation set: the model never trains on faces of that kind. Point at ' +
  'a dot (or tap it) to see its image.';

interface Points { train: Float32Array; validation: Float32Array }

/** Generates the parameters in a worker: generateFaces renders all 2000 images (about a second). */
function generateParams(seed: number): Promise<Points> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('../facesWorker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<Points>) => {
      resolve(e.data);
      worker.terminate();
    };
    worker.onerror = (e) => {
      reject(new Error(e.message));
      worker.terminate();
    };
    worker.postMessage({ seed });
  });
}

export function datasetVisualization(): Widget {
  const c = card('dataset-visualization', '2 · Training and validation data', EXPLANATION);
  const f = paramFrame(300, FACES.sizeRange, FACES.hueRange);
  describe(f.svg, 'training and validation parameters', 'every training image (dark) and validation image (orange) as a point of size × hue, with the validation rectangle; point at one to see its image');
  const v = FACES.validation;
  const dots = svgEl('g', { class: 'scatter' }, f.layer);
  svgEl('rect', {
    x: f.x(v.size[0]), y: f.y(v.hue[1]), width: f.x(v.size[1]) - f.x(v.size[0]), height: f.y(v.hue[0]) - f.y(v.hue[1]), class: 'validation-rect',
  }, f.layer);
  const ring = svgEl('circle', { r: 6, class: 'hover-ring', visibility: 'hidden' }, f.svg);
  const out = captionedImage(FACES.height, FACES.width, 128, 'point at a dot', 'hovered');
  const legend = el('div', 'legend-html');
  legend.innerHTML = '<span class="swatch train"></span> training <span class="swatch validation"></span> validation';
  const counts = el('p', 'small');
  const side = el('div', 'side');
  side.append(out.figure, legend, counts);
  c.body.append(f.svg, side);

  let shownKey = '';
  let all: { size: number; hue: number; split: 'training' | 'validation'; index: number }[] = [];
  const image = new Float32Array(FACES.height * FACES.width * 3);

  const draw = (p: Points, limit: number | undefined): void => {
    while (dots.firstChild) dots.removeChild(dots.firstChild);
    all = [];
    const nTrain = Math.min(p.train.length / 2, limit ?? Infinity);
    for (let i = 0; i < nTrain; i++) all.push({ size: p.train[2 * i], hue: p.train[2 * i + 1], split: 'training', index: i });
    for (let i = 0; i < p.validation.length / 2; i++) all.push({ size: p.validation[2 * i], hue: p.validation[2 * i + 1], split: 'validation', index: i });
    for (const d of all) svgEl('circle', { cx: f.x(d.size), cy: f.y(d.hue), r: 2.2, class: `pt ${d.split}` }, dots);
    if (all.length > 0) select(all[0]);
    counts.textContent = `${nTrain} training images${limit !== undefined && limit < p.train.length / 2 ? ` (the run used the first ${limit})` : ''}, ${p.validation.length / 2} validation images`;
  };

  const select = (d: (typeof all)[number]): void => {
    ring.setAttribute('cx', String(f.x(d.size)));
    ring.setAttribute('cy', String(f.y(d.hue)));
    ring.setAttribute('visibility', 'visible');
    renderFace(d.size, d.hue, image);
    drawImage(out.canvas, image, FACES.height, FACES.width, 3);
    out.caption.textContent = `${d.split} #${d.index}: size ${d.size.toFixed(2)}, hue ${d.hue.toFixed(2)}`;
  };

  const hover = (e: PointerEvent): void => {
    const q = svgPoint(f.svg, e);
    let best = -1, bestD = 100; // within 10 px
    all.forEach((d, i) => {
      const dx = f.x(d.size) - q.x, dy = f.y(d.hue) - q.y;
      const dd = dx * dx + dy * dy;
      if (dd < bestD) {
        bestD = dd;
        best = i;
      }
    });
    if (best >= 0) select(all[best]);
  };
  f.svg.addEventListener('pointermove', hover);
  f.svg.addEventListener('pointerdown', hover);

  const cache = new Map<number, Promise<Points>>();
  const show = async (seed: number, limit: number | undefined, runName: string): Promise<void> => {
    let p = cache.get(seed);
    if (!p) cache.set(seed, (p = generateParams(seed)));
    const points = await p;
    const key = `${seed}/${limit ?? ''}`;
    if (key !== shownKey) {
      draw(points, limit);
      shownKey = key;
    }
    markReady(c.root, runName);
  };
  // the 2000 faces are generated when a run becomes active (after the first model images: the
  // worker's second of work would compete with them for the CPU); with no trained run to show, a
  // few seconds after the start
  window.setTimeout(() => {
    if (cache.size === 0) void show(0, undefined, '-');
  }, 3000);
  return {
    name: 'dataset-visualization',
    root: c.root,
    async setRun(ctx: RunContext) {
      // the data of the active run (faces runs record their data seed and training limit)
      const faces = ctx.run.dataset.name === 'faces';
      await show(faces ? (ctx.run.dataset.seed ?? 0) : 0, faces ? ctx.run.dataset.trainLimit : undefined, ctx.run.name);
    },
  };
}
