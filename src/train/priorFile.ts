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
import { GmmPrior, type GmmParams, type Prior } from '../math/prior.js';
import type { ModelConfig } from '../models/config.js';
import type { Vae } from '../models/vae.js';
import { writeJsonAtomic } from './files.js';

/** Files `pruneFiles` may remove when run.json names another tag. */
export const PRIOR_FILE = /^prior-.*\.json$/;
export const priorFileName = (tag: string): string => `prior-${tag}.json`;

/** Writes DIR/prior-<tag>.json for a mixture prior; does nothing for the standard normal. */
export function savePrior(dir: string, vae: Vae, tag: string): void {
  if (!(vae.prior instanceof GmmPrior)) return;
  fs.mkdirSync(dir, { recursive: true });
  writeJsonAtomic(path.join(dir, priorFileName(tag)), { kind: 'gmm', ...vae.prior.getParams() });
}

/** The prior saved in DIR under `tag` for a model config: undefined (the Vae makes a standard normal) or the loaded mixture. */
export function loadPrior(dir: string, config: ModelConfig, tag: string): Prior | undefined {
  if (config.prior?.kind !== 'gmm') return undefined;
  const file = path.join(dir, priorFileName(tag));
  if (!fs.existsSync(file)) throw new UserError(`${file}: missing or not valid JSON (the run's model has a mixture prior): file not found`);
  const params = parseJson(readRegularFile(file, 64 << 20, file).toString('utf8'), file) as GmmParams;
  if (typeof params !== 'object' || params === null) throw new UserError(`${file}: not a mixture prior (the run's model has one)`);
  const K = config.prior.components;
  const D = config.latent;
  const ok = (rows: unknown): boolean => Array.isArray(rows) && rows.length === K && rows.every((r) => Array.isArray(r) && r.length === D && r.every((v) => typeof v === 'number'));
  if (!Array.isArray(params.logits) || params.logits.length !== K || !ok(params.means) || !ok(params.logvars)) {
    throw new UserError(`${file}: expected ${K} logits and ${K}x${D} means and logvars (the run's mixture prior)`);
  }
  return new GmmPrior(params);
}
