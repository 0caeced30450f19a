import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { chartSvg, svgToPng } from '../../src/plot/render.js';
import { BEST_COLOR, TRAIN_COLOR, VALIDATION_COLOR, bestValidationEpoch, lossCurvesSpec } from '../../src/plot/lossCurves.js';
import { cutNote, epochList, yRange } from '../../src/plot/axisCut.js';
import type { EpochRecord } from '../../src/train/history.js';
import { LIKELIHOOD_KINDS, SEED000_CONV, likelihoodNote, type LikelihoodConfig } from '../../src/models/config.js';

/** A plausible history: losses fall like a + b/e (no epoch far above the rest), KL rises; validation a little above train. */
function history(n: number, first?: number): EpochRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const e = i + 1;
    const recon = 2850 + 10 / e;
    const kl = 5 - 3 / e;
    const train = { loss: recon + kl, reconstruction: recon, kl };
    const vRecon = recon + 4 + ((e * 7) % 3);
    const validation = { loss: vRecon + kl + 0.2, reconstruction: vRecon, kl: kl + 0.2 };
    if (e === 1 && first !== undefined) {
      train.loss = first;
      train.reconstruction = first - kl;
      validation.loss = first - 10;
      validation.reconstruction = first - 10 - validation.kl;
    }
    return { epoch: e, train, validation, seconds: 1, imagesPerSecond: 100 };
  });
}

/** The line paths of the SVG: stroke colour, panel (concat index) and the points of each subpath. */
function linePaths(svg: string): { panel: number; stroke: string; runs: number[][][] }[] {
  const out: { panel: number; stroke: string; runs: number[][][] }[] = [];
  const group = /<g class="mark-line role-mark concat_(\d)_layer_0_marks"[^>]*>(.*?)<\/g>/g;
  for (const g of svg.matchAll(group)) {
    for (const p of g[2].matchAll(/<path [^>]*d="([^"]*)"[^>]*stroke="([^"]+)"/g)) {
      const runs = p[1].split('M').filter(Boolean).map((run) => run.split('L').map((xy) => xy.split(',').map(Number)));
      out.push({ panel: Number(g[1]), stroke: p[2], runs });
    }
  }
  return out;
}

/** Texts of one role (axis titles, axis labels, titles...), in document order. */
function texts(svg: string, role: string): string[] {
  const block = [...svg.matchAll(new RegExp(`<g class="mark-text role-${role}"[^>]*>(.*?)</g>`, 'g'))].map((m) => m[1]).join('');
  // a multi-line text is one <text> with a <tspan> per line
  return [...block.matchAll(/<text[^>]*>(.*?)<\/text>/g)].flatMap((m) =>
    m[1].includes('<tspan') ? [...m[1].matchAll(/<tspan[^>]*>(.*?)<\/tspan>/g)].map((t) => t[1]) : [m[1]]);
}

/** Number of symbols (points) drawn in the given layer of every panel with the given fill. */
function points(svg: string, layer: number, fill: string): number {
  const groups = [...svg.matchAll(new RegExp(`<g class="mark-symbol role-mark concat_\\d_layer_${layer}_marks"[^>]*>(.*?)</g>`, 'g'))];
  return groups.reduce((n, g) => n + (g[1].match(new RegExp(`fill="${fill}"`, 'g'))?.length ?? 0), 0);
}

const num = (label: string): number => Number(label.replace(/,/g, '').replace('\u2212', '-'));

