/**
 * A mixture prior's parameters in a run folder: `prior-<tag>.json` next to encoder/ and decoder/
 * (best model, tag e<bestEpoch>) and in state/ (for --resume, tag as run.json commits it), with the
 * same tags as the weight files so run.json stays the commit point. Plain JSON numbers hold float32
 * values exactly, so a save/load round trip is bit for bit, and the browser can fetch() the file.
 * Runs with the standard normal prior have no such file.
 */
import * as fs from 'node:fs';
import { parseJson, readRegularFile } from '../data/files.js';
import * as path from 'node:path';
import { UserError } from '../errors.js';
import { GmmPrior, VampPrior, type GmmParams, type Prior, type VampParams } from '../math/prior.js';
import type { ModelConfig } from '../models/config.js';
import type { Vae } from '../models/vae.js';
import { writeJsonAtomic } from './files.js';

/** Files `pruneFiles` may remove when run.json names another tag. */
export const PRIOR_FILE = /^prior-.*\.json$/;
export const priorFileName = (tag: string): string => `prior-${tag}.json`;

/** Whether runs of this config keep a prior file (a mixture prior or a VampPrior). */
export function hasPriorFile(config: Pick<ModelConfig, 'prior'>): boolean {
  return config.prior?.kind === 'gmm' || config.prior?.kind === 'vamp';
}

/**
 * Writes DIR/prior-<tag>.json for a mixture prior or a VampPrior; does nothing for the standard
 * normal. A VampPrior's file holds its pseudo-inputs (what --resume and loading read) and also the
 * equal-weight mixture they give through the encoder saved with the same tag (logits, means,
 * logvars: what the explorer reads, as for a mixture prior).
 */
export function savePrior(dir: string, vae: Vae, tag: string): void {
  if (vae.prior instanceof GmmPrior) {
    fs.mkdirSync(dir, { recursive: true });
    writeJsonAtomic(path.join(dir, priorFileName(tag)), { kind: 'gmm', ...vae.prior.getParams() });
  } else if (vae.prior instanceof VampPrior) {
    fs.mkdirSync(dir, { recursive: true });
    writeJsonAtomic(path.join(dir, priorFileName(tag)), { kind: 'vamp', ...vae.prior.mixture(), ...vae.prior.getParams() });
  }
}

/** The prior saved in DIR under `tag` for a model config: undefined (the Vae makes a standard normal) or the loaded mixture. */
export function loadPrior(dir: string, config: ModelConfig, tag: string): Prior | undefined {
  if (!hasPriorFile(config)) return undefined;
  const file = path.join(dir, priorFileName(tag));
  if (!fs.existsSync(file)) throw new UserError(`${file}: missing or not valid JSON (the run's model has a ${config.prior?.kind === 'vamp' ? 'VampPrior' : 'mixture prior'}): file not found`);
  const params = parseJson(readRegularFile(file, 64 << 20, file).toString('utf8'), file) as GmmParams;
  if (typeof params !== 'object' || params === null) throw new UserError(`${file}: not a ${config.prior?.kind === 'vamp' ? 'VampPrior' : 'mixture prior'} (the run's model has one)`);
  if (config.prior?.kind === 'vamp') {
    const v = params as unknown as Partial<VampParams>;
    const K = config.prior.components;
    const shape: [number, number, number] = [config.height, config.width, config.channels];
    const size = shape[0] * shape[1] * shape[2];
    const ok = Array.isArray(v.pseudoInputs) && v.pseudoInputs.length === K && v.pseudoInputs.every((r) => Array.isArray(r) && r.length === size && r.every((x) => typeof x === 'number'));
    if (!ok) throw new UserError(`${file}: expected ${K} pseudo-inputs of ${shape.join('×')} values (the run's VampPrior)`);
    return new VampPrior({ pseudoInputs: v.pseudoInputs!, shape }, config.latent);
  }
  if (config.prior?.kind !== 'gmm') return undefined;
  const K = config.prior.components;
  const D = config.latent;
  const ok = (rows: unknown): boolean => Array.isArray(rows) && rows.length === K && rows.every((r) => Array.isArray(r) && r.length === D && r.every((v) => typeof v === 'number'));
  if (!Array.isArray(params.logits) || params.logits.length !== K || !ok(params.means) || !ok(params.logvars)) {
    throw new UserError(`${file}: expected ${K} logits and ${K}x${D} means and logvars (the run's mixture prior)`);
  }
  return new GmmPrior(params);
}
