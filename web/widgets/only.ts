/**
 * Shows a widget only for the runs it fits: for any other run its body is hidden behind a one-line
 * note (the widget itself is left as it was, so switching back shows it again).
 */
import type { RunContext, Widget } from '../app.js';
import { markReady } from '../ui/card.js';

export function onlyFor(w: Widget, fits: (ctx: RunContext) => boolean, note: string): Widget {
  const notice = w.root.querySelector<HTMLElement>(':scope > p.notice');
  const body = w.root.querySelector<HTMLElement>(':scope > .widget-body');
  return {
    name: w.name,
    root: w.root,
    async setRun(ctx) {
      if (!fits(ctx)) {
        if (notice) {
          notice.textContent = note;
          notice.hidden = false;
        }
        if (body) body.hidden = true;
        markReady(w.root, ctx.run.name);
        return;
      }
      if (notice) notice.hidden = true;
      if (body) body.hidden = false;
      await w.setRun(ctx);
    },
  };
}

/** A faces run: the widgets about the faces dataset's two generating parameters apply. */
export const isFacesRun = (ctx: RunContext): boolean => ctx.run.dataset.name === 'faces';

export const FACES_ONLY = 'this view is about the faces dataset; the active run was trained on another dataset';
