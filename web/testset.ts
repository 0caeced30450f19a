/**
 * The test images of MNIST-like runs (fetched once per run from `runs/NAME/testset.bin`, layout in
 * src/server/testsetFormat.ts) and their encodings by the active model, shared by the MNIST views
 * (latent scatter, manifold, interpolation). Encoding goes through the page's model queue.
 */
import { pca, project, type Pca } from '../src/analysis/pca.js';
import { parseTestSet, type TestSet } from '../src/server/testsetFormat.js';
import type { RunSummary } from '../src/server/runs.js';
import type { RunContext } from './app.js';
import type { LoadedModel } from './model.js';
import type { ModelQueue } from './queue.js';

/** An MNIST-like run: mnist or fashion-mnist, 28×28×1 images, with a test set to show. */
export const isMnistLike = (r: RunSummary): boolean =>
  (r.dataset.name === 'mnist' || r.dataset.name === 'fashion-mnist') &&
  r.model.height === 28 && r.model.width === 28 && r.model.channels === 1 && !!r.urls.testset;

/**
 * A run with labelled test images to scatter (`runs/NAME/testset.bin`): MNIST-like runs, and image
 * folders with class sub-folders (any size; their validation images stand in for a test split).
 */
export const hasLabelledImages = (r: RunSummary): boolean => !!r.urls.testset;

/** The note the latent scatter shows for runs without labelled images. */
export const LABELLED_ONLY = 'this view is for runs with labelled images (mnist, fashion-mnist, or an image folder with class sub-folders); the active run has none';

/** The note the MNIST views show for other runs. */
export const MNIST_ONLY = 'this view is for MNIST-like runs (mnist, fashion-mnist); the active run is not one';

export interface TestImages extends TestSet {
  /** The pixels as floats in [0, 1], NHWC (what the encoder takes). */
  images: Float32Array;
}

/** The test set in the latent space of one model. */
export interface LatentView {
  test: TestImages;
  /** Encoder means, count × latent. */
  mu: Float32Array;
  latent: number;
  /** PCA of the means (latent > 2 only). */
  pca: Pca | null;
  /** 2-D coordinates to plot: the means themselves (2-D latent) or their PCA projection. */
  xy: Float32Array;
}

/** Images encoded per queued call (keeps one call short, so a drag elsewhere is not held up long). */
const BATCH = 500;

export class TestSets {
  private sets = new Map<string, Promise<TestImages>>();
  private views = new WeakMap<LoadedModel, Promise<LatentView>>();

  constructor(private readonly queue: ModelQueue) {}

  /** The run's test images (fetched once). */
  testset(run: RunSummary): Promise<TestImages> {
    const url = run.urls.testset;
    if (!url) return Promise.reject(new Error(`run '${run.name}' has no test set`));
    let p = this.sets.get(url);
    if (!p) {
      p = (async () => {
        const res = await fetch(url);
        if (!res.ok) throw new Error(`${url}: ${res.status} ${(await res.text()).trim()}`);
        const t = parseTestSet(await res.arrayBuffer());
        const images = new Float32Array(t.pixels.length);
        for (let i = 0; i < images.length; i++) images[i] = t.pixels[i] / 255;
        return { ...t, images };
      })();
      p.catch(() => this.sets.delete(url));
      this.sets.set(url, p);
    }
    return p;
  }

  /** The test set encoded by the context's model (once per loaded model). */
  latent(ctx: RunContext): Promise<LatentView> {
    let p = this.views.get(ctx.model);
    if (!p) {
      p = this.encodeAll(ctx);
      p.catch(() => this.views.delete(ctx.model));
      this.views.set(ctx.model, p);
    }
    return p;
  }

  private async encodeAll(ctx: RunContext): Promise<LatentView> {
    const test = await this.testset(ctx.run);
    const model = ctx.model;
    const latent = model.latent;
    const size = test.height * test.width * test.channels;
    const mu = new Float32Array(test.count * latent);
    for (let start = 0; start < test.count; start += BATCH) {
      const n = Math.min(BATCH, test.count - start);
      const x = test.images.subarray(start * size, (start + n) * size);
      // a unique key per batch: these calls must all run (a newer one must not replace them)
      const enc = await this.queue.run(`testset:${ctx.run.name}:${start}`, () => model.encode(x, n));
      if (!enc) throw new Error('test-set encoding was cancelled');
      mu.set(enc.mu, start * latent);
    }
    let p: Pca | null = null;
    let xy: Float32Array;
    if (latent === 2) xy = mu;
    else if (latent > 2) {
      p = pca(mu, test.count, latent);
      xy = project(p, mu, test.count, 2);
    } else {
      xy = new Float32Array(test.count * 2);
      for (let i = 0; i < test.count; i++) xy[2 * i] = mu[i];
    }
    return { test, mu, latent, pca: p, xy };
  }
}

/** Ten distinguishable colours for the class labels (Tableau 10). */
export const LABEL_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
