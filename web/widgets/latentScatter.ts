/**
 * Latent scatter (MNIST-like runs and labelled image folders): the encoder means of the test images, one dot per image coloured by
 * its label, with a legend; pointing at a dot shows its image. Latent spaces of more than two
 * dimensions are shown as the projection onto the first two principal directions of the means.
 * A run with a mixture prior shows its component means (projected the same way) and, in 2-D, its
 * density behind the dots.
 */
import type { RunContext, Widget } from '../app.js';
import { captionedImage, drawImage } from '../ui/canvas.js';
import { card, el, markReady } from '../ui/card.js';
import { svgPoint } from '../ui/drag.js';
import { zExtent } from '../ui/grid.js';
import { zFrame, type Frame } from '../ui/plot.js';
import { drawComponentMeans, mixtureHeatmapUrl, mixtureWeights } from '../ui/prior.js';
import { describe, svgEl } from '../ui/svg.js';
import { project } from '../../src/analysis/pca.js';
import { LABEL_COLOURS, LABELLED_ONLY, hasLabelledImages, type LatentView, type TestSets } from '../testset.js';

export const EXPLANATION =
  'Where does the encoder put the digits it never saw in training? Each dot is one image of the ' +
  'test set, placed at the mean of q(z|x) and coloured by its label (the model was never told the ' +
  'labels). Images of one class gather in regions of their own, and similar classes border each ' +
  'other; the prior N(0, I) pulls the whole cloud towards the origin. With more than two latent ' +
  'dimensions the plot shows the means projected onto their first two principal directions ' +
  '(PCA), which keeps as much of their spread as two axes can. Point at a dot to see its image. ' +
  'A run trained with a mixture prior has K learnt Gaussians in place of N(0, I): crosses mark ' +
  'their means, and the codes gather around them rather than around the origin.';

export function latentScatter(sets: TestSets): Widget {
  const c = card('latent-scatter', 'MNIST · The test set in latent space', EXPLANATION);
  const plotBox = el('div', 'zbox');
  const legend = el('div', 'label-legend');
  const out = captionedImage(28, 28, 112, 'point at a dot', 'scatter-image');
  const note = el('p', 'small projection-note');
  const side = el('div', 'side');
  side.append(legend, out.figure, note);
  c.body.append(plotBox, side);

  let ctx: RunContext | null = null;
  let view: LatentView | null = null;
  let f: Frame | null = null;
  let ring: SVGCircleElement | null = null;

  const select = (i: number): void => {
    if (!view || !f || !ring) return;
    const t = view.test;
    const size = t.height * t.width * t.channels;
    ring.setAttribute('cx', String(f.x(view.xy[2 * i])));
    ring.setAttribute('cy', String(f.y(view.xy[2 * i + 1])));
    ring.setAttribute('visibility', 'visible');
    drawImage(out.canvas, t.images, t.height, t.width, t.channels, i * size);
    out.caption.textContent = `${t.split} #${i}: ${t.classNames[t.labels[i]] ?? t.labels[i]}`;
  };

  const hover = (e: PointerEvent): void => {
    if (!view || !f) return;
    const q = svgPoint(f.svg, e);
    let best = -1, bestD = 64; // within 8 px
    for (let i = 0; i < view.test.count; i++) {
      const dx = f.x(view.xy[2 * i]) - q.x, dy = f.y(view.xy[2 * i + 1]) - q.y;
      const dd = dx * dx + dy * dy;
      if (dd < bestD) {
        bestD = dd;
        best = i;
      }
    }
    if (best >= 0) select(best);
  };

  const draw = (v: LatentView, run: RunContext): void => {
    // a mixture prior: its component means, in the plot's coordinates (z₁, z₂ or PC 1, PC 2)
    const prior = run.model.prior?.getParams() ?? null;
    let meansXy: Float32Array | null = null;
    if (prior) {
      const K = prior.logits.length;
      const flat = Float32Array.from(prior.means.flat());
      if (v.pca) meansXy = project(v.pca, flat, K, 2);
      else if (v.latent === 2) meansXy = flat;
      else meansXy = Float32Array.from(prior.means.flatMap((m) => [m[0], 0]));
    }
    const r = zExtent(v.xy, meansXy ?? []);
    f = zFrame(320, r, v.latent === 2);
    if (prior && v.latent === 2) f.layer.querySelector('image.heatmap')?.setAttribute('href', mixtureHeatmapUrl(prior, -r, r));
    f.svg.dataset.prior = prior ? 'gmm' : 'standard';
    describe(f.svg, 'test images in latent space', `the encoder means of ${v.test.count} test images coloured by label${v.pca ? ' (a 2-D PCA projection)' : ''}`);
    if (v.latent !== 2) {
      // the axes are principal directions, not latent coordinates
      const labels = f.svg.querySelectorAll('.axis-label');
      if (labels[0]) labels[0].textContent = 'PC 1';
      if (labels[1]) labels[1].textContent = 'PC 2';
    }
    const dots = svgEl('g', { class: 'label-dots' }, f.layer);
    for (let i = 0; i < v.test.count; i++) {
      svgEl('circle', { cx: f.x(v.xy[2 * i]), cy: f.y(v.xy[2 * i + 1]), r: 2, fill: LABEL_COLOURS[v.test.labels[i] % LABEL_COLOURS.length], class: 'label-pt', 'data-label': v.test.labels[i] }, dots);
    }
    if (prior && meansXy) drawComponentMeans(f, meansXy, mixtureWeights(prior.logits));
    ring = svgEl('circle', { r: 5, class: 'hover-ring', visibility: 'hidden' }, f.svg);
    f.svg.addEventListener('pointermove', hover);
    f.svg.addEventListener('pointerdown', hover);
    plotBox.replaceChildren(f.svg);

    const counts = new Array<number>(v.test.classNames.length).fill(0);
    for (const l of v.test.labels) counts[l]++;
    legend.replaceChildren(...v.test.classNames.map((name, k) => {
      const item = el('span', 'legend-item');
      const sw = el('span', 'swatch');
      sw.style.background = LABEL_COLOURS[k % LABEL_COLOURS.length];
      item.append(sw, el('span', '', `${name} (${counts[k]})`));
      return item;
    }));
    if (v.pca) {
      const total = v.pca.variances.reduce((a, b) => a + b, 0);
      const kept = total > 0 ? (100 * (v.pca.variances[0] + v.pca.variances[1])) / total : 0;
      note.textContent = `The latent space has ${v.latent} dimensions: shown is a 2-D PCA projection of the ${v.test.count} means (PC 1 and PC 2 keep ${kept.toFixed(0)}% of their variance).`;
    } else if (v.latent === 2) {
      note.textContent = prior
        ? `${v.test.count} test images; axes are z₁ and z₂, over the density of the run's prior, a mixture of ${prior.logits.length} Gaussians (crosses: their means).`
        : `${v.test.count} test images; axes are z₁ and z₂, over the density of the prior N(0, I).`;
    } else {
      note.textContent = `The latent space has 1 dimension: z₁ along x.`;
    }
    if (prior && v.latent > 2) note.textContent += ` Crosses: the means of the run's ${prior.logits.length} prior components, projected the same way.`;
    select(0);
  };

  return {
    name: 'latent-scatter',
    root: c.root,
    async setRun(next) {
      ctx = next;
      if (!hasLabelledImages(next.run)) {
        c.notice(LABELLED_ONLY);
        markReady(c.root, next.run.name);
        return;
      }
      c.notice(null);
      const v = await sets.latent(next);
      if (ctx !== next) return;
      view = v;
      draw(v, next);
      markReady(c.root, next.run.name);
    },
  };
}
