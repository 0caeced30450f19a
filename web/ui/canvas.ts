/** Canvas helpers: show an image held as a Float32Array (HWC, values in [0, 1]). */

/** A canvas of the image's own resolution, shown `cssSize` pixels wide with crisp pixels. */
export function imageCanvas(height: number, width: number, cssSize: number, className = 'img'): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  c.className = className;
  // at most cssSize wide, narrower when its column is (the height follows the aspect ratio)
  c.style.width = `${cssSize}px`;
  c.style.maxWidth = '100%';
  c.style.height = 'auto';
  c.style.aspectRatio = `${width} / ${height}`;
  c.setAttribute('role', 'img');
  c.setAttribute('aria-label', 'image');
  return c;
}

/** Draws `data` (height × width × channels, channels 1 or 3, values in [0, 1]) into the canvas. */
export function drawImage(canvas: HTMLCanvasElement, data: ArrayLike<number>, height: number, width: number, channels: number, offset = 0): void {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(width, height);
  const px = img.data;
  const byte = (v: number): number => (v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255));
  for (let i = 0, n = width * height; i < n; i++) {
    const o = offset + i * channels;
    if (channels === 1) {
      const g = byte(data[o]);
      px[4 * i] = g;
      px[4 * i + 1] = g;
      px[4 * i + 2] = g;
    } else {
      px[4 * i] = byte(data[o]);
      px[4 * i + 1] = byte(data[o + 1]);
      px[4 * i + 2] = byte(data[o + 2]);
    }
    px[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** A labelled image: a figure with a canvas and a caption under it. */
export function captionedImage(height: number, width: number, cssSize: number, caption: string, role: string): { figure: HTMLElement; canvas: HTMLCanvasElement; caption: HTMLElement } {
  const figure = document.createElement('figure');
  figure.className = 'image';
  const canvas = imageCanvas(height, width, cssSize);
  canvas.dataset.role = role;
  canvas.setAttribute('aria-label', caption);
  const cap = document.createElement('figcaption');
  cap.textContent = caption;
  figure.append(canvas, cap);
  return { figure, canvas, caption: cap };
}
