/** The frame every widget sits in: a title, its one-paragraph explanation, and its body. */

export interface Card {
  root: HTMLElement;
  body: HTMLElement;
  /** Shows a short notice instead of the body (e.g. "needs a 2-D faces run"); null hides it. */
  notice(msg: string | null): void;
  /** Replaces the explanation (for one that depends on the run). */
  explain(text: string): void;
}

export function card(name: string, title: string, explanation: string): Card {
  const root = document.createElement('section');
  root.className = 'widget';
  root.dataset.widget = name;
  const h = document.createElement('h2');
  h.textContent = title;
  const p = document.createElement('p');
  p.className = 'explanation';
  p.textContent = explanation;
  const body = document.createElement('div');
  body.className = 'widget-body';
  const note = document.createElement('p');
  note.className = 'notice';
  note.hidden = true;
  root.append(h, p, note, body);
  return {
    root,
    body,
    notice(msg) {
      note.hidden = msg === null;
      note.textContent = msg ?? '';
      body.hidden = msg !== null;
    },
    explain(text) {
      p.textContent = text;
    },
  };
}

/** A small element with a class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text) e.textContent = text;
  return e;
}

/** Marks a widget as showing `run` (tests and the benchmark wait for this). */
export function markReady(root: HTMLElement, run: string): void {
  root.dataset.ready = run;
}

/** "1 epoch", "2 epochs". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
