/**
 * Which tensor backend the page tries first, decided without TensorFlow.js (the page's entry,
 * boot.ts, starts the right downloads with it before the explorer's code has arrived).
 */

export const BROWSER_BACKENDS = ['webgl', 'wasm', 'cpu'] as const;
export type BrowserBackend = (typeof BROWSER_BACKENDS)[number];

/**
 * The WebGL renderer's name when it is a software rasteriser (SwiftShader, llvmpipe: no GPU, e.g.
 * headless Chromium with --disable-gpu), else null. There WebGL is ~8x slower than WebAssembly
 * (measured with `npm run bench:web`), so the default order tries wasm first.
 */
export function softwareWebglRenderer(): string | null {
  // tfjs draws on an OffscreenCanvas (WebGL 2) where there is one, so that context is checked too:
  // a page whose own canvases have no WebGL may still reach SwiftShader through it
  const canvases: (() => HTMLCanvasElement | OffscreenCanvas)[] = [() => document.createElement('canvas')];
  if (typeof OffscreenCanvas !== 'undefined') canvases.push(() => new OffscreenCanvas(1, 1));
  for (const make of canvases) {
    for (const kind of ['webgl2', 'webgl'] as const) {
      const renderer = rendererOf(make, kind);
      if (renderer && /swiftshader|llvmpipe|software/i.test(renderer)) return renderer;
    }
  }
  return null;
}

/** The renderer string of a fresh WebGL context of `kind` on a new canvas, or null. */
function rendererOf(make: () => HTMLCanvasElement | OffscreenCanvas, kind: 'webgl' | 'webgl2'): string | null {
  try {
    const gl = make().getContext(kind) as WebGLRenderingContext | null;
    if (!gl) return null;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return renderer;
  } catch {
    return null;
  }
}

/**
 * The backend order asked for in the address (`?backend=wasm`), or the default order (wasm before
 * WebGL when WebGL is software-rendered; `software` is passed in for tests).
 */
export function backendOrder(search: string, software: string | null = softwareWebglRenderer()): readonly BrowserBackend[] {
  const want = new URLSearchParams(search).get('backend');
  if (want && (BROWSER_BACKENDS as readonly string[]).includes(want)) return [want as BrowserBackend];
  return software ? ['wasm', 'webgl', 'cpu'] : BROWSER_BACKENDS;
}
