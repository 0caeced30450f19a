/**
 * Widget 8, training in the page: pick a dataset, model, epochs and seed, press Train, and a Web
 * Worker (web/training/trainWorker.ts) trains with the same Trainer as the CLI while the loss
 * curves and the latent grid update live. When it ends, the run joins the page and every widget
 * switches to it. A run held in the page can be downloaded as one NAME.vaerun.json file and
 * loaded back (format in web/training/runFile.ts).
 */
import type { App, RunContext, Widget } from '../app.js';
import { LoadedModel } from '../model.js';
import { card, el, markReady, plural } from '../ui/card.js';
import { lossChart } from '../ui/chart.js';
import { drawGrid, zExtent } from '../ui/grid.js';
import { zFrame } from '../ui/plot.js';
import { describe, svgEl } from '../ui/svg.js';
import { describeModel, MLP_400_20, SEED000_CONV, type ModelConfig } from '../../src/models/config.js';
import type { DatasetSpec } from '../../src/data/load.js';
import type { EpochRecord } from '../../src/train/history.js';
import type { LatentGridSnapshot } from '../../src/train/run.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/train/trainer.js';
import { collapseWarning } from '../../src/train/collapse.js';
import { encodeTestSet } from '../../src/server/testsetFormat.js';
import { loadMnistSubset, MNIST_SUBSET_PATH } from '../data/mnistSubset.js';
import type { FromWorker, ModelFiles, StartMessage, TrainDataset } from '../training/protocol.js';
import { thin } from '../training/thin.js';
import { decodeRunFile, encodeRunFile, localSummary, runFileName, RunFileError, safeRunName, type LocalRun } from '../training/runFile.js';

export const EXPLANATION =
  'Train a VAE yourself, in this page. Choose the data (the faces dataset, rendered here by the ' +
  'same code that made the training data, or 5000 MNIST digits shipped with the page), a model, ' +
  'the number of epochs and a seed, and press Train. A background worker runs the same training ' +
  'loop as the command line (Adam, minibatches of 64, −ELBO in nats per image) on WebAssembly, so ' +
  'the page stays usable: the light line is the loss of every minibatch, the dots are the ' +
  'training and validation −ELBO after each epoch, and for faces the square shows where the ' +
  'encoder puts the parameter grid. When training ends, the new model becomes the active run of ' +
  'every widget above. Download keeps a run as one file; Load brings such a file back.';

interface Preset {
  label: string;
  model: ModelConfig;
}

/** Models offered per dataset: conv for the faces (seed 000), an MLP with a 2-D latent for MNIST. */
export const PRESETS: Record<TrainDataset, Record<string, Preset>> = {
  faces: {
    conv: { label: 'conv, seed 000 (32/64/128)', model: SEED000_CONV },
    'conv-small': { label: 'conv, small (16/32/64)', model: { ...SEED000_CONV, filters: [16, 32, 64] } },
  },
  mnist: {
    'mlp-2d': { label: 'MLP 784-400-2', model: { ...MLP_400_20, latent: 2 } },
    'mlp-20': { label: 'MLP 784-400-20', model: MLP_400_20 },
  },
};

const DATASET_LABELS: Record<TrainDataset, string> = { faces: 'faces (2000 rendered images)', mnist: 'MNIST subset (5000 digits)' };

/** m:ss */
const clock = (s: number): string => (Number.isFinite(s) ? `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}` : '–');

function select<T extends string>(role: string, options: Record<T, string>): HTMLSelectElement {
  const s = el('select');
  s.dataset.role = role;
  for (const [value, label] of Object.entries(options) as [T, string][]) {
    const o = el('option', '', label);
    o.value = value;
    s.append(o);
  }
  return s;
}

function numberInput(role: string, value: string, min: number, max: number, placeholder = ''): HTMLInputElement {
  const i = el('input');
  i.type = 'number';
  i.dataset.role = role;
  i.min = String(min);
  i.max = String(max);
  i.step = '1';
  i.value = value;
  i.placeholder = placeholder;
  return i;
}

function field(label: string, input: HTMLElement): HTMLLabelElement {
  const l = el('label', 'field');
  l.append(el('span', '', label), input);
  return l;
}

