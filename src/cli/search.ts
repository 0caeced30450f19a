/**
 * `vae search RUN IMAGE`: the training images nearest to a query in latent space (encoder means),
 * as a PNG (query, then the neighbours nearest first) and JSON; `--eval-precision N` measures
 * precision@k of same-label neighbours for the first N test images instead.
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { encodeImages } from '../analysis/generate.js';
import { nearestNeighbours, precisionAtK, type Metric } from '../analysis/search.js';
import { loadRunModel } from '../train/run.js';
import { writeJsonAtomic } from '../train/files.js';
import { action, checkOutputFile, choiceOption, defaultOut, intOption, printJson, startBackend, writeGridPng } from './common.js';
import { resolveInputs } from './inputs.js';
import { encodeMeans, loadImagesFor, type SplitName } from './splitImages.js';

const SPLIT_REF = /^(train|validation|test):(\d+)$/;

interface SearchOptions { k: number; metric: Metric; evalPrecision?: number; out?: string; json?: boolean; backend?: string }

export function registerSearch(program: Command): void {
  program
    .command('search')
    .argument('<run>', 'run folder')
    .argument('[image]', 'query: PNG file or SPLIT:INDEX (e.g. test:0)')
    .description('latent search: encode the query and every training image (encoder mean) and return the k nearest training images ' +
      '(PNG: query then neighbours, nearest first; JSON: index, label, distance). --eval-precision N instead reports precision@k ' +
      '(mean share of same-label neighbours) for the first N test images as queries')
    .option('--k <n>', 'neighbours', intOption('--k', 1, 1000), 10)
    .option('--metric <m>', 'euclidean | cosine (1 - cosine similarity)', choiceOption('--metric', ['euclidean', 'cosine'] as const), 'euclidean')
    .option('--eval-precision <n>', 'measure precision@k with the first N test images as queries (needs labels)', intOption('--eval-precision'))
    .option('--out <file.png>', 'output PNG; the JSON goes next to it (default RUN/search.png and RUN/search.json)')
    .option('--json', 'print the result as JSON on stdout')
    .option('--backend <name>', 'wasm | cpu', 'wasm')
    .action(action(async (dir: string, image: string | undefined, o: SearchOptions) => {
      if (image === undefined && o.evalPrecision === undefined) throw new UserError('give a query IMAGE (a PNG file or SPLIT:INDEX), or --eval-precision N');
      if (image !== undefined && o.evalPrecision !== undefined) throw new UserError('give a query IMAGE or --eval-precision N, not both');
      const out = defaultOut(dir, 'search.png', o.out);
      const jsonOut = checkOutputFile(out.slice(0, -4) + '.json', ['.json'], 'the JSON next to --out');
      const backend = await startBackend(o.backend, true);
      const { run, vae } = await loadRunModel(dir);
      try {
        const d = vae.config.latent;
        const size = vae.imageShape.reduce((a, b) => a * b, 1);
        const db = await loadImagesFor(run, { split: 'train' });
        const dbMu = encodeMeans(vae, db.images, db.count, `encoding ${db.count} training images`, o.json);

        if (o.evalPrecision !== undefined) {
          // the test split, or validation for datasets without one (image folders, CSV)
          const queries = await loadImagesFor(run, { limit: o.evalPrecision });
          if (!queries.labels || !db.labels) throw new UserError(`--eval-precision needs labels; ${queries.source} has none`);
          const qMu = encodeMeans(vae, queries.images, queries.count, 'encoding queries', o.json);
          const t0 = Date.now();
          const nb = nearestNeighbours(dbMu, db.count, qMu, queries.count, d, o.k, { metric: o.metric });
          const precision = precisionAtK(nb, queries.labels, db.labels);
          const result = { run: dir, queries: queries.count, database: db.count, source: `${queries.source} → ${db.source}`, k: nb.k, metric: o.metric,
            precisionAtK: precision, searchSeconds: (Date.now() - t0) / 1000, backend };
          if (o.json) printJson(result);
          else process.stdout.write(`precision@${nb.k} (${o.metric}) of same-label neighbours: ${(100 * precision).toFixed(2)}% ` +
            `(${queries.count} ${queries.source} queries against ${db.count} ${db.source} images)\n`);
          return;
        }

        // SPLIT:INDEX queries come from the split as a whole is prepared (the same binarisation draw
        // as the database), so a training image finds itself at distance 0
        const ref = SPLIT_REF.exec(image!);
        let q: Float32Array;
        if (ref && !fs.existsSync(image!)) {
          const split = ref[1] as SplitName;
          const set = split === 'train' ? db : await loadImagesFor(run, { split });
          const idx = Number(ref[2]);
          if (idx >= set.count) throw new UserError(`${image}: index out of range (the ${split} split has ${set.count} images)`);
          q = set.images.slice(idx * size, (idx + 1) * size);
        } else {
          q = (await resolveInputs(run, [image!])).images;
        }
        const qMu = encodeImages(vae, q, 1).mu;
        const nb = nearestNeighbours(dbMu, db.count, qMu, 1, d, o.k, { metric: o.metric });
        const neighbours = Array.from(nb.indices, (index, r) => ({
          rank: r + 1, index, ...(db.labels && { label: db.labels[index] }), ...(db.files && { file: db.files[index] }), distance: nb.distances[r],
        }));
        const strip = new Float32Array((nb.k + 1) * size);
        strip.set(q, 0);
        nb.indices.forEach((index, r) => strip.set(db.images.subarray(index * size, (index + 1) * size), (r + 1) * size));
        writeGridPng(out, strip, nb.k + 1, vae.imageShape, { cols: nb.k + 1 });
        const result = { run: dir, query: image, database: db.source, metric: o.metric, k: nb.k, neighbours };
        writeJsonAtomic(jsonOut, result);
        if (o.json) {
          printJson(result);
          return;
        }
        const rows = neighbours.map((n) => `  ${String(n.rank).padStart(3)}. train #${n.index}${n.label !== undefined ? `  label ${n.label}` : ''}${n.file ? `  ${n.file}` : ''}  distance ${n.distance.toFixed(4)}`);
        process.stdout.write(`nearest ${nb.k} of ${db.count} training images to ${image} (${o.metric}):\n${rows.join('\n')}\nwrote ${out} (query, then neighbours) and ${jsonOut}\n`);
      } finally {
        vae.dispose();
      }
    }));
}
