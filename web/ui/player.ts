/**
 * Play / pause and a scrubber over a list of frames (epochs), shared by the evolution and the
 * model comparison: it loops, pauses on a press, and stops when the slider (or the chart, through
 * `show`) is moved. The button keeps one width whatever its label, so the slider never jumps.
 * Playing shows at most `maxPlayFrames` frames per loop (a 3,280-epoch run steps by 34 epochs, so a
 * loop lasts under a minute); the slider still reaches every frame.
 */
import { el } from './card.js';

export interface Player {
  root: HTMLElement;
  play: HTMLButtonElement;
  slider: HTMLInputElement;
  label: HTMLElement;
  /** Sets the frames (0 … count−1) and shows frame `at`; stops playing. */
  reset(count: number, at: number): void;
  /** Shows frame i (a user's choice: stops playing). */
  show(i: number): void;
  start(): void;
  stop(): void;
  playing(): boolean;
}

export interface PlayerOptions {
  /** Accessible name of the slider. */
  name: string;
  /** Milliseconds per frame. */
  frameMs?: number;
  /** Most frames one loop of playing shows (default 100): longer lists are stepped through, ending on the last frame. */
  maxPlayFrames?: number;
  /** Extra frames to hold the last one before looping. */
  holdFrames?: number;
  /** Draws frame i. */
  onShow(i: number): void;
  /** Called when the user picks a frame or pauses (not on every animation frame). */
  onSettle?(i: number): void;
}

const PLAY = '▶ play';
const PAUSE = '❚❚ pause';

export function player(o: PlayerOptions): Player {
  const root = el('div', 'controls');
  const play = el('button', 'play', PLAY);
  play.type = 'button';
  play.dataset.role = 'play';
  play.setAttribute('aria-label', `play or pause: ${o.name}`);
  const slider = el('input');
  slider.type = 'range';
  slider.min = '0';
  slider.step = '1';
  slider.dataset.role = 'scrubber';
  slider.setAttribute('aria-label', o.name);
  const label = el('span', 'small mono frame-label');
  label.setAttribute('aria-live', 'off');
  root.append(play, slider, label);

  let count = 0;
  let timer: number | null = null;
  let hold = 0;
  const frameMs = o.frameMs ?? 450;

  const draw = (i: number): void => {
    slider.value = String(i);
    o.onShow(i);
  };
  const stop = (): void => {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
    play.textContent = PLAY;
    play.setAttribute('aria-pressed', 'false');
  };
  const start = (): void => {
    if (count < 2 || timer !== null) return;
    let i = Number(slider.value);
    if (i >= count - 1) i = -1; // at the end: start again
    hold = 0;
    const stride = Math.max(1, Math.ceil((count - 1) / ((o.maxPlayFrames ?? 100) - 1)));
    play.textContent = PAUSE;
    play.setAttribute('aria-pressed', 'true');
    const step = (): void => {
      if (i >= count - 1) {
        // hold the last frame a moment, then loop
        if (hold++ < (o.holdFrames ?? 3)) return;
        hold = 0;
        i = -1;
      }
      i = i < 0 ? 0 : Math.min(count - 1, i + stride);
      draw(i);
    };
    step();
    timer = window.setInterval(step, frameMs);
  };
  play.addEventListener('click', () => {
    if (timer !== null) {
      stop();
      o.onSettle?.(Number(slider.value));
    } else start();
  });
  slider.addEventListener('input', () => {
    stop();
    draw(Number(slider.value));
    o.onSettle?.(Number(slider.value));
  });

  return {
    root, play, slider, label,
    reset(n, at) {
      stop();
      count = n;
      slider.max = String(Math.max(0, n - 1));
      slider.disabled = n < 2;
      play.disabled = n < 2;
      draw(Math.max(0, Math.min(n - 1, at)));
    },
    show(i) {
      stop();
      draw(Math.max(0, Math.min(count - 1, i)));
      o.onSettle?.(Number(slider.value));
    },
    start,
    stop,
    playing: () => timer !== null,
  };
}