/** The labelled MNIST test images for the MNIST views (VTS1 layout), as a blob URL; loaded once. */
let mnistTestUrl: Promise<string | null> | null = null;
function mnistTestSetUrl(): Promise<string | null> {
  mnistTestUrl ??= loadMnistSubset().then((s) => {
    const bytes = encodeTestSet({
      count: s.test.count, height: s.height, width: s.width, channels: 1,
      classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], split: 'test', dataset: 'mnist',
      pixels: s.test.pixels, labels: s.test.labels,
    });
    return URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  }).catch(() => null);
  return mnistTestUrl;
}

export function training(app: App): Widget {
  const c = card('training', '8 · Training in the page', EXPLANATION);
  c.root.dataset.state = 'idle';

  // ---- controls ----
  const dataset = select<TrainDataset>('dataset', DATASET_LABELS);
  const model = el('select');
  model.dataset.role = 'model';
  const epochs = numberInput('epochs', '10', 1, 500);
  const seed = numberInput('seed', '0', 0, 2 ** 31 - 1);
  const limit = numberInput('train-limit', '', 1, 100000, 'all');
  limit.title = 'train on the first N training images only (quicker); empty: all';
  const trainBtn = el('button', 'primary', 'Train');
  trainBtn.type = 'button';
  trainBtn.dataset.role = 'train';
  const stopBtn = el('button', '', 'Stop');
  stopBtn.type = 'button';
  stopBtn.dataset.role = 'stop';
  stopBtn.disabled = true;
  const fillModels = (): void => {
    model.replaceChildren();
    for (const [value, p] of Object.entries(PRESETS[dataset.value as TrainDataset])) {
      const o = el('option', '', p.label);
      o.value = value;
      o.title = describeModel(p.model);
      model.append(o);
    }
  };
  fillModels();
  dataset.addEventListener('change', fillModels);
  const form = el('div', 'train-form');
  form.append(field('data', dataset), field('model', model), field('epochs', epochs), field('seed', seed), field('training images', limit), trainBtn, stopBtn);

  // ---- progress ----
  const progress = el('progress');
  progress.dataset.role = 'progress';
  progress.max = 1;
  progress.value = 0;
  const progressText = el('span', 'small mono');
  progressText.dataset.role = 'progress-text';
  const status = el('p', 'train-status');
  status.dataset.role = 'training-status';
  status.setAttribute('aria-live', 'polite');
  // the posterior-collapse warning (src/train/collapse.ts), kept after the run ends, cleared by the next Train
  const warning = el('p', 'train-warning');
  warning.dataset.role = 'training-warning';
  warning.setAttribute('role', 'alert');
  warning.hidden = true;
  const progressRow = el('div', 'train-progress');
  progressRow.append(progress, progressText);
  progressRow.hidden = true;
  progress.setAttribute('aria-label', 'training progress');

  // ---- live views ----
  const chartBox = el('div', 'chartbox');
  chartBox.dataset.role = 'live-chart';
  const zBox = el('div', 'zbox');
  zBox.dataset.role = 'live-grid';

  // ---- run files ----
  const downloadBtn = el('button', '', 'Download run file');
  downloadBtn.type = 'button';
  downloadBtn.dataset.role = 'download';
  downloadBtn.disabled = true;
  downloadBtn.title = 'saves the active run (trained or loaded in this page) as NAME.vaerun.json';
  const fileInput = el('input');
  fileInput.type = 'file';
  fileInput.accept = '.json,application/json';
  fileInput.dataset.role = 'load-file';
  fileInput.className = 'visually-hidden';
  const loadLabel = el('label', 'button-like', 'Load run file…');
  loadLabel.append(fileInput);
  const files = el('div', 'train-files');
  files.append(downloadBtn, loadLabel);

  const left = el('div', 'column');
  left.append(form, progressRow, status, warning, chartBox, files);
  c.body.append(left, zBox);

  // ---- state ----
  const locals = new Map<string, LocalRun>();
  let worker: Worker | null = null;
  let active: RunContext | null = null;

  const say = (msg: string, kind: 'info' | 'error' = 'info'): void => {
    status.textContent = msg;
    status.classList.toggle('error', kind === 'error');
  };

  interface Session {
    name: string;
    dataset: TrainDataset;
    model: ModelConfig;
    options: typeof DEFAULT_TRAIN_OPTIONS;
    spec: DatasetSpec | null;
    backend: string;
    backendNote: string | null;
    stepsPerEpoch: number;
    paramCounts: { encoder: number; decoder: number };
    history: EpochRecord[];
    steps: [number, number][];
    grid: LatentGridSnapshot | null;
    best: { epoch: number; encoder: ModelFiles; decoder: ModelFiles } | null;
    started: number;
    createdAt: string;
  }
  let session: Session | null = null;

  let drawPending = false;
  const drawChart = (): void => {
    drawPending = false;
    const s = session;
    if (!s) return;
    const chart = lossChart([
      { label: 'minibatch', colour: '#a0aec0', width: 1, values: thin(s.steps), className: 'steps' },
      { label: 'training', colour: '#2b6cb0', values: s.history.map((h) => [h.epoch, h.train.loss] as const), className: 'train' },
      { label: 'validation', colour: '#dd6b20', values: s.history.map((h) => [h.epoch, h.validation.loss] as const), className: 'validation' },
    ], { width: 470, height: 240, yLabel: '−ELBO (nats)', xDomain: [0, s.options.epochs], name: 'live training loss' });
    // epoch means as dots too (one epoch is one point, which a line alone would not show)
    for (const [cls, colour, pick] of [['train', '#2b6cb0', (h: EpochRecord) => h.train.loss], ['validation', '#dd6b20', (h: EpochRecord) => h.validation.loss]] as const) {
      for (const h of s.history) svgEl('circle', { cx: chart.x(h.epoch), cy: chart.y(pick(h)), r: 3.2, fill: colour, class: `epoch-dot ${cls}` }, chart.plot);
    }
    chartBox.replaceChildren(chart.svg);
    chartBox.dataset.steps = String(s.steps.length);
    chartBox.dataset.epochs = String(s.history.length);
  };
  const scheduleChart = (): void => {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(drawChart);
  };

  const drawLiveGrid = (): void => {
    const g = session?.grid;
    if (!g || g.epochs.length === 0) {
      zBox.replaceChildren();
      return;
    }
    const last = g.epochs[g.epochs.length - 1];
    const f = zFrame(200, zExtent(last.mu), false);
    describe(f.svg, 'live latent grid', `the encoded parameter grid after epoch ${last.epoch}`);
    drawGrid(svgEl('g', { class: 'grid' }, f.layer), { n: g.n, params: g.params, points: last.mu }, f.x, f.y, { radius: 2 });
    const cap = el('div', 'small', last.epoch === 0 ? 'latent grid, untrained' : `latent grid after epoch ${last.epoch}`);
    zBox.replaceChildren(f.svg, cap);
    zBox.dataset.epoch = String(last.epoch);
  };

  const setRunning = (on: boolean): void => {
    trainBtn.disabled = on;
    stopBtn.disabled = !on;
    for (const i of [dataset, model, epochs, seed, limit]) i.disabled = on;
    c.root.dataset.state = on ? 'training' : 'idle';
  };

  /** Adds a run held in memory to the page and makes it the active run of every widget. */
  const adopt = async (run: LocalRun): Promise<void> => {
    const summary = localSummary(run);
    if (run.info.dataset.name === 'mnist' && run.info.model.height === 28 && run.info.model.width === 28 && run.info.model.channels === 1) {
      summary.urls.testset = await mnistTestSetUrl();
    }
    // fails here (with a message) rather than in every widget if the models do not fit the config
    const check = await LoadedModel.fromArtifacts(summary, run.encoder, run.decoder);
    check.dispose();
    locals.set(summary.name, run);
    app.addLocalRun(summary, { encoder: run.encoder, decoder: run.decoder }, run.latentGrid);
    await app.activate(summary.name);
  };

  /** Clears the live views of a finished or abandoned session (nothing stale stays on screen). */
  const clearSession = (): void => {
    session = null;
    progressRow.hidden = true;
    progress.value = 0;
    progressText.textContent = '';
    chartBox.replaceChildren();
    delete chartBox.dataset.steps;
    delete chartBox.dataset.epochs;
    zBox.replaceChildren();
    delete zBox.dataset.epoch;
  };

  const finish = async (how: 'done' | 'stopped' | 'error', error?: string): Promise<void> => {
    worker?.terminate();
    worker = null;
    setRunning(false);
    const s = session;
    if (!s) return;
    // stopped: the progress row would show a step that never finished
    if (how !== 'done') progressRow.hidden = true;
    if (how === 'error') {
      say(`training failed: ${error ?? 'unknown error'}`, 'error');
      c.root.dataset.state = 'error';
      if (!s.best) return;
    }
    if (!s.best || !s.spec) {
      if (how !== 'error') clearSession();
      say('stopped before the first epoch finished: there is no model to keep');
      return;
    }
    const last = s.history[s.history.length - 1];
    const run: LocalRun = {
      info: {
        name: s.name, dataset: s.spec, model: s.model, training: s.options, history: s.history, bestEpoch: s.best.epoch,
        epochsDone: last.epoch, status: how === 'done' ? 'done' : 'interrupted', backend: s.backend, createdAt: s.createdAt,
        paramCounts: s.paramCounts,
      },
      latentGrid: s.grid,
      encoder: s.best.encoder,
      decoder: s.best.decoder,
    };
    try {
      await adopt(run);
    } catch (e) {
      say(`the trained run could not be loaded: ${e instanceof Error ? e.message : String(e)}`, 'error');
      return;
    }
    const secs = (performance.now() - s.started) / 1000;
    if (how !== 'error') {
      say(`${how === 'done' ? 'finished' : `stopped after epoch ${last.epoch}`}: run '${s.name}' (best epoch ${s.best.epoch}, validation −ELBO ${s.history.find((h) => h.epoch === s.best!.epoch)!.validation.loss.toFixed(1)}, ${clock(secs)} on ${s.backend}) is now the active model of every widget${s.backendNote ? `; ${s.backendNote}` : ''}`);
    }
    c.root.dataset.state = how === 'error' ? 'error' : 'finished';
    c.root.dataset.lastRun = s.name;
  };

  const onMessage = (m: FromWorker): void => {
    const s = session;
    if (!s) return;
    switch (m.type) {
      case 'backend':
        s.backend = m.backend;
        s.backendNote = m.note;
        c.root.dataset.trainBackend = m.backend;
        say(m.note ? `training on ${m.backend}: ${m.note} (much slower)` : `training on ${m.backend}…`, m.note ? 'error' : 'info');
        break;
      case 'data':
        s.spec = m.spec;
        s.stepsPerEpoch = m.stepsPerEpoch;
        s.paramCounts = m.paramCounts;
        if (m.grid) s.grid = { n: m.grid.n, params: m.grid.params, epochs: [m.grid.initial] };
        s.started = performance.now();
        say(`training on ${s.backend}${s.backendNote ? ` (${s.backendNote})` : ''}: ${m.train} training and ${m.validation} validation images, ${m.stepsPerEpoch} steps per epoch, ${(m.paramCounts.encoder + m.paramCounts.decoder).toLocaleString('en')} parameters`);
        drawLiveGrid();
        scheduleChart();
        break;
      case 'step': {
        s.steps.push([m.epoch - 1 + m.step / m.steps, m.loss]);
        const done = (m.epoch - 1) * m.steps + m.step;
        const total = s.options.epochs * m.steps;
        const elapsed = (performance.now() - s.started) / 1000;
        progress.value = done / total;
        progressText.textContent = `epoch ${m.epoch}/${s.options.epochs} · step ${m.step}/${m.steps} · loss ${m.loss.toFixed(1)} · ${Math.round(m.imagesPerSecond)} images/s · ETA ${clock((elapsed / done) * (total - done))}`;
        scheduleChart();
        break;
      }
      case 'epoch':
        s.history.push(m.record);
        if (m.grid && s.grid) s.grid.epochs.push(m.grid);
        if (m.best) s.best = { epoch: m.record.epoch, ...m.best };
        if (warning.hidden) {
          // the page trains with β = 1 and no warm-up; the advice names the command line's options
          const w = collapseWarning(m.record.epoch, m.record.train.kl, m.record.epoch * s.stepsPerEpoch, s.model, s.options);
          if (w) {
            warning.textContent = `warning: ${w} (options of the command line's vae train)`;
            warning.hidden = false;
          }
        }
        drawLiveGrid();
        scheduleChart();
        break;
      case 'done':
        progress.value = 1;
        void finish('done');
        break;
      case 'error':
        void finish('error', m.message);
        break;
    }
  };

  trainBtn.addEventListener('click', () => {
    if (worker) return;
    const ds = dataset.value as TrainDataset;
    const preset = PRESETS[ds][model.value] ?? Object.values(PRESETS[ds])[0];
    const nEpochs = Number(epochs.value);
    const nSeed = Number(seed.value);
    const nLimit = limit.value.trim() === '' ? undefined : Number(limit.value);
    if (!(Number.isInteger(nEpochs) && nEpochs >= 1 && nEpochs <= 500)) return say('epochs must be a whole number from 1 to 500', 'error');
    if (!(Number.isInteger(nSeed) && nSeed >= 0)) return say('the seed must be a whole number ≥ 0', 'error');
    if (nLimit !== undefined && !(Number.isInteger(nLimit) && nLimit >= 1)) return say('training images must be a whole number ≥ 1, or empty for all', 'error');
    const options = {
      ...DEFAULT_TRAIN_OPTIONS, epochs: nEpochs, seed: nSeed,
      binarize: preset.model.likelihood.kind === 'bernoulli' ? ('dynamic' as const) : ('none' as const),
    };
    session = {
      name: app.uniqueRunName(safeRunName(`page-${ds}-${model.value}-s${nSeed}`)), dataset: ds, model: preset.model, options, spec: null,
      backend: '?', backendNote: null, stepsPerEpoch: 0, paramCounts: { encoder: 0, decoder: 0 }, history: [], steps: [], grid: null,
      best: null, started: performance.now(), createdAt: new Date().toISOString(),
    };
    progress.value = 0;
    progressText.textContent = '';
    progressRow.hidden = false;
    zBox.replaceChildren();
    warning.hidden = true;
    warning.textContent = '';
    say('starting the training worker…');
    setRunning(true);
    scheduleChart();
    worker = new Worker(new URL('../training/trainWorker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      void finish('error', e.message || 'the training worker could not start');
    };
    const start: StartMessage = {
      type: 'start',
      job: { dataset: ds, model: preset.model, options, trainLimit: nLimit, dataSeed: 0 },
      wasmBase: new URL('wasm/', document.baseURI).href,
      mnistUrl: new URL(MNIST_SUBSET_PATH, document.baseURI).href,
    };
    worker.postMessage(start);
  });

  stopBtn.addEventListener('click', () => {
    if (!worker) return;
    // an epoch is one synchronous loop in the worker: terminate it, keep the finished epochs
    void finish('stopped');
  });

  downloadBtn.addEventListener('click', () => {
    const run = active ? locals.get(active.run.name) : undefined;
    if (!run) return;
    const url = URL.createObjectURL(new Blob([encodeRunFile(run)], { type: 'application/json' }));
    const a = el('a');
    a.href = url;
    a.download = runFileName(run);
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    say(`downloaded ${a.download}`);
  });

  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    fileInput.value = '';
    if (!file) return;
    void (async () => {
      try {
        const run = decodeRunFile(await file.text());
        run.info.name = app.uniqueRunName(safeRunName(run.info.name));
        await adopt(run);
        // the live views belonged to the last training session, not to the loaded run
        if (!worker) clearSession();
        say(`loaded ${file.name}: run '${run.info.name}' (${run.info.dataset.name}, ${plural(run.info.epochsDone, 'epoch')}) is now the active model of every widget`);
        c.root.dataset.lastRun = run.info.name;
      } catch (e) {
        const msg = e instanceof RunFileError || e instanceof Error ? e.message : String(e);
        say(`could not load ${file.name}: ${msg}`, 'error');
      }
    })();
  });

  return {
    name: 'training',
    root: c.root,
    setRun(ctx) {
      active = ctx;
      downloadBtn.disabled = !locals.has(ctx.run.name);
      markReady(c.root, ctx.run.name);
    },
  };
}
