/**
 * Loads a trained run over HTTP(S) (or any URL `fetch` reads): what a web page needs to use a run
 * folder made by `vae train` and served by `vae serve`, `vae export-site` or any static host.
 * Browser-safe: fetch and tfjs's own model loader, no Node modules.
 */
import * as tf from '../engine/tfjs.js';
import { UserError } from '../errors.js';
import { GmmPrior, type GmmParams } from '../math/prior.js';
import { validateModelConfig } from '../models/config.js';
import { Vae } from '../models/vae.js';
import type { RunJson } from './run.js';

/** A run loaded by {@link loadRunFromUrl}: its run.json and its best-validation model. */
export interface LoadedRun {
  /** The run's run.json (model config, dataset, training options, per-epoch history). */
  run: RunJson;
  /** The model of the run's best validation epoch. Call `vae.dispose()` when done with it. */
  vae: Vae;
}

async function fetchText(url: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new UserError(`${url}: cannot fetch (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!res.ok) throw new UserError(`${url}: HTTP ${res.status} ${res.statusText}`.trim());
  return res.text();
}

function parseJson(text: string, url: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${url}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * Loads the run folder at `url` (e.g. `'/runs/faces/'` or `'https://example.org/runs/faces'`):
 * `run.json`, then the encoder and decoder of the best validation epoch (tfjs layers format), and
 * the mixture prior's parameters when the run has one. Throws a `UserError` naming the URL and the
 * problem when a file is missing or is not what a run holds.
 *
 * @example
 * const { run, vae } = await loadRunFromUrl('runs/faces/');
 * const images = decodeZ(vae, new Float32Array([0, 0]), 1); // one 32×32×3 face
 */
export async function loadRunFromUrl(url: string): Promise<LoadedRun> {
  const base = url.endsWith('/') ? url : `${url}/`;
  const runUrl = `${base}run.json`;
  const run = parseJson(await fetchText(runUrl), runUrl) as RunJson;
  if (typeof run !== 'object' || run === null || run.format !== 'vae-ts-run') throw new UserError(`${runUrl}: not a vae-ts run file`);
  try {
    validateModelConfig(run.model);
  } catch (e) {
    throw new UserError(`${runUrl}: model: ${(e as Error).message}`);
  }
  if (!(Number.isSafeInteger(run.bestEpoch) && (run.bestEpoch as number) >= 1)) {
    throw new UserError(`${runUrl}: no trained model yet (no epoch has finished)`);
  }
  const tag = `e${run.bestEpoch}`;
  const load = async (part: string): Promise<tf.LayersModel> => {
    // the weights run.json commits (model.json may already name a newer file while training goes on)
    const weightUrlConverter = (name: string): Promise<string> => Promise.resolve(`${base}${part}/${name.replace(/^weights-.*\.bin$/, `weights-${tag}.bin`)}`);
    try {
      return await tf.loadLayersModel(`${base}${part}/model.json`, { weightUrlConverter });
    } catch (e) {
      throw new UserError(`${base}${part}/model.json: cannot load the model (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
    }
  };
  const [encoder, decoder] = await Promise.all([load('encoder'), load('decoder')]);
  let prior: GmmPrior | undefined;
  if (run.model.prior?.kind === 'gmm') {
    const priorUrl = `${base}prior-${tag}.json`;
    try {
      const p = parseJson(await fetchText(priorUrl), priorUrl) as GmmParams;
      const K = run.model.prior.components;
      const D = run.model.latent;
      const rows = (r: unknown): boolean => Array.isArray(r) && r.length === K && r.every((v) => Array.isArray(v) && v.length === D && v.every(Number.isFinite));
      if (!Array.isArray(p.logits) || p.logits.length !== K || !rows(p.means) || !rows(p.logvars)) {
        throw new UserError(`${priorUrl}: expected ${K} logits and ${K}×${D} means and logvars (the run's mixture prior)`);
      }
      prior = new GmmPrior(p);
    } catch (e) {
      encoder.dispose();
      decoder.dispose();
      throw e;
    }
  }
  return { run, vae: new Vae(run.model, encoder, decoder, prior) };
}
