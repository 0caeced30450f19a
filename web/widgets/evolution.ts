/**
 * Widget 5, evolution: the training and validation loss per epoch, with play/pause and a
 * scrubber (the slider, or a drag along the chart), and the encoding of the parameter grid in z
 * space after the selected epoch (recorded during training in the run's latent-grid.json). It plays
 * in a loop when the page loads. Runs without a parameter grid (MNIST-like) get the curves and the
 * scrubber alone.
 */
import type { RunContext, Widget } from '../app.js';
import { card, el, markReady } from '../ui/card.js';
import { lossChart, type Chart } from '../ui/chart.js';
import { drawGrid, zExtent } from '../ui/grid.js';
import { player } from '../ui/player.js';
import { zFrame, type Frame } from '../ui/plot.js';
import { describe, svgEl } from '../ui/svg.js';
import { getIndex, setParam } from '../urlState.js';
import { likelihoodNote, type ModelConfig } from '../../src/models/config.js';

/** What the explanation needs of a run's model (a trained model's config or an ONNX run's). */
type ImageModel = Pick<ModelConfig, 'height' | 'width' | 'channels' | 'likelihood'>;

/** The explanation, with what the run's losses owe to its likelihood once a run is loaded. */
export function explanation(model: ImageModel | null): string {
  const note = model ? ` ${likelihoodNote(model).replace(/^[a-z]/, (c) => c.toUpperCase())}.` : '';
  return 'How the latent space took shape during training. The chart: the −ELBO per image on the training and ' +
    `validation sets after every epoch, in nats.${note} The plot beside it (below, on a narrow screen): ` +
    'where the encoder put the 10×10 parameter grid after the selected epoch; epoch 0 ' +
    'is the untrained network. It plays in a loop; pause it, drag the slider, or drag along the chart. ' +
    'On a long run the chart cuts off the first epochs at its top, so the later ones stay readable, and says which.';
}

/** Whether the page should not animate by itself (the reader asked for reduced motion). */
const reducedMotion = (): boolean => typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;

export function evolution(): Widget {
  const c = card('evolution', '5 · Evolution during training', explanation(null));
  const chartBox = el('div', 'chartbox');
  const zBox = el('div', 'zbox');
  const left = el('div', 'column');
  const noGrid = el('p', 'small no-grid-note', 'This run has no latent grid (it is recorded for faces runs with a 2-D latent space): the loss curves and the scrubber only.');
  c.body.append(left, zBox);

  let ctx: RunContext | null = null;
  let chart: Chart | null = null;
  let zf: Frame | null = null;
  let gridG: SVGGElement | null = null;
  /** The epoch of each frame: the grid's snapshots (0 = untrained …), else the history's epochs. */
  let epochs: number[] = [];
  let firstRun = true;

  const p = player({
    name: 'epoch shown',
    onShow(i) {
      const run = ctx;
      if (!run || !chart || i >= epochs.length) return;
      const epoch = epochs[i];
      const grid = run.latentGrid;
      const snap = grid?.epochs.find((e) => e.epoch === epoch);
      if (grid && snap && zf && gridG) drawGrid(gridG, { n: grid.n, params: grid.params, points: snap.mu }, zf.x, zf.y);
      chart.mark(epoch);
      const h = run.run.history.find((r) => r.epoch === epoch);
      p.label.textContent = epoch === 0 ? 'epoch 0 (untrained)' : `epoch ${epoch}${h ? ` · validation −ELBO ${h.validation.loss.toFixed(1)}` : ''}`;
      c.root.dataset.epoch = String(epoch);
    },
    onSettle(i) {
      setParam('epoch', epochs[i] !== undefined ? String(epochs[i]) : null);
    },
  });
  left.append(chartBox, p.root, noGrid);

  return {
    name: 'evolution',
    root: c.root,
    setRun(next) {
      const wasPlaying = p.playing();
      p.stop();
      ctx = next;
      c.explain(explanation(next.run.model));
      const grid = next.latentGrid && next.latentGrid.epochs.length > 0 ? next.latentGrid : null;
      const h = next.run.history;
      epochs = grid ? grid.epochs.map((e) => e.epoch) : h.map((r) => r.epoch);
      c.notice(epochs.length > 0 ? null : 'this run has no finished epoch yet');
      if (epochs.length === 0) return;
      const last = epochs[epochs.length - 1];
      chart = lossChart([
        { label: 'training', colour: '#2b6cb0', values: h.map((r) => [r.epoch, r.train.loss] as const) },
        { label: 'validation', colour: '#dd6b20', values: h.map((r) => [r.epoch, r.validation.loss] as const) },
      ], {
        width: 470, height: 260, yLabel: '−ELBO (nats)', xDomain: [grid ? 0 : Math.min(...epochs), Math.max(1, last)],
        name: `loss curves of ${next.run.name}`,
        // a drag along the chart scrubs to the nearest recorded epoch
        onScrub: (epoch) => {
          let best = 0;
          epochs.forEach((e, i) => {
            if (Math.abs(e - epoch) < Math.abs(epochs[best] - epoch)) best = i;
          });
          p.show(best);
        },
      });
      chartBox.replaceChildren(chart.svg);
      if (grid) {
        zf = zFrame(240, zExtent(...grid.epochs.map((e) => e.mu)), false);
        describe(zf.svg, 'the parameter grid in latent space at the selected epoch', 'the encoder means of the 10×10 size × hue grid');
        gridG = svgEl('g', { class: 'grid' }, zf.layer);
        zBox.replaceChildren(zf.svg);
        zBox.hidden = false;
      } else {
        zf = null;
        gridG = null;
        zBox.replaceChildren();
        zBox.hidden = true;
      }
      noGrid.hidden = grid !== null;
      // the address's epoch on the first load; else the last epoch, then play from the start
      const wanted = firstRun ? getIndex('epoch') : null;
      const at = wanted !== null ? epochs.indexOf(wanted) : -1;
      p.reset(epochs.length, at >= 0 ? at : epochs.length - 1);
      if ((firstRun && at < 0 && !reducedMotion()) || wasPlaying) p.start();
      firstRun = false;
      markReady(c.root, next.run.name);
    },
  };
}
