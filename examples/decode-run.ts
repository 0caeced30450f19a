// Load a run folder trained by `vae train`, decode a few latent points and save them as a PNG
// (Node, TypeScript). Type-checked against the package's declarations by the pack test.
//   npx tsx examples/decode-run.ts runs/faces out.png     (or compile it with tsc)
import { decodeZ, sampleImages, tileImages, useBackend, type TiledImage, type Vae } from 'vae-ts';
import { loadRunModel, writePngAtomic } from 'vae-ts/node';

/** Decodes `z` (n·latent values) and the model's own samples into one grid image. */
function grid(vae: Vae, z: Float32Array, samples: number): TiledImage {
  const n = z.length / vae.config.latent;
  const drawn = sampleImages(vae, samples, 0).images;
  const images = new Float32Array([...decodeZ(vae, z, n), ...drawn]);
  const [h, w, c] = vae.imageShape;
  return tileImages(images, n + samples, h, w, c, { cols: n + samples, scale: 2 });
}

const [runDir = 'runs/faces', out = 'decoded.png'] = process.argv.slice(2);
await useBackend('wasm');
const { run, vae } = await loadRunModel(runDir);
const z = new Float32Array(vae.config.latent * 3);
z[0] = -1.5; // first point: z_0 = -1.5, second: the origin, third: z_0 = +1.5
z[2 * vae.config.latent] = 1.5;
const g = grid(vae, z, 3);
writePngAtomic(out, g.data, g.width, g.height, g.channels as 1 | 3);
console.log(`${out}: 3 decoded points and 3 samples of ${runDir} (best epoch ${run.bestEpoch})`);
vae.dispose();
