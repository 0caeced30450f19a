import { describe, expect, it } from 'vitest';
import { escapeXml, lineChartSvg, lossCurvesSvg } from '../../src/analysis/plotCurves.js';
import type { EpochRecord } from '../../src/train/history.js';

/**
 * A small well-formedness check (Node has no DOMParser): every tag is closed in order, attributes
 * are name="value" pairs without raw '<', and text has no raw '<' or bare '&'.
 * Returns the problems found (empty when well formed).
 */
function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const tag = /<[^>]*>/g;
  let last = 0;
  let roots = 0;
  const checkText = (text: string) => {
    if (text.includes('<')) problems.push(`raw '<' in text: ${text.slice(0, 40)}`);
    const amp = text.match(/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/);
    if (amp) problems.push(`bare '&' in: ${text.slice(0, 40)}`);
  };
  for (const m of xml.matchAll(tag)) {
    checkText(xml.slice(last, m.index));
    last = (m.index ?? 0) + m[0].length;
    const body = m[0].slice(1, -1);
    if (body.startsWith('?') || body.startsWith('!--')) continue;
    if (body.startsWith('/')) {
      const name = body.slice(1).trim();
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}>`);
      continue;
    }
    const selfClosing = body.endsWith('/');
    const inner = selfClosing ? body.slice(0, -1) : body;
    const nameMatch = inner.match(/^([A-Za-z_][\w:.-]*)/);
    if (!nameMatch) {
      problems.push(`bad tag <${body}>`);
      continue;
    }
    const rest = inner.slice(nameMatch[1].length);
    const attrs = rest.replace(/\s+[A-Za-z_][\w:.-]*="[^"<]*"/g, '');
    if (attrs.trim() !== '') problems.push(`bad attributes in <${nameMatch[1]}>: ${attrs.trim().slice(0, 40)}`);
    for (const a of rest.matchAll(/="([^"]*)"/g)) checkText(a[1]);
    if (stack.length === 0) roots++;
    if (!selfClosing) stack.push(nameMatch[1]);
  }
  checkText(xml.slice(last));
  if (stack.length) problems.push(`unclosed: ${stack.join(' > ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

function record(epoch: number, train: [number, number], validation: [number, number]): EpochRecord {
  return {
    epoch,
    train: { loss: train[0] + train[1], reconstruction: train[0], kl: train[1] },
    validation: { loss: validation[0] + validation[1], reconstruction: validation[0], kl: validation[1] },
    seconds: 1,
    imagesPerSecond: 100,
  };
}

/** A run whose losses fall every epoch; validation best at epoch `best`, worse after it. */
function fakeHistory(epochs: number, best = epochs): EpochRecord[] {
  const out: EpochRecord[] = [];
  for (let e = 1; e <= epochs; e++) {
    const rec = 80 + 100 / e;
    const kl = 30 - 15 / e;
    const drift = e > best ? (e - best) * 3 : 0;
    out.push(record(e, [rec, kl], [rec + 4 + drift, kl + 0.5]));
  }
  return out;
}

interface SeriesPath {
  series: string;
  subpaths: [number, number][][];
}

/** Panels in document order, each with its series paths (parsed d) and its isolated points. */
function panels(svg: string): { title: string; paths: SeriesPath[]; points: number }[] {
  const chunks = svg.split('<g class="panel"').slice(1);
  return chunks.map((chunk) => {
    const title = chunk.match(/data-title="([^"]*)"/)?.[1] ?? '';
    const paths = [...chunk.matchAll(/<path class="series-line" data-series="([^"]*)" d="([^"]*)"/g)].map((m) => ({
      series: m[1],
      subpaths: m[2]
        .split('M')
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
        .map((s) => s.split(/\s*L\s*/).map((pt) => pt.split(',').map(Number) as [number, number])),
    }));
    const points = (chunk.match(/class="series-point"/g) ?? []).length;
    return { title, paths, points };
  });
}

describe('lossCurvesSvg', () => {
  const svg = lossCurvesSvg(fakeHistory(12, 8), { title: 'MLP VAE on MNIST' });

  it('is well-formed XML with one svg root', () => {
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  });

  it('the checker itself catches broken markup', () => {
    expect(xmlProblems('<svg><g></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg><text>a < b</text></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg><text>a & b</text></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg><g a=1/></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg/><svg/>')).not.toEqual([]);
  });

  it('has three panels (-ELBO, reconstruction, KL) with one path per series each', () => {
    const ps = panels(svg);
    expect(ps).toHaveLength(3);
    expect(ps[0].title).toContain('ELBO');
    expect(ps[1].title).toContain('reconstruction');
    expect(ps[2].title).toContain('KL');
    for (const p of ps) {
      expect(p.paths.map((s) => s.series)).toEqual(['train', 'validation']);
      for (const s of p.paths) {
        expect(s.subpaths).toHaveLength(1);
        expect(s.subpaths[0]).toHaveLength(12);
      }
    }
  });

  it('draws train solid and validation dashed, with a legend, units and axis labels', () => {
    const paths = [...svg.matchAll(/<path class="series-line"[^>]*>/g)].map((m) => m[0]);
    expect(paths.filter((p) => p.includes('stroke-dasharray'))).toHaveLength(3);
    expect(paths.filter((p) => p.includes('data-series="validation"') && p.includes('stroke-dasharray'))).toHaveLength(3);
    expect(svg).toContain('class="legend"');
    expect((svg.match(/nats per example/g) ?? []).length).toBeGreaterThanOrEqual(3);
    expect((svg.match(/>epoch</g) ?? []).length).toBe(3);
    expect(svg).toContain('MLP VAE on MNIST');
  });

  it('maps a falling loss to a line going down the page (increasing SVG y) and epochs to increasing x', () => {
    const [loss, reconstruction, kl] = panels(svg);
    for (const panel of [loss, reconstruction]) {
      const pts = panel.paths[0].subpaths[0];
      for (let i = 1; i < pts.length; i++) {
        expect(pts[i][0]).toBeGreaterThan(pts[i - 1][0]);
        expect(pts[i][1]).toBeGreaterThan(pts[i - 1][1]);
      }
    }
    // KL rises, so its line goes up the page
    const klPts = kl.paths[0].subpaths[0];
    for (let i = 1; i < klPts.length; i++) expect(klPts[i][1]).toBeLessThan(klPts[i - 1][1]);
  });

  it('puts nice, evenly spaced tick values on the axes', () => {
    for (const chunk of svg.split('<g class="panel"').slice(1)) {
      const yTicks = [...chunk.matchAll(/class="tick-y"[^>]*>([^<]*)</g)].map((m) => Number(m[1].replace('\u2212', '-')));
      expect(yTicks.length).toBeGreaterThanOrEqual(3);
      const step = yTicks[1] - yTicks[0];
      const mantissa = step / Math.pow(10, Math.floor(Math.log10(step) + 1e-9));
      expect([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-9)).toBe(true);
      for (let i = 1; i < yTicks.length; i++) expect(yTicks[i] - yTicks[i - 1]).toBeCloseTo(step, 9);
      const xTicks = [...chunk.matchAll(/class="tick-x"[^>]*>([^<]*)</g)].map((m) => Number(m[1]));
      expect(xTicks.length).toBeGreaterThanOrEqual(2);
      expect(xTicks.every((v) => Number.isInteger(v))).toBe(true);
    }
  });

  it('marks the best validation epoch in every panel', () => {
    const markers = [...svg.matchAll(/class="marker" data-x="([^"]*)"/g)].map((m) => m[1]);
    expect(markers).toEqual(['8', '8', '8']);
    expect(svg).toContain('best validation: epoch 8');
  });

  it('leaves a gap at NaN values', () => {
    const h = fakeHistory(10);
    h[4].train.loss = NaN;
    const ps = panels(lossCurvesSvg(h));
    const train = ps[0].paths[0];
    expect(train.subpaths).toHaveLength(2);
    expect(train.subpaths[0]).toHaveLength(4);
    expect(train.subpaths[1]).toHaveLength(5);
    // the other metrics and the validation line are whole
    expect(ps[0].paths[1].subpaths).toHaveLength(1);
    expect(ps[1].paths[0].subpaths).toHaveLength(1);
  });

  it('draws an isolated point (between gaps) as a dot', () => {
    const h = fakeHistory(5);
    h[1].validation.kl = NaN;
    h[3].validation.kl = NaN;
    const ps = panels(lossCurvesSvg(h));
    const validationKl = ps[2].paths[1];
    expect(validationKl.subpaths).toEqual([]); // point | gap | point | gap | point: nothing to join
    expect(ps[2].points).toBe(3);
  });

  it('shows a single epoch as points', () => {
    const one = lossCurvesSvg(fakeHistory(1));
    expect(xmlProblems(one)).toEqual([]);
    const ps = panels(one);
    expect(ps).toHaveLength(3);
    for (const p of ps) expect(p.points).toBe(2);
  });

  it('says "no epochs yet" for an empty history', () => {
    const empty = lossCurvesSvg([]);
    expect(xmlProblems(empty)).toEqual([]);
    expect(empty).toContain('no epochs yet');
    expect(panels(empty)).toHaveLength(0);
  });

  it('escapes the title and the note for XML', () => {
    const weird = lossCurvesSvg(fakeHistory(3), { title: 'a <b> & "c" \'d\'', note: 'x < y && y > z' });
    expect(xmlProblems(weird)).toEqual([]);
    expect(weird).toContain('a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;');
    expect(weird).not.toContain('<b>');
    expect(weird).toContain('x &lt; y &amp;&amp; y &gt; z');
    expect(escapeXml('<&>')).toBe('&lt;&amp;&gt;');
  });

  it('honours width and height', () => {
    const small = lossCurvesSvg(fakeHistory(4), { width: 600, height: 240 });
    expect(small).toMatch(/<svg[^>]* width="600" height="240" viewBox="0 0 600 240"/);
    expect(xmlProblems(small)).toEqual([]);
  });
});

describe('lineChartSvg', () => {
  it('charts any series, with a legend and markers', () => {
    const svg = lineChartSvg(
      [
        { name: 'wasm', points: [[1, 900], [2, 950], [4, 1000]] },
        { name: 'native <fast>', points: [[1, 1500], [2, 2900], [4, 3100]], dashed: true, color: '#ff0000' },
      ],
      { title: 'images per second', xLabel: 'threads', yLabel: 'img/s', markers: [{ x: 2, y: 2900, label: 'chosen' }] },
    );
    expect(xmlProblems(svg)).toEqual([]);
    const [panel] = panels(svg);
    expect(panel.paths.map((p) => p.series)).toEqual(['wasm', 'native &lt;fast&gt;']);
    expect(svg).toContain('stroke="#ff0000"');
    expect(svg).toContain('class="legend"');
    expect(svg).toContain('>chosen<');
    // a rising series goes up the page
    const pts = panel.paths[0].subpaths[0];
    expect(pts[1][1]).toBeLessThan(pts[0][1]);
    expect(pts[2][1]).toBeLessThan(pts[1][1]);
  });

  it('survives empty and all-NaN series', () => {
    const svg = lineChartSvg([
      { name: 'empty', points: [] },
      { name: 'nan', points: [[NaN, 1], [2, NaN]] },
    ]);
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).not.toContain('NaN');
  });
});
