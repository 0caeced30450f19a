/**
 * Drag handling for SVG plots: pointer down, move and up (mouse, pen and touch alike) reported in
 * the SVG's own user coordinates, with pointer capture so a drag may leave the element.
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
 * Calls `onMove` with the pointer's position while a drag that started on `target` (default: the
 * whole svg) lasts; the first call is at pointer down, so a click moves the dot too.
 */
export function onDrag(svg: SVGSVGElement, onMove: (p: Point) => void, target: Element = svg): () => void {
  let active: number | null = null;
  const down = (e: PointerEvent): void => {
    if (e.button !== 0) return;
    active = e.pointerId;
    (target as Element & { setPointerCapture(id: number): void }).setPointerCapture(e.pointerId);
    e.preventDefault();
    onMove(svgPoint(svg, e));
  };
  const move = (e: PointerEvent): void => {
    if (e.pointerId === active) onMove(svgPoint(svg, e));
  };
  const up = (e: PointerEvent): void => {
    if (e.pointerId === active) active = null;
  };
  target.addEventListener('pointerdown', down as EventListener);
  target.addEventListener('pointermove', move as EventListener);
  target.addEventListener('pointerup', up as EventListener);
  target.addEventListener('pointercancel', up as EventListener);
  return () => {
    target.removeEventListener('pointerdown', down as EventListener);
    target.removeEventListener('pointermove', move as EventListener);
    target.removeEventListener('pointerup', up as EventListener);
    target.removeEventListener('pointercancel', up as EventListener);
  };
}

export const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
