/**
 * Drag handling for SVG plots: pointer down, move and up (mouse, pen and touch) reported in the
 * SVG's own user coordinates, with pointer capture so a drag may leave the element; and the
 * keyboard for the same dots (arrow keys, Shift for larger steps).
 *
 * Touch: a drag that starts on the handle moves it (the handle has `touch-action: none`); a swipe
 * that starts elsewhere on the plot scrolls the page, and a tap there moves the dot to the tap.
 */

export interface Point { x: number; y: number }

/** Converts a pointer event's position to the user coordinates of `svg`. */
export function svgPoint(svg: SVGSVGElement, e: { clientX: number; clientY: number }): Point {
  const m = svg.getScreenCTM();
  if (!m) return { x: 0, y: 0 };
  const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
  return { x: p.x, y: p.y };
}

/**
 * Calls `onMove` with the pointer's position while a drag that started on `svg` lasts; the first
 * call is at pointer down, so a click moves the dot too. With a touch, only a drag that starts on
 * `handle` (or a tap anywhere) moves the dot.
 */
export function onDrag(svg: SVGSVGElement, onMove: (p: Point) => void, handle?: Element): () => void {
  let active: number | null = null;
  let tapPending = false;
  const down = (e: PointerEvent): void => {
    if (e.button !== 0) return;
    const onHandle = handle !== undefined && (e.target === handle || handle.contains(e.target as Node));
    if (e.pointerType === 'touch' && !onHandle) {
      // leave the gesture to the browser (scrolling); a tap arrives as a click
      tapPending = true;
      return;
    }
    tapPending = false;
    active = e.pointerId;
    svg.setPointerCapture(e.pointerId);
    e.preventDefault();
    onMove(svgPoint(svg, e));
  };
  const move = (e: PointerEvent): void => {
    if (e.pointerId === active) onMove(svgPoint(svg, e));
  };
  const up = (e: PointerEvent): void => {
    if (e.pointerId === active) active = null;
  };
  const cancel = (e: PointerEvent): void => {
    tapPending = false;
    up(e);
  };
  const click = (e: MouseEvent): void => {
    if (!tapPending) return;
    tapPending = false;
    onMove(svgPoint(svg, e));
  };
  svg.addEventListener('pointerdown', down);
  svg.addEventListener('pointermove', move);
  svg.addEventListener('pointerup', up);
  svg.addEventListener('pointercancel', cancel);
  svg.addEventListener('click', click);
  return () => {
    svg.removeEventListener('pointerdown', down);
    svg.removeEventListener('pointermove', move);
    svg.removeEventListener('pointerup', up);
    svg.removeEventListener('pointercancel', cancel);
    svg.removeEventListener('click', click);
  };
}

/**
 * Makes a dot focusable and movable with the arrow keys: `onStep(dx, dy)` gets −1, 0 or 1 per
 * axis (up is +1 in y), times 10 with Shift. `label` is its accessible name; call the returned
 * function with a text of the current value (e.g. "size 0.75, hue 0.55") after each move.
 */
export function keyboardHandle(handle: SVGElement, label: string, onStep: (dx: number, dy: number) => void): (valueText: string) => void {
  handle.setAttribute('tabindex', '0');
  handle.setAttribute('role', 'slider');
  handle.setAttribute('aria-roledescription', '2-D slider');
  handle.setAttribute('aria-label', `${label} (arrow keys move it, Shift for larger steps)`);
  handle.addEventListener('keydown', (e: KeyboardEvent) => {
    const k = e.shiftKey ? 10 : 1;
    const moves: Record<string, [number, number]> = { ArrowLeft: [-k, 0], ArrowRight: [k, 0], ArrowUp: [0, k], ArrowDown: [0, -k] };
    const m = moves[e.key];
    if (!m) return;
    e.preventDefault();
    onStep(m[0], m[1]);
  });
  return (valueText: string) => handle.setAttribute('aria-valuetext', valueText);
}

export const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
