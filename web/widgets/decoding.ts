/**
 * Widget 6, decoding: drag anywhere in z ∈ [−3, 3]² and see the decoder's image for that point;
 * the encoded grid of the training parameters is drawn over the latent space for orientation.
 */
import type { RunContext, Widget } from '../app.js';
import type { ModelQueue } from '../queue.js';
import { captionedImage, drawImage } from '../ui/canvas.js';
import { card, el, markReady } from '../ui/card.js';
import { clamp, keyboardHandle, onDrag } from '../ui/drag.js';
import { drawGrid } from '../ui/grid.js';
import { zFrame } from '../ui/plot.js';
import { describe, svgEl } from '../ui/svg.js';
import { getNumbers, numbersValue, setParam } from '../urlState.js';

export const EXPLANATION =
  'The decoder turns any point of the latent space into an image. Drag the dot anywhere in ' +
  'z ∈ [−3, 3]² (or focus it and use the arrow keys); the image next to the plot is decoded on the spot. The warped grid is the encoding ' +
  'of the training parameters (as in the mapping above), so you can see where the faces the model ' +
  'was trained on live, and what it makes of the regions between and beyond them.';

const R = 3;

export function decoding(queue: ModelQueue): Widget {
  const c = card('decoding', '6 · Decoding any point of the latent space', EXPLANATION);
  const f = zFrame(280, R);
  const gridG = svgEl('g', { class: 'grid faint' }, f.layer);
  describe(f.svg, 'latent space of the decoder', 'z in [−3, 3]² over the N(0, I) density, the encoded parameter grid and a draggable dot', 'group');
  const handle = svgEl('circle', { r: 7, class: 'handle' }, f.svg);
  const out = captionedImage(32, 32, 160, 'decoded', 'decoded');
  const dimsNote = el('p', 'small dims-note');
  const side = el('div', 'side');
  side.append(out.figure, dimsNote);
  c.body.append(f.svg, side);

  let ctx: RunContext | null = null;
  const start = getNumbers('z', 2);
  let z1 = clamp(start?.[0] ?? 0, -R, R), z2 = clamp(start?.[1] ?? 0, -R, R);

  const update = async (): Promise<void> => {
    handle.setAttribute('cx', String(f.x(z1)));
    handle.setAttribute('cy', String(f.y(z2)));
    valueText(`z₁ ${z1.toFixed(2)}, z₂ ${z2.toFixed(2)}`);
    const run = ctx;
    if (!run) return;
    const z = new Float32Array(run.model.latent);
    z[0] = z1;
    z[1] = z2;
    const img = await queue.run('decoding', () => run.model.decode(z, 1));
    if (!img || run !== ctx) return;
    const [h, w, ch] = run.model.imageShape;
    drawImage(out.canvas, img, h, w, ch);
    out.caption.textContent = `z = (${z1.toFixed(2)}, ${z2.toFixed(2)}${run.model.latent > 2 ? ', 0, …' : ''})`;
    out.canvas.setAttribute('aria-label', `the decoder's image of z₁ ${z1.toFixed(2)}, z₂ ${z2.toFixed(2)}`);
    markReady(c.root, run.run.name);
  };
  const moveTo = (a: number, b: number): void => {
    z1 = clamp(a, -R, R);
    z2 = clamp(b, -R, R);
    setParam('z', numbersValue([z1, z2]));
    void update();
  };
  onDrag(f.svg, (p) => moveTo(f.x.invert(p.x), f.y.invert(p.y)), handle);
  // arrow keys: 0.05 a press, 0.5 with Shift
  const valueText = keyboardHandle(handle, 'latent point (z₁, z₂)', (dx, dy) => moveTo(z1 + 0.05 * dx, z2 + 0.05 * dy));

  return {
    name: 'decoding',
    root: c.root,
    async setRun(next) {
      ctx = next;
      c.notice(next.model.latent >= 2 ? null : 'decoding by dragging needs a run with at least 2 latent dimensions');
      if (next.model.latent < 2) return;
      // more than two dimensions: the dot sets z₁ and z₂, every other coordinate stays 0
      dimsNote.textContent = next.model.latent > 2 ? `The latent space has ${next.model.latent} dimensions: the dot sets z₁ and z₂; z₃ … z${next.model.latent} stay 0.` : '';
      if (next.grid) drawGrid(gridG, { n: next.grid.n, params: next.grid.params, points: next.grid.mu }, f.x, f.y, { radius: 2 });
      else gridG.replaceChildren();
      await update();
    },
  };
}
