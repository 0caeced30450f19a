/**
 * Widget 7, model comparison: the latent grids of several runs side by side and all their loss
 * curves in one chart; clicking a run makes it the active model of every widget on the page.
 */
import type { App, RunContext, Widget } from '../app.js';
import { card, el, markReady } from '../ui/card.js';
import { lossChart, type Series } from '../ui/chart.js';
import { drawGrid, zExtent } from '../ui/grid.js';
import { zFrame } from '../ui/plot.js';
import { svgEl } from '../ui/svg.js';
import type { RunSummary } from '../../src/server/runs.js';

export const EXPLANATION =
  'Train the same architecture several times with different seeds and the losses end up close ' +
  'together, yet each latent space has its own shape: the grid may be rotated, mirrored or bent ' +
  'differently. Each panel shows a run\'s encoding of the parameter grid at its best epoch; the ' +
  'chart shows every run\'s validation (solid) and training (dashed) −ELBO. Click a panel or a ' +
  'curve to load that run into all the widgets above.';

export const RUN_COLOURS = ['#2b6cb0', '#dd6b20', '#38a169', '#d53f8c', '#805ad5', '#319795', '#b7791f', '#e53e3e', '#4a5568'];

export function modelComparison(app: App): Widget {
  const c = card('model-comparison', '7 · Comparing models', EXPLANATION);
  const panels = el('div', 'panels');
  const chartBox = el('div', 'chartbox');
  c.body.append(panels, chartBox);
  const hint = el('p', 'small hint', 'No other run of this dataset and model is being served. Train more with other seeds (e.g. `vae train --seed 1 --out runs/faces-s1`) and serve them together to compare.');
  c.root.insertBefore(hint, c.body);
  const colour = (i: number): string => RUN_COLOURS[i % RUN_COLOURS.length];
  const panelOf = new Map<string, HTMLElement>();
  /** Runs whose losses and latent spaces compare with the active one: same data, same model shape. */
  const comparable = (a: RunSummary, b: RunSummary): boolean =>
    a.dataset.name === b.dataset.name && JSON.stringify(a.model) === JSON.stringify(b.model);
  let shown: RunSummary[] = [];

  const buildPanels = async (group: RunSummary[]): Promise<void> => {
    const grids = await Promise.all(group.map((r) => app.latentGrid(r).catch(() => null)));
    const snaps = grids.map((g, i) => {
      if (!g || g.epochs.length === 0) return null;
      const best = group[i].bestEpoch;
      return { g, mu: (g.epochs.find((e) => e.epoch === best) ?? g.epochs[g.epochs.length - 1]).mu };
    });
    const r = zExtent(...snaps.filter((s) => s !== null).map((s) => s.mu));
    panelOf.clear();
    panels.replaceChildren();
    group.forEach((run, i) => {
      const panel = el('button', 'panel');
      panel.type = 'button';
      panel.dataset.run = run.name;
      panel.style.setProperty('--run-colour', colour(i));
      const s = snaps[i];
      if (s) {
        const f = zFrame(110, r, false);
        f.svg.classList.add('mini');
        drawGrid(svgEl('g', { class: 'grid' }, f.layer), { n: s.g.n, params: s.g.params, points: s.mu }, f.x, f.y, { radius: 1.8 });
        panel.append(f.svg);
      } else {
        panel.append(el('div', 'no-grid', run.hasModel ? 'no latent grid' : 'not trained yet'));
      }
      const last = run.history[run.history.length - 1];
      const title = el('div', 'panel-title');
      title.append(el('span', 'swatch-line'), el('span', '', run.name));
      panel.append(title, el('div', 'small', last ? `seed ${run.training.seed} · ${run.epochsDone} epochs` : 'no epochs yet'), el('div', 'small', last ? `validation −ELBO ${last.validation.loss.toFixed(1)}` : ''));
      panel.disabled = !run.hasModel;
      panel.addEventListener('click', () => void app.activate(run.name));
      panelOf.set(run.name, panel);
      panels.append(panel);
    });
  };

  const drawChart = (group: RunSummary[], active: string): void => {
    const series: Series[] = [];
    group.forEach((run, i) => {
      const on = run.name === active;
      const activate = (): void => void app.activate(run.name);
      series.push({ label: run.name, colour: colour(i), width: on ? 3 : 1.4, values: run.history.map((h) => [h.epoch, h.validation.loss] as const), onClick: activate, className: on ? 'active' : '' });
      series.push({ label: `${run.name} (training)`, colour: colour(i), width: on ? 2 : 1, dash: '4 3', values: run.history.map((h) => [h.epoch, h.train.loss] as const), onClick: activate });
    });
    const chart = lossChart(series, { width: 380, height: 250, yLabel: '−ELBO (nats)', legend: false });
    chartBox.replaceChildren(chart.svg);
  };

  return {
    name: 'model-comparison',
    root: c.root,
    async setRun(ctx: RunContext) {
      const group = app.runs.filter((r) => comparable(r, ctx.run));
      if (group.map((r) => r.name).join() !== shown.map((r) => r.name).join()) {
        shown = group;
        await buildPanels(group);
      }
      for (const [name, p] of panelOf) p.classList.toggle('active', name === ctx.run.name);
      drawChart(group, ctx.run.name);
      hint.hidden = group.length > 1;
      markReady(c.root, ctx.run.name);
    },
  };
}
