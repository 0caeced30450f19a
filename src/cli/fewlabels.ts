/**
 * `vae fewlabels RUN --fraction 0.01`: classification with a few labels in latent space (seed 004):
 * keep the labels of a seeded random fraction of the training images, then classify the test
 * images by their k nearest labelled neighbours, and by k-means clusters (fit on all training
 * encodings) labelled by the majority of their labelled members.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { UserError } from '../errors.js';
import { accuracy, clusterClassify, kMeans, knnClassify, labelClusters, pickRows, sampleIndices } from '../analysis/cluster.js';
import type { Metric } from '../analysis/search.js';
import { loadRunModel } from '../train/run.js';
import { action, choiceOption, intOption, printJson, startBackend } from './common.js';
import { encodeMeans, loadImagesFor } from './splitImages.js';

interface FewLabelsOptions {
  fraction: number[];
  neighbours: number;
  clusters: number;
  metric: Metric;
  seed: number;
  limit?: number;
  json?: boolean;
  backend?: string;
}

function fractionList(v: string): number[] {
  const parts = v.split(',').map((s) => Number(s.trim()));
  if (v.trim() === '' || parts.some((f) => !(f > 0 && f <= 1))) throw new InvalidArgumentError(`--fraction must be numbers in (0, 1] such as 0.01 or 0.01,0.02 (got '${v}')`);
  return parts;
}

export function registerFewLabels(program: Command): void {
  program
    .command('fewlabels')
    .argument('<run>', 'run folder (a dataset with labels: MNIST, Fashion-MNIST, a folder of class sub-folders, a CSV with --label-column)')
    .description('semi-supervised classification in latent space: keep the labels of a seeded random fraction of the training images; ' +
      'classify the test images (encoder means) by the majority label of their k nearest labelled training images, and by ' +
      'k-means on all training encodings with each cluster labelled by the majority of its labelled members; prints both accuracies')
    .option('--fraction <list>', 'fraction(s) of training labels kept, e.g. 0.01 or 0.01,0.02', fractionList, [0.01])
    .option('--neighbours <k>', 'k of the nearest-labelled-neighbour vote', intOption('--neighbours', 1, 1000), 5)
    .option('--clusters <n>', 'k-means clusters (a cluster with no labelled member takes the label of the nearest one that has)', intOption('--clusters', 1, 10000), 50)
    .option('--metric <m>', 'distance of the neighbour vote: euclidean | cosine', choiceOption('--metric', ['euclidean', 'cosine'] as const), 'euclidean')
    .option('--seed <n>', 'seed of the labelled subset and of k-means', intOption('--seed', 0), 0)
    .option('--limit <n>', 'classify only the first N test images', intOption('--limit'))
    .option('--json', 'print the results as JSON on stdout')
    .option('--backend <name>', 'wasm | cpu', 'wasm')
    .action(action(async (dir: string, o: FewLabelsOptions) => {
      const backend = await startBackend(o.backend, true);
      const { run, vae } = await loadRunModel(dir);
      try {
        const d = vae.config.latent;
        const train = await loadImagesFor(run, { split: 'train' });
        // held-out images: the test split, or validation for datasets without one (image folders, CSV)
        const test = await loadImagesFor(run, { limit: o.limit });
        if (!train.labels || !test.labels) throw new UserError(`fewlabels needs labels; ${train.labels ? test.source : train.source} has none`);
        const trainMu = encodeMeans(vae, train.images, train.count, `encoding ${train.count} training images`, o.json);
        const testMu = encodeMeans(vae, test.images, test.count, `encoding ${test.count} test images`, o.json);
        const t0 = Date.now();
        const km = kMeans(trainMu, train.count, d, Math.min(o.clusters, train.count), { seed: o.seed });
        const results = o.fraction.map((fraction) => {
          const count = Math.max(1, Math.round(fraction * train.count));
          const idx = sampleIndices(train.count, count, o.seed);
          const labels = idx.map((i) => train.labels![i]);
          const knn = knnClassify(pickRows(trainMu, d, idx), labels, testMu, test.count, d, Math.min(o.neighbours, count), o.metric);
          const model = labelClusters(km, d, idx, labels);
          const byCluster = clusterClassify(model, testMu, test.count, d);
          return {
            fraction, labelled: count, knnAccuracy: accuracy(knn, test.labels!), kMeansAccuracy: accuracy(byCluster, test.labels!),
            clustersWithoutLabels: model.unlabelledClusters,
          };
        });
        const summary = {
          run: dir, train: train.count, test: test.count, neighbours: o.neighbours, clusters: o.clusters, metric: o.metric, seed: o.seed,
          kMeansIterations: km.iterations, seconds: (Date.now() - t0) / 1000, backend, results,
        };
        if (o.json) {
          printJson(summary);
          return;
        }
        const lines = [`classifying ${test.count} ${test.source} images from ${train.count} ${train.source} encodings (${d}-d encoder means), seed ${o.seed}:`];
        for (const r of results) {
          lines.push(`  ${(100 * r.fraction).toFixed(2)}% labels (${r.labelled}): ${o.neighbours}-NN ${(100 * r.knnAccuracy).toFixed(2)}%, ` +
            `k-means (${o.clusters} clusters${r.clustersWithoutLabels ? `, ${r.clustersWithoutLabels} without labels` : ''}) ${(100 * r.kMeansAccuracy).toFixed(2)}%`);
        }
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        vae.dispose();
      }
    }));
}
