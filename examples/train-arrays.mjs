/* global console */
// Train a VAE on your own arrays, then score new inputs for anomalies (Node, ES modules).
//   node examples/train-arrays.mjs            (in a project that has vae-ts installed)
// The "own data" here: 600 8×8 grey images of a bright bar at a random row or column.
import { MLP_400_20, Vae, anomalyScores, datasetFromArray, fitModelToData, rankByScore, train, useBackend } from 'vae-ts';

function bars(n, seed) {
  let s = seed;
  const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const images = new Float32Array(n * 64);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(rand() * 8);
    const vertical = rand() < 0.5;
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) images[i * 64 + y * 8 + x] = (vertical ? x : y) === k ? 0.9 : 0.1;
  }
  return images;
}

console.log('backend:', await useBackend('wasm')); // 'native' in vae-ts/node when the addon is built
const data = datasetFromArray(bars(600, 1), [600, 8, 8, 1], { validation: 0.2 });
const config = fitModelToData(MLP_400_20, data, { hidden: [64], latent: 2, likelihood: { kind: 'bernoulli' } });
const vae = Vae.create(config, 0);
const history = await train(vae, data, {
  epochs: 8, batchSize: 32, learningRate: 3e-3,
  onEpoch: (r) => console.log(`epoch ${r.epoch}: validation -ELBO ${r.validation.loss.toFixed(2)} nats`),
});

// new inputs: 5 bars like the training data, then 2 that are not (noise, a checkerboard)
const fresh = bars(5, 99);
const noise = Float32Array.from({ length: 64 }, (_, i) => ((i * 7919) % 13) / 13);
const checker = Float32Array.from({ length: 64 }, (_, i) => (((i >> 3) + i) % 2 ? 0.9 : 0.1));
const inputs = new Float32Array([...fresh, ...noise, ...checker]);
const { negLogPx } = await anomalyScores(vae, inputs, 7, { samples: 64, seed: 0 });
const order = rankByScore(negLogPx);
console.log('-log p(x) per input:', Array.from(negLogPx, (v) => v.toFixed(1)).join(' '));
console.log('most anomalous first:', order.join(' '));
console.log(JSON.stringify({ epochs: history.length, lastValidation: history.at(-1).validation.loss, mostAnomalous: order.slice(0, 2) }));
vae.dispose();
