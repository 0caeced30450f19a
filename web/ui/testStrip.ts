/** A strip of the first test images to pick from (the traversal and latent-search views). */
import type { TestImages } from '../testset.js';
import { drawImage, imageCanvas } from './canvas.js';

/** How many test images a strip offers. */
export const STRIP = 20;

export interface TestStrip {
  canvases: HTMLCanvasElement[];
  /** Marks image `i` as the picked one. */
  mark(i: number): void;
}

/** Fills `host` with the first STRIP images of `t` (class `pick-img`, data-index); a click calls `onPick`. */
export function testStrip(host: HTMLElement, t: TestImages, onPick: (i: number) => void): TestStrip {
  const size = t.height * t.width * t.channels;
  const n = Math.min(STRIP, t.count);
  const canvases = Array.from({ length: n }, (_, i) => {
    const cv = imageCanvas(t.height, t.width, 40, 'img pick-img');
    cv.dataset.index = String(i);
    cv.title = `test #${i}: ${t.classNames[t.labels[i]] ?? t.labels[i]}`;
    cv.setAttribute('aria-label', `${cv.title} (Enter picks it)`);
    cv.tabIndex = 0;
    drawImage(cv, t.images, t.height, t.width, t.channels, i * size);
    cv.addEventListener('click', () => onPick(i));
    cv.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        onPick(i);
      }
    });
    return cv;
  });
  host.replaceChildren(...canvases);
  return {
    canvases,
    mark(i) {
      canvases.forEach((cv, k) => cv.classList.toggle('picked', k === i));
    },
  };
}

/** A two-or-more-way toggle of buttons (class `active` on the chosen one); `onChange` on a change. */
export function toggleButtons<T extends string>(choices: readonly { value: T; label: string }[], initial: T, onChange: (v: T) => void): { root: HTMLElement; value(): T } {
  const root = document.createElement('div');
  root.className = 'toggle';
  root.setAttribute('role', 'radiogroup');
  let value = initial;
  const buttons = choices.map((c) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = c.label;
    b.dataset.value = c.value;
    b.setAttribute('role', 'radio');
    b.addEventListener('click', () => {
      if (value === c.value) return;
      value = c.value;
      sync();
      onChange(value);
    });
    return b;
  });
  const sync = (): void => buttons.forEach((b) => {
    b.classList.toggle('active', b.dataset.value === value);
    b.setAttribute('aria-checked', String(b.dataset.value === value));
  });
  sync();
  root.append(...buttons);
  return { root, value: () => value };
}
