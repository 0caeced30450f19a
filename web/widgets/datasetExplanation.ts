/**
 * Widget 1, dataset explanation: drag a dot over the size × hue square and see the image those
 * two generating parameters make, rendered live by the same code that rendered the training data.
 */
import { FACES, renderFace } from '../../src/data/faces.js';
import type { Widget } from '../app.js';
import { captionedImage } from '../ui/canvas.js';
import { drawImage } from '../ui/canvas.js';
import { card, el, markReady } from '../ui/card.js';
import { clamp, onDrag } from '../ui/drag.js';
import { hueBands, paramFrame } from '../ui/plot.js';
import { svgEl } from '../ui/svg.js';

export const EXPLANATION =
  'Every image of the toy dataset is made from two numbers: the size of the face (1.0 means the face ' +
  'is exactly as tall as the 32×32 image; larger faces are cropped) and the hue of the background ' +
  'colour, HSV(hue, 0.8, 0.8). Drag the dot to pick a size and a hue; the image on the right is ' +
  'rendered on the spot by the very renderer that generated the training data.';

export function datasetExplanation(): Widget {
  const c = card('dataset-explanation', '1 · The dataset: two numbers make a face', EXPLANATION);
  const f = paramFrame(240, FACES.sizeRange, FACES.hueRange);
  hueBands(f, 0.45);
  const dot = svgEl('circle', { r: 7, class: 'handle' }, f.svg);
  const out = captionedImage(FACES.height, FACES.width, 160, '', 'face');
  const side = el('div', 'side');
  side.append(out.figure);
  c.body.append(f.svg, side);

  const image = new Float32Array(FACES.height * FACES.width * 3);
  let size = 0.9, hue = 0.55;
  const show = (): void => {
    dot.setAttribute('cx', String(f.x(size)));
    dot.setAttribute('cy', String(f.y(hue)));
    renderFace(size, hue, image);
    drawImage(out.canvas, image, FACES.height, FACES.width, 3);
    out.caption.textContent = `size ${size.toFixed(2)} · hue ${hue.toFixed(2)}`;
  };
  onDrag(f.svg, (p) => {
    size = clamp(f.x.invert(p.x), FACES.sizeRange[0], FACES.sizeRange[1]);
    hue = clamp(f.y.invert(p.y), FACES.hueRange[0], FACES.hueRange[1]);
    show();
  });
  show();
  markReady(c.root, '-');
  return { name: 'dataset-explanation', root: c.root, setRun: () => undefined };
}
