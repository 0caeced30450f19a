/**
 * Widget 7, model comparison: the latent grids of several runs side by side (up to 3×3 small
 * multiples) and all their loss curves in one chart. The panels follow the chart's epoch (play,
 * slider, or a drag along the chart); hovering a panel or a curve names the run and outlines both;
 * clicking one makes that run the active model of every widget on the page.
 */
import type { App, RunContext, Widget } from '../app.js';
import { card, el, markReady, plural } from '../ui/card.js';
import { lossChart, type Chart, type Series } from '../ui/chart.js';
import { drawGrid, zExtent } from '../ui/grid.js';
import { player } from '../ui/player.js';
import { zFrame, type Frame } from '../ui/plot.js';
import { describe, svgEl } from '../ui/svg.js';
import type { RunSummary } from '../../src/server/runs.js';
import type { LatentGridSnapshot } from '../../src/train/run.js';

export const EXPLANATION =
  'Train the same architecture several times with different seeds and the losses end up close ' +
  'together, yet each latent space has its own shape: the grid may be rotated, mirrored or bent ' +
  'differently. Each panel shows a run\'s encoding of the parameter grid at the epoch chosen under ' +
  'the chart (play it to watch them take shape together); the chart shows every run\'s validation ' +
  '(solid) and training (dashed) −ELBO. Point at a panel or a curve to see which run it is; click ' +
  'one to load that run into all the widgets above.';

export const RUN_COLOURS = ['#2b6cb0', '#dd6b20', '#38a169', '#d53f8c', '#805ad5', '#319795', '#b7791f', '#e53e3e', '#4a5568'];

/** factors.json of a run (written by the factor analysis): how well z explains size and hue. */
interface FactorScores {
  r2?: { size?: number; hue?: number };
  mig?: number;
  dci?: { disentanglement?: number; completeness?: number; informativeness?: number };
}
interface Factors { train?: FactorScores; validation?: FactorScores }

/** One short line of a run's factor scores (validation's when there are), or '' without any. */
export function factorLine(f: Factors | null): string {
  const s = f?.validation ?? f?.train;
  if (!s) return '';
  const n = (v: number | undefined): string | null => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(2) : null);
  const parts = [
    n(s.r2?.size) !== null || n(s.r2?.hue) !== null ? `R² size ${n(s.r2?.size) ?? '–'}, hue ${n(s.r2?.hue) ?? '–'}` : null,
    n(s.mig) !== null ? `MIG ${n(s.mig)}` : null,
    n(s.dci?.disentanglement) !== null ? `DCI ${n(s.dci?.disentanglement)}/${n(s.dci?.completeness) ?? '–'}/${n(s.dci?.informativeness) ?? '–'}` : null,
  ].filter((x) => x !== null);
  return parts.length ? `${parts.join(' · ')}${f?.validation ? ' (validation)' : ' (training)'}` : '';
}

/** A run's factors.json when the server lists it (`urls.factors`), else null; never throws. */
async function fetchFactors(run: RunSummary): Promise<Factors | null> {
  const url = run.urls.factors;
  if (typeof url !== 'string' || !url) return null;
  try {
    const res = await fetch(url);
    return res.ok ? ((await res.json()) as Factors) : null;
  } catch {
    return null;
  }
}

/** At most this many panels (the article's 3×3 small multiples). */
const MAX_PANELS = 9;

interface Panel {
  run: RunSummary;
  button: HTMLButtonElement;
  grid: LatentGridSnapshot | null;
  frame: Frame | null;
  gridG: SVGGElement | null;
  caption: HTMLElement;
}

