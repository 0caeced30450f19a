/**
 * Widget 4, mapping: the 10×10 grid of generating parameters and its encoding (the means of
 * q(z|x)) as a warped grid in z space; a draggable dot in a parameter space 20% larger than the
 * training ranges renders an image, encodes it (mu and a ×3 sigma ellipse) and decodes mu.
 */
import { FACES, renderFace } from '../../src/data/faces.js';
import type { RunContext, Widget } from '../app.js';
import type { ModelQueue } from '../queue.js';
import { captionedImage, drawImage } from '../ui/canvas.js';
import { card, el, markReady } from '../ui/card.js';
import { clamp, keyboardHandle, onDrag } from '../ui/drag.js';
import { drawGrid, zExtent } from '../ui/grid.js';
import { hueBands, paramFrame, zFrame, type Frame } from '../ui/plot.js';
import { describe, svgEl } from '../ui/svg.js';
import { getNumbers, numbersValue, setParam } from '../urlState.js';

export const EXPLANATION =
  'How do the two generating parameters map to the two latent dimensions? The first plot is the ' +
  'parameter space over the background hue of each row: the shaded square is where the training ' +
  'data came from, the white cut-out the validation area, and it reaches 20% of each range beyond ' +
  'the training ranges on each side. The 10×10 grid of parameters is rendered and encoded; the ' +
  'second plot shows the encoder\'s means as a warped grid in z space over the density of the ' +
  'prior N(0, I) (dots coloured by hue, larger for larger faces). Drag the dot (or focus it and ' +
  'use the arrow keys): its image is encoded (mu, and an ' +
  'ellipse of three standard deviations) and the decoder reconstructs it from mu. Inside the ' +
  'validation area the reconstructions are still faces, if a bit ghostly; outside the training ' +
  'ranges the model does not extrapolate.';

const [S0, S1] = FACES.sizeRange;
const [H0, H1] = FACES.hueRange;
/** The training ranges extended by 20% of their width on each side (size 0.2–1.6, hue 0.2–0.9). */
export const EXTENDED = {
  size: [S0 - 0.2 * (S1 - S0), S1 + 0.2 * (S1 - S0)] as const,
  hue: [H0 - 0.2 * (H1 - H0), H1 + 0.2 * (H1 - H0)] as const,
};