describe('lossCurvesSpec rendered by vega', () => {
  it('draws one path per series and panel with one point per epoch, and the axis titles', async () => {
    const svg = await chartSvg(lossCurvesSpec(history(12), { title: 'MLP VAE on MNIST', notes: ['a note'] }));
    const paths = linePaths(svg);
    expect(paths).toHaveLength(6);
    for (const panel of [0, 1, 2]) {
      const strokes = paths.filter((p) => p.panel === panel).map((p) => p.stroke).sort();
      expect(strokes).toEqual([TRAIN_COLOR, VALIDATION_COLOR].sort());
    }
    for (const p of paths) {
      expect(p.runs).toHaveLength(1);
      expect(p.runs[0]).toHaveLength(12);
      // epochs left to right
      const xs = p.runs[0].map(([x]) => x);
      expect(xs).toEqual([...xs].sort((a, b) => a - b));
    }
    const axisTitles = texts(svg, 'axis-title');
    expect(axisTitles.filter((t) => t === 'nats per example')).toHaveLength(3);
    expect(axisTitles.filter((t) => t === 'epoch')).toHaveLength(3);
    const titles = texts(svg, 'title-text');
    expect(titles).toContain('MLP VAE on MNIST');
    expect(titles).toContain('\u2212ELBO (loss)');
    expect(titles).toContain('KL(q(z|x) \u2016 p(z))');
    expect(texts(svg, 'title-subtitle').join('\n')).toContain('a note');
    expect(texts(svg, 'legend-label')).toEqual(['train', 'validation']);
  });

  it('marks the best validation epoch (lowest validation −ELBO) with a guide and a dot', async () => {
    const h = history(8);
    h[4].validation.loss = 1000; // epoch 5 is best
    const svg = await chartSvg(lossCurvesSpec(h));
    expect(texts(svg, 'title-subtitle')[0]).toMatch(/^best validation: epoch 5 \(\u2212ELBO 1000\.0\)/);
    expect(svg.match(new RegExp(`stroke="${BEST_COLOR}"`, 'g'))?.length).toBe(3); // one guide per panel
    expect(points(svg, 3, BEST_COLOR)).toBe(3); // one dot per panel
    // run.json's bestEpoch wins over the history's minimum
    const named = await chartSvg(lossCurvesSpec(h, { bestEpoch: 3 }));
    expect(texts(named, 'title-subtitle')[0]).toMatch(/^best validation: epoch 3 /);
  });

  it('labels the y axes within the data, never from zero', async () => {
    const h = history(10);
    const svg = await chartSvg(lossCurvesSpec(h));
    const labels = texts(svg, 'axis-label');
    // axis order: per panel the x axis then the y axis is not guaranteed; find the y label sets by range
    const numbers = labels.map(num).filter((v) => Number.isFinite(v));
    const losses = h.flatMap((r) => [r.train.loss, r.validation.loss]);
    const lo = Math.min(...losses);
    const hi = Math.max(...losses);
    const lossTicks = numbers.filter((v) => v > 1000);
    expect(lossTicks.length).toBeGreaterThan(3);
    for (const v of lossTicks) {
      expect(v).toBeGreaterThan(lo - 20);
      expect(v).toBeLessThan(hi + 20);
    }
    expect(numbers.filter((v) => v === 0)).toHaveLength(0); // epochs start at 1, losses near 2850, KL above 2
    // values drawn are the data's: every line point's tooltip value is one of the history's values
    const all = new Set(h.flatMap((r) => [r.train, r.validation]).flatMap((s) => [s.loss, s.reconstruction, s.kl]).map((v) => v.toFixed(4)));
    const shown = [...svg.matchAll(/nats per example: ([\d.\-e]+)/g)].map((m) => Number(m[1]).toFixed(4));
    expect(shown.length).toBeGreaterThan(0);
    for (const v of shown) expect(all.has(v)).toBe(true);
  });

  it('leaves a gap at a non-finite value instead of joining across it', async () => {
    const h = history(9);
    h[4].train.loss = Number.NaN;
    const paths = linePaths(await chartSvg(lossCurvesSpec(h)));
    const trainLoss = paths.find((p) => p.panel === 0 && p.stroke === TRAIN_COLOR)!;
    expect(trainLoss.runs.map((r) => r.length)).toEqual([4, 4]);
    const validLoss = paths.find((p) => p.panel === 0 && p.stroke === VALIDATION_COLOR)!;
    expect(validLoss.runs.map((r) => r.length)).toEqual([9]);
  });

  it('cuts the top of an axis when the first epoch dwarfs the rest, and says so', async () => {
    const h = history(30, 9000);
    const svg = await chartSvg(lossCurvesSpec(h));
    const subtitles = texts(svg, 'title-subtitle');
    // the −ELBO and reconstruction panels are cut (epoch 1, maybe the next few); KL is not
    const cuts = subtitles.filter((t) => t.endsWith('above the top, cut off'));
    expect(cuts).toHaveLength(2);
    for (const c of cuts) expect(c).toMatch(/^(epoch 1|epochs 1\u2013[2-3]) above/);
    const lossTicks = texts(svg, 'axis-label').map(num).filter((v) => v > 1000);
    expect(Math.max(...lossTicks)).toBeLessThan(3000);
    // without the outlier nothing is cut
    expect(texts(await chartSvg(lossCurvesSpec(history(30))), 'title-subtitle').join()).not.toContain('cut off');
  });

  it('names the cut epochs as ranges, and abbreviates a long list (a 3,280-epoch run once gave a chart 13,402 px wide)', async () => {
    expect(epochList([1])).toBe('epoch 1');
    expect(epochList([1, 2, 3])).toBe('epochs 1\u20133');
    expect(epochList([1, 2, 3, 8, 10, 11])).toBe('epochs 1\u20133, 8, 10\u201311');
    const scattered = [1, 2, 3, 5, 7, 9, 11, 13, 40, 41, 3000];
    expect(epochList(scattered)).toBe('11 epochs (1\u20133, 5, 7, 9, 11, \u2026, 3000)');
    expect(cutNote([1, 2, 3, 8])).toBe('epochs 1\u20133, 8 above the top, cut off');
    // points between epochs (the explorer's live minibatch curve): named by the last one cut
    expect(cutNote([0.015625, 0.03125, 0.3125, 1])).toBe('values up to epoch 1 above the top, cut off');
    expect(cutNote([0.015625, 0.03125, 0.3125])).toBe('values up to epoch 0.31 above the top, cut off');
    // a long run whose early epochs and a few late spikes lie above the top: the chart keeps its width
    const h = history(3280, 9000);
    for (const e of [2, 4, 6, 8, 10, 12, 14, 16, 100, 900, 2000]) h[e - 1].train.loss = h[e - 1].validation.loss = 9000;
    const svg = await chartSvg(lossCurvesSpec(h));
    const cut = texts(svg, 'title-subtitle').find((t) => t.endsWith('above the top, cut off'))!;
    expect(cut.length).toBeLessThan(80);
    const width = Number(/<svg[^>]* width="([\d.]+)"/.exec(svg)![1]);
    expect(width).toBeLessThan(1400);
  });

  it('draws a single epoch as points, and an empty history as a message', async () => {
    const one = await chartSvg(lossCurvesSpec(history(1)));
    expect(linePaths(one).every((p) => p.runs.every((r) => r.length === 1))).toBe(true);
    expect(points(one, 1, TRAIN_COLOR)).toBe(3);
    expect(points(one, 1, VALIDATION_COLOR)).toBe(3);
    const empty = await chartSvg(lossCurvesSpec([], { title: 'nothing' }));
    expect(empty).toContain('no epochs yet');
    expect(linePaths(empty)).toHaveLength(0);
  });

  it('escapes text for XML', async () => {
    const svg = await chartSvg(lossCurvesSpec(history(3), { title: 'a <b> & "c"' }));
    expect(svg).toContain('a &lt;b&gt; &amp; ');
    expect(svg).not.toContain('<b>');
  });
});

