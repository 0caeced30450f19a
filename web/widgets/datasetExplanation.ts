/**
 * Widget 1, dataset explanation: drag a dot over the size × hue square and see the image those
 * two generating parameters make, rendered live by the same code that rendered the training data.
 */
import { FACES, renderFace } from '../../src/data/faces.js';
import type { Widget } from '../app.js';
import { captionedImage } from '../ui/canvas.js';
import { drawImage } from '../ui/canvas.js';
import { card, el, markReady } from '../ui/card.js';
import { clamp, keyboardHandle, onDrag } from '../ui/drag.js';
import { hueBands, paramFrame } from '../ui/plot.js';
import { describe, svgEl } from '../ui/svg.js';
import { getNumbers, numbersValue, setParam } from '../urlState.js';

export const EXPLANATION =
  'Every image of the toy dataset is made from two numbers: the size of the face (1.0 means the face ' +
  'is exactly as tall as the 32×32 image; larger faces are cropped) and the hue of the background ' +
  'colour, HSV(hue, 0.8, 0.8). Drag the dot to pick a size and a hue; the image next to the plot is ' +
  'rendered on the spot by the very renderer that generated the training data.';

export function datasetExplanation(): Widget {
  const c = card('dataset-explanation', '1 · The dataset: two numbers make a face', EXPLANATION);
  const f = paramFrame(240, FACES.sizeRange, FACES.hueRange);
  hueBands(f, 0.45);
  describe(f.svg, 'parameter space: size × hue', 'the training ranges over the background hue of each row, with a draggable dot', 'group');
  const dot = svgEl('circle', { r: 7, class: 'handle' }, f.svg);
  const out = captionedImage(FACES.height, FACES.width, 160, '', 'face');
  const side = el('div', 'side');
  side.append(out.figure);
  c.body.append(f.svg, side);

  const image = new Float32Array(FACES.height * FACES.width * 3);
  const [S0, S1] = FACES.sizeRange, [H0, H1] = FACES.hueRange;
  const start = getNumbers('face', 2);
  let size = clamp(start?.[0] ?? 0.9, S0, S1), hue = clamp(start?.[1] ?? 0.55, H0, H1);
  const show = (): void => {
    dot.setAttribute('cx', String(f.x(size)));
    dot.setAttribute('cy', String(f.y(hue)));
    renderFace(size, hue, image);
    drawImage(out.canvas, image, FACES.height, FACES.width, 3);
    out.caption.textContent = `size ${size.toFixed(2)} · hue ${hue.toFixed(2)}`;
    out.canvas.setAttribute('aria-label', `a face of size ${size.toFixed(2)} on a background of hue ${hue.toFixed(2)}`);
    valueText(`size ${size.toFixed(2)}, hue ${hue.toFixed(2)}`);
  };
  const moveTo = (s: number, h: number): void => {
    size = clamp(s, S0, S1);
    hue = clamp(h, H0, H1);
    setParam('face', numbersValue([size, hue]));
    show();
  };
  onDrag(f.svg, (p) => moveTo(f.x.invert(p.x), f.y.invert(p.y)), dot);
  const valueText = keyboardHandle(dot, 'parameter point (size, hue)', (dx, dy) => moveTo(size + dx * 0.01 * (S1 - S0), hue + dy * 0.01 * (H1 - H0)));
  show();
  markReady(c.root, '-');
  return { name: 'dataset-explanation', root: c.root, setRun: () => undefined };
}