export function mapping(queue: ModelQueue): Widget {
  const c = card('mapping', '4 · From parameters to latent space', EXPLANATION);
  const pf = paramFrame(220, EXTENDED.size, EXTENDED.hue);
  hueBands(pf, 0.45);
  describe(pf.svg, 'parameter space: size × hue', 'the training square, the validation cut-out, the 10×10 parameter grid and a draggable dot', 'group');
  const v = FACES.validation;
  svgEl('rect', { x: pf.x(S0), y: pf.y(H1), width: pf.x(S1) - pf.x(S0), height: pf.y(H0) - pf.y(H1), class: 'training-area' }, pf.layer);
  svgEl('rect', { x: pf.x(v.size[0]), y: pf.y(v.hue[1]), width: pf.x(v.size[1]) - pf.x(v.size[0]), height: pf.y(v.hue[0]) - pf.y(v.hue[1]), class: 'validation-cut' }, pf.layer);
  const pGrid = svgEl('g', { class: 'grid' }, pf.layer);
  const handle = svgEl('circle', { r: 7, class: 'handle' }, pf.svg);
  const zBox = el('div', 'zbox');
  const input = captionedImage(32, 32, 112, 'input', 'input');
  input.canvas.setAttribute('aria-label', 'the face rendered from the dot\'s size and hue');
  const recon = captionedImage(32, 32, 112, 'reconstruction', 'reconstruction');
  recon.canvas.setAttribute('aria-label', 'the decoder\'s reconstruction from mu');
  const readout = el('p', 'small mono');
  const side = el('div', 'side');
  const pair = el('div', 'pair');
  pair.append(input.figure, recon.figure);
  side.append(pair, readout);
  c.body.append(pf.svg, zBox, side);

  let ctx: RunContext | null = null;
  let zf: Frame | null = null;
  let muDot: SVGCircleElement | null = null;
  let ellipse: SVGEllipseElement | null = null;
  // starts inside the validation area, or where the address says
  const start = getNumbers('map', 2);
  let size = clamp(start?.[0] ?? 0.75, ...EXTENDED.size), hue = clamp(start?.[1] ?? 0.55, ...EXTENDED.hue);
  const image = new Float32Array(32 * 32 * 3);

  const update = async (): Promise<void> => {
    handle.setAttribute('cx', String(pf.x(size)));
    handle.setAttribute('cy', String(pf.y(hue)));
    renderFace(size, hue, image);
    drawImage(input.canvas, image, 32, 32, 3);
    input.caption.textContent = `input: size ${size.toFixed(2)}, hue ${hue.toFixed(2)}`;
    valueText(`size ${size.toFixed(2)}, hue ${hue.toFixed(2)}`);
    const run = ctx;
    if (!run) return;
    const x = image.slice();
    const res = await queue.run('mapping', async () => {
      const enc = await run.model.encode(x, 1);
      const out = await run.model.decode(enc.mu, 1);
      return { ...enc, out };
    });
    if (!res || run !== ctx || !zf || !muDot || !ellipse) return;
    const [m1, m2] = res.mu;
    const s1 = Math.exp(0.5 * res.logvar[0]), s2 = Math.exp(0.5 * res.logvar[1]);
    muDot.setAttribute('cx', String(zf.x(m1)));
    muDot.setAttribute('cy', String(zf.y(m2)));
    ellipse.setAttribute('cx', String(zf.x(m1)));
    ellipse.setAttribute('cy', String(zf.y(m2)));
    ellipse.setAttribute('rx', String(Math.abs(zf.x(m1 + 3 * s1) - zf.x(m1))));
    ellipse.setAttribute('ry', String(Math.abs(zf.y(m2 + 3 * s2) - zf.y(m2))));
    drawImage(recon.canvas, res.out, ...run.model.imageShape);
    readout.textContent = `mu = (${m1.toFixed(2)}, ${m2.toFixed(2)})  sigma = (${s1.toFixed(3)}, ${s2.toFixed(3)})`;
    markReady(c.root, run.run.name);
  };

  const moveTo = (s: number, h: number): void => {
    size = clamp(s, ...EXTENDED.size);
    hue = clamp(h, ...EXTENDED.hue);
    setParam('map', numbersValue([size, hue]));
    void update();
  };
  onDrag(pf.svg, (p) => moveTo(pf.x.invert(p.x), pf.y.invert(p.y)), handle);
  // arrow keys: 1% of each extended range a press, 10% with Shift
  const valueText = keyboardHandle(handle, 'parameter point (size, hue)', (dx, dy) =>
    moveTo(size + dx * 0.01 * (EXTENDED.size[1] - EXTENDED.size[0]), hue + dy * 0.01 * (EXTENDED.hue[1] - EXTENDED.hue[0])));

  return {
    name: 'mapping',
    root: c.root,
    async setRun(next) {
      ctx = next;
      c.notice(next.faces2d && next.grid ? null : 'the mapping needs a faces run with a 2-D latent space');
      if (!next.grid) return;
      const g = next.grid;
      drawGrid(pGrid, { n: g.n, params: g.params, points: g.params }, pf.x, pf.y);
      zf = zFrame(220, zExtent(g.mu), true);
      describe(zf.svg, 'latent space of the mapping', 'the encoded parameter grid over the N(0, I) density, the dot\'s mean and its 3-sigma ellipse');
      drawGrid(svgEl('g', { class: 'grid' }, zf.layer), { n: g.n, params: g.params, points: g.mu }, zf.x, zf.y);
      ellipse = svgEl('ellipse', { class: 'sigma' }, zf.layer);
      muDot = svgEl('circle', { r: 5, class: 'mu' }, zf.layer);
      zBox.replaceChildren(zf.svg);
      await update();
    },
  };
}