describe('svgToPng', () => {
  it('rasterises at twice the SVG size, white background, both series colours present', async () => {
    const svg = await chartSvg(lossCurvesSpec(history(12), { title: 'png' }));
    const [, w, h] = /<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg)!.map(Number);
    const png = await svgToPng(svg);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([2 * w, 2 * h]);
    expect(info.channels).toBe(3);
    const count = (hex: string): number => {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      let n = 0;
      for (let i = 0; i < data.length; i += 3) if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 12) n++;
      return n;
    };
    const white = count('#ffffff');
    expect(white / (info.width * info.height)).toBeGreaterThan(0.7); // mostly background...
    expect(white / (info.width * info.height)).toBeLessThan(0.99); // ...but not blank
    expect(count(TRAIN_COLOR)).toBeGreaterThan(500);
    expect(count(VALIDATION_COLOR)).toBeGreaterThan(300);
    expect(count(BEST_COLOR)).toBeGreaterThan(50);
  });
});

describe('helpers', () => {
  it('bestValidationEpoch: the lowest finite validation loss, the first of ties', () => {
    const h = history(5);
    h[1].validation.loss = 1;
    h[3].validation.loss = 1;
    h[2].validation.loss = Number.NaN;
    expect(bestValidationEpoch(h)?.epoch).toBe(2);
    expect(bestValidationEpoch([])).toBeUndefined();
  });

  it('yRange: the extent, or a cut at the tail when early values dominate', () => {
    expect(yRange([[{ epoch: 1, value: 3 }, { epoch: 2, value: 1 }, { epoch: 3, value: null }]])).toEqual({ domain: [1, 3], cutEpochs: [] });
    const rows = [100, 10, 9, 8, 7, 6].map((value, i) => ({ epoch: i + 1, value }));
    // tail (epochs 2..6) spans 6..10: top at 10 + 2 = 12, bottom 4% of (12 − 6) under 6; epoch 1 (100) is cut
    const r = yRange([rows])!;
    expect(r.domain[0]).toBeCloseTo(6 - 0.24, 12);
    expect(r.domain[1]).toBe(12);
    expect(r.cutEpochs).toEqual([1]);
    expect(yRange([])).toBeUndefined();
    expect(yRange([[], []])).toBeUndefined();
  });

  it('yRange over several series: each keeps its own tail in view (a 30-epoch run beside a 300-epoch one)', () => {
    const long = Array.from({ length: 300 }, (_, i) => ({ epoch: i + 1, value: 90 + 100 / (i + 1) }));
    const short = Array.from({ length: 30 }, (_, i) => ({ epoch: i + 1, value: 92 + 1000 * Math.exp(-i) }));
    // the long run alone: its tail (epochs 31–300) spans 90.33–93.23, so the axis is cut at 94.7
    const alone = yRange([long])!;
    expect(alone.domain[1]).toBeCloseTo(93.226 + 0.5 * (93.226 - 90.333), 2);
    expect(alone.cutEpochs).toEqual(Array.from({ length: 21 }, (_, i) => i + 1)); // 90 + 100/21 = 94.76 > 94.67
    // with the short run, whose tail (epochs 4–30) reaches 141.8, the top rises above that (to
    // 141.8 + half of 141.8 − 90.33): the short run stays in view, and only its first 3 epochs are cut
    const both = yRange([long, short])!;
    const shortTail = 92 + 1000 * Math.exp(-3);
    expect(both.domain[1]).toBeCloseTo(shortTail + 0.5 * (shortTail - (90 + 100 / 300)), 9);
    expect(both.cutEpochs).toEqual([1, 2, 3]);
    // series with fewer than 5 epochs count whole: nothing of theirs is cut
    expect(yRange([[{ epoch: 1, value: 500 }, { epoch: 2, value: 100 }], long])!.cutEpochs).toEqual([]);
  });

  it('likelihoodNote: the Gaussian constant ½·d·log 2π for 3x32x32 is 2822.98 nats; each likelihood says what its losses include', () => {
    const faces = SEED000_CONV;
    expect(likelihoodNote(faces)).toContain('½·d·log 2π = 2822.98 nats (d = 3×32×32 = 3072)');
    // σ² = 0.5: ½·3072·log π = 1758.31
    expect(likelihoodNote({ ...faces, likelihood: { kind: 'gaussian', sigma2: 0.5 } })).toContain('½·d·log(2π·0.5) = 1758.31 nats');
    expect(likelihoodNote({ ...faces, likelihood: { kind: 'bernoulli' } })).toMatch(/^Bernoulli likelihood \(from logits\): no constant/);
    // σ-VAE: ½·d·(log 2π + 1) = 2822.98 + 1536
    expect(likelihoodNote({ ...faces, likelihood: { kind: 'gaussian-learned' } })).toContain('½·d·(log 2π + 1) = 4358.98 nats');
    // the continuous Bernoulli is not the Bernoulli (the old line called every non-Gaussian likelihood "Bernoulli")
    expect(likelihoodNote({ ...faces, likelihood: { kind: 'continuous-bernoulli' } })).toMatch(/^continuous Bernoulli likelihood .*losses negative$/);
    // short enough not to widen the loss-curve chart it sits under (vega estimates text widths headless)
    for (const kind of LIKELIHOOD_KINDS) {
      const lik = kind === 'gaussian' ? { kind, sigma2: 0.1 } : { kind };
      expect(likelihoodNote({ ...faces, likelihood: lik as LikelihoodConfig }).length, kind).toBeLessThanOrEqual(115);
    }
  });
});
