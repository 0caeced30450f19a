/**
 * MNIST view, manifold: the decoder's images over a regular grid of latent points, tiled into one
 * picture. A 2-D latent space is covered directly (z₁ across, z₂ up); for more dimensions the grid
 * runs along the first two principal directions of the test set's means, all else at 0.
 */
import type { RunContext, Widget } from '../app.js';
import type { ModelQueue } from '../queue.js';
import { card, el, markReady } from '../ui/card.js';
import { MNIST_ONLY, isMnistLike, type TestSets } from '../testset.js';

export const EXPLANATION =
  'The decoder as a map: each tile is the image the decoder makes of one point of a regular ' +
  'grid in latent space, from −2 to 2 in each direction (two standard deviations of the prior, ' +
  'where almost all of its mass lies). With a 2-D latent space the grid covers z₁ from left to ' +
  'right and z₂ from bottom to top, so neighbouring tiles are neighbouring points and you can ' +
  'watch one digit morph into the next (as in Kingma and Welling\'s figure 4). With more latent ' +
  'dimensions the grid varies the first two principal directions of the test set\'s means and ' +
  'keeps every other direction at 0. Point at a tile to read its z.';

export const MANIFOLD_N = 10;
export const MANIFOLD_R = 2;

/** The grid's coordinates along each axis: n points from −r to r. */
export function gridValues(n = MANIFOLD_N, r = MANIFOLD_R): number[] {
  return Array.from({ length: n }, (_, i) => (n === 1 ? 0 : -r + (2 * r * i) / (n - 1)));
}

export function manifold(queue: ModelQueue, sets: TestSets): Widget {
  const c = card('manifold', 'MNIST · The decoded manifold', EXPLANATION);
  const canvas = document.createElement('canvas');
  canvas.className = 'img manifold';
  canvas.dataset.role = 'manifold';
  const readout = el('p', 'small mono', ' ');
  const note = el('p', 'small manifold-note');
  const side = el('div', 'side');
  side.append(note, readout);
  c.body.append(canvas, side);

  let ctx: RunContext | null = null;
  let zs: Float32Array | null = null;
  const n = MANIFOLD_N;
  const values = gridValues();

  canvas.addEventListener('pointermove', (e) => {
    const run = ctx;
    if (!zs || !run) return;
    const box = canvas.getBoundingClientRect();
    const col = Math.floor(((e.clientX - box.left) / box.width) * n);
    const row = Math.floor(((e.clientY - box.top) / box.height) * n);
    if (col < 0 || col >= n || row < 0 || row >= n) return;
    const a = values[col], b = values[n - 1 - row];
    readout.textContent = run.model.latent === 2 ? `z = (${a.toFixed(2)}, ${b.toFixed(2)})` : `z = ${a.toFixed(2)}·PC1 + ${b.toFixed(2)}·PC2`;
  });

  /** The n·n latent points of the grid, row 0 at the top (largest second coordinate). */
  const gridPoints = (latent: number, dirs: [ArrayLike<number>, ArrayLike<number>] | null): Float32Array => {
    const z = new Float32Array(n * n * latent);
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        const a = values[col], b = values[n - 1 - row];
        const o = (row * n + col) * latent;
        if (!dirs) {
          z[o] = a;
          if (latent > 1) z[o + 1] = b;
        } else {
          for (let j = 0; j < latent; j++) z[o + j] = a * dirs[0][j] + b * dirs[1][j];
        }
      }
    }
    return z;
  };

  return {
    name: 'manifold',
    root: c.root,
    async setRun(next) {
      ctx = next;
      if (!isMnistLike(next.run)) {
        c.notice(MNIST_ONLY);
        markReady(c.root, next.run.name);
        return;
      }
      c.notice(null);
      const latent = next.model.latent;
      let dirs: [ArrayLike<number>, ArrayLike<number>] | null = null;
      if (latent > 2) {
        const v = await sets.latent(next);
        if (ctx !== next || !v.pca) return;
        dirs = [v.pca.components[0], v.pca.components[1]];
        note.textContent = `The latent space has ${latent} dimensions: the grid varies the first two principal directions of the test set's means (PC 1 across, PC 2 up), with every other direction at 0.`;
      } else {
        note.textContent = latent === 2 ? 'z₁ from −2 (left) to 2 (right), z₂ from −2 (bottom) to 2 (top).' : 'z₁ from −2 to 2 (one latent dimension).';
      }
      const z = gridPoints(latent, dirs);
      const images = await queue.run('manifold', () => next.model.decode(z, n * n));
      if (!images || ctx !== next) return;
      zs = z;
      const [h, w, ch] = next.model.imageShape;
      drawTiles(canvas, images, n, h, w, ch);
      markReady(c.root, next.run.name);
    },
  };
}

/** Draws n×n images (h × w × ch each, in [0, 1]) as one n·w × n·h canvas. */
function drawTiles(canvas: HTMLCanvasElement, images: Float32Array, n: number, h: number, w: number, ch: number): void {
  canvas.width = n * w;
  canvas.height = n * h;
  canvas.style.width = `${Math.max(280, 2 * n * w)}px`;
  canvas.style.height = `${Math.max(280, 2 * n * h)}px`;
  const g = canvas.getContext('2d');
  if (!g) return;
  const img = g.createImageData(n * w, n * h);
  const byte = (v: number): number => (v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255));
  for (let k = 0; k < n * n; k++) {
    const tr = Math.floor(k / n), tc = k % n;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const src = ((k * h + y) * w + x) * ch;
        const dst = 4 * ((tr * h + y) * n * w + tc * w + x);
        const r = byte(images[src]);
        img.data[dst] = r;
        img.data[dst + 1] = ch === 1 ? r : byte(images[src + 1]);
        img.data[dst + 2] = ch === 1 ? r : byte(images[src + 2]);
        img.data[dst + 3] = 255;
      }
    }
  }
  g.putImageData(img, 0, 0);
}