export function modelComparison(app: App): Widget {
  const c = card('model-comparison', '7 · Comparing models', EXPLANATION);
  const panelsBox = el('div', 'panels');
  const chartBox = el('div', 'chartbox');
  const right = el('div', 'column');
  const hoverName = el('p', 'small hover-run', ' ');
  hoverName.setAttribute('aria-live', 'polite');
  c.body.append(panelsBox, right);
  const hint = el('p', 'small hint', 'No other run of this dataset and model is being served. Train more with other seeds (e.g. `vae train --seeds 3 --out runs/faces`) and serve them together to compare.');
  c.root.insertBefore(hint, c.body);
  const colour = (i: number): string => RUN_COLOURS[i % RUN_COLOURS.length];
  /** Runs whose losses and latent spaces compare with the active one: same data, same model shape. */
  const comparable = (a: RunSummary, b: RunSummary): boolean =>
    a.dataset.name === b.dataset.name && JSON.stringify(a.model) === JSON.stringify(b.model);
  let shown: RunSummary[] = [];
  let panels: Panel[] = [];
  let chart: Chart | null = null;
  /** Frames of the scrubber: every epoch from 0 (or 1 without grids) to the longest run's last. */
  let epochs: number[] = [];

  const showEpoch = (epoch: number): void => {
    chart?.mark(epoch);
    for (const p of panels) {
      const snaps = p.grid?.epochs ?? [];
      if (!p.frame || !p.gridG || snaps.length === 0) continue;
      // a run that ended earlier keeps its last snapshot
      const snap = snaps.filter((s) => s.epoch <= epoch).pop() ?? snaps[0];
      drawGrid(p.gridG, { n: p.grid!.n, params: p.grid!.params, points: snap.mu }, p.frame.x, p.frame.y, { radius: 1.8 });
      p.gridG.dataset.epoch = String(snap.epoch);
      const h = p.run.history.find((r) => r.epoch === snap.epoch);
      p.caption.textContent = h ? `epoch ${snap.epoch} · validation −ELBO ${h.validation.loss.toFixed(1)}` : `epoch ${snap.epoch}${snap.epoch === 0 ? ' (untrained)' : ''}`;
    }
    c.root.dataset.epoch = String(epoch);
  };

  const pl = player({
    name: 'epoch of the compared runs',
    onShow(i) {
      if (i < epochs.length) {
        showEpoch(epochs[i]);
        pl.label.textContent = `epoch ${epochs[i]}`;
      }
    },
  });
  right.append(chartBox, pl.root, hoverName);

  const hover = (name: string | null): void => {
    for (const p of panels) p.button.classList.toggle('hot', p.run.name === name);
    chart?.highlight(name);
    hoverName.textContent = name ? `run ${name}` : ' ';
    c.root.dataset.hovered = name ?? '';
  };

  const buildPanels = async (group: RunSummary[]): Promise<void> => {
    const [grids, factors] = await Promise.all([
      Promise.all(group.map((r) => app.latentGrid(r).catch(() => null))),
      Promise.all(group.map(fetchFactors)),
    ]);
    const all = grids.flatMap((g) => (g ? g.epochs.map((e) => e.mu) : []));
    const r = zExtent(...all);
    panels = group.map((run, i) => {
      const button = el('button', 'panel');
      button.type = 'button';
      button.dataset.run = run.name;
      button.style.setProperty('--run-colour', colour(i));
      button.setAttribute('aria-label', `make ${run.name} the active run`);
      const g = grids[i] && grids[i].epochs.length > 0 ? grids[i] : null;
      let frame: Frame | null = null;
      let gridG: SVGGElement | null = null;
      if (g) {
        frame = zFrame(110, r, false);
        frame.svg.classList.add('mini');
        describe(frame.svg, `latent grid of ${run.name}`, 'the encoded 10×10 parameter grid at the chosen epoch');
        gridG = svgEl('g', { class: 'grid' }, frame.layer);
        button.append(frame.svg);
      } else {
        if (!run.hasModel) button.append(el('div', 'no-grid', 'not trained yet'));
      }
      const title = el('div', 'panel-title');
      title.append(el('span', 'swatch-line'), el('span', '', run.name));
      const caption = el('div', 'small panel-epoch', '');
      const last = run.history[run.history.length - 1];
      button.append(title, el('div', 'small', last ? `seed ${run.training.seed} · ${plural(run.epochsDone, 'epoch')}` : 'no epochs yet'), caption);
      const fl = factorLine(factors[i]);
      if (fl) {
        const line = el('div', 'small factors', fl);
        line.title = 'how well the latent code explains the generating factors (factors.json): R² of size and hue predicted from z, mutual information gap, DCI disentanglement/completeness/informativeness';
        button.append(line);
      }
      if (!g) caption.textContent = last ? `validation −ELBO ${last.validation.loss.toFixed(1)}` : '';
      button.disabled = !run.hasModel;
      button.addEventListener('click', () => void app.activate(run.name));
      button.addEventListener('pointerenter', () => hover(run.name));
      button.addEventListener('pointerleave', () => hover(null));
      button.addEventListener('focus', () => hover(run.name));
      button.addEventListener('blur', () => hover(null));
      return { run, button, grid: g, frame, gridG, caption };
    });
    panelsBox.replaceChildren(...panels.map((p) => p.button));
    panelsBox.classList.toggle('no-grids', !grids.some((g) => g && g.epochs.length > 0));
    const withGrid = grids.some((g) => g && g.epochs.length > 0);
    const lastEpoch = Math.max(0, ...group.map((run) => run.history[run.history.length - 1]?.epoch ?? 0));
    epochs = Array.from({ length: lastEpoch + (withGrid ? 1 : 0) }, (_, k) => (withGrid ? k : k + 1));
  };

  const drawChart = (group: RunSummary[], active: string): void => {
    const series: Series[] = [];
    group.forEach((run, i) => {
      const on = run.name === active;
      const activate = (): void => void app.activate(run.name);
      series.push({ label: run.name, key: run.name, colour: colour(i), width: on ? 3 : 1.4, values: run.history.map((h) => [h.epoch, h.validation.loss] as const), onClick: activate, className: on ? 'active' : '' });
      series.push({ label: `${run.name} (training)`, key: run.name, colour: colour(i), width: on ? 2 : 1, dash: '4 3', values: run.history.map((h) => [h.epoch, h.train.loss] as const), onClick: activate });
    });
    chart = lossChart(series, {
      width: 380, height: 250, yLabel: '−ELBO (nats)', legend: false, name: 'loss curves of the compared runs',
      xDomain: [epochs[0] ?? 0, Math.max(1, epochs[epochs.length - 1] ?? 1)],
      onHover: (key) => hover(key),
      onScrub: (epoch) => {
        const i = epochs.indexOf(epoch);
        if (i >= 0) pl.show(i);
      },
    });
    chartBox.replaceChildren(chart.svg);
  };

  return {
    name: 'model-comparison',
    root: c.root,
    async setRun(ctx: RunContext) {
      const group = app.runs.filter((r) => comparable(r, ctx.run)).slice(0, MAX_PANELS);
      if (!group.some((r) => r.name === ctx.run.name)) group[group.length - 1] = ctx.run;
      if (group.map((r) => r.name).join() !== shown.map((r) => r.name).join()) {
        shown = group;
        await buildPanels(group);
      }
      for (const p of panels) {
        p.button.classList.toggle('active', p.run.name === ctx.run.name);
        p.button.setAttribute('aria-pressed', String(p.run.name === ctx.run.name));
      }
      drawChart(group, ctx.run.name);
      pl.reset(epochs.length, epochs.length - 1);
      hint.hidden = group.length > 1;
      markReady(c.root, ctx.run.name);
    },
  };
}
