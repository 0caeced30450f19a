/**
 * Widget 5, evolution: the training and validation loss per epoch, with play/pause and a
 * scrubber, and the encoding of the parameter grid in z space after the selected epoch (recorded
 * during training in the run's latent-grid.json).
 */
import type { RunContext, Widget } from '../app.js';
import { card, el, markReady } from '../ui/card.js';
import { lossChart, type Chart } from '../ui/chart.js';
import { drawGrid, zExtent } from '../ui/grid.js';
import { zFrame, type Frame } from '../ui/plot.js';
import { svgEl } from '../ui/svg.js';

export const EXPLANATION =
  'How the latent space took shape during training. Left: the −ELBO per image on the training and ' +
  'validation sets after every epoch (in nats; the Gaussian likelihood keeps its constant ' +
  '½·d·log 2π ≈ 2822.98 for 3×32×32 images, so a perfect reconstruction would still cost that ' +
  'much). Right: where the encoder put the 10×10 parameter grid after the selected epoch; epoch 0 ' +
  'is the untrained network. Press play or drag the slider.';

const FRAME_MS = 450;

export function evolution(): Widget {
  const c = card('evolution', '5 · Evolution during training', EXPLANATION);
  const chartBox = el('div', 'chartbox');
  const zBox = el('div', 'zbox');
  const controls = el('div', 'controls');
  const play = el('button', '', '▶ play');
  play.type = 'button';
  play.dataset.role = 'play';
  const slider = el('input');
  slider.type = 'range';
  slider.min = '0';
  slider.step = '1';
  slider.dataset.role = 'scrubber';
  const label = el('span', 'small mono');
  controls.append(play, slider, label);
  const left = el('div', 'column');
  left.append(chartBox, controls);
  c.body.append(left, zBox);

  let ctx: RunContext | null = null;
  let chart: Chart | null = null;
  let zf: Frame | null = null;
  let gridG: SVGGElement | null = null;
  let timer: number | null = null;

  const show = (i: number): void => {
    const grid = ctx?.latentGrid;
    if (!grid || !zf || !gridG || !chart) return;
    const snap = grid.epochs[i];
    slider.value = String(i);
    drawGrid(gridG, { n: grid.n, params: grid.params, points: snap.mu }, zf.x, zf.y);
    chart.mark(snap.epoch);
    const h = ctx?.run.history.find((r) => r.epoch === snap.epoch);
    label.textContent = snap.epoch === 0 ? 'epoch 0 (untrained)' : `epoch ${snap.epoch}${h ? ` · validation −ELBO ${h.validation.loss.toFixed(1)}` : ''}`;
  };
  const stop = (): void => {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
    play.textContent = '▶ play';
  };
  play.addEventListener('click', () => {
    const grid = ctx?.latentGrid;
    if (!grid) return;
    if (timer !== null) {
      stop();
      return;
    }
    let i = Number(slider.value);
    if (i >= grid.epochs.length - 1) i = -1; // at the end: start again
    play.textContent = '❚❚ pause';
    const step = (): void => {
      i++;
      show(i);
      if (i >= grid.epochs.length - 1) stop();
    };
    step();
    timer = window.setInterval(step, FRAME_MS);
  });
  slider.addEventListener('input', () => {
    stop();
    show(Number(slider.value));
  });

  return {
    name: 'evolution',
    root: c.root,
    setRun(next) {
      stop();
      ctx = next;
      const grid = next.latentGrid;
      c.notice(grid && grid.epochs.length > 0 ? null : 'no latent-grid.json in this run (it is recorded for faces runs with a 2-D latent space)');
      if (!grid || grid.epochs.length === 0) return;
      const h = next.run.history;
      const last = grid.epochs[grid.epochs.length - 1].epoch;
      chart = lossChart([
        { label: 'training', colour: '#2b6cb0', values: h.map((r) => [r.epoch, r.train.loss] as const) },
        { label: 'validation', colour: '#dd6b20', values: h.map((r) => [r.epoch, r.validation.loss] as const) },
      ], { width: 470, height: 260, yLabel: '−ELBO (nats)', xDomain: [0, Math.max(1, last)] });
      chartBox.replaceChildren(chart.svg);
      zf = zFrame(240, zExtent(...grid.epochs.map((e) => e.mu)), false);
      gridG = svgEl('g', { class: 'grid' }, zf.layer);
      zBox.replaceChildren(zf.svg);
      slider.max = String(grid.epochs.length - 1);
      show(grid.epochs.length - 1);
      markReady(c.root, next.run.name);
    },
  };
}
