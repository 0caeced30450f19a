/**
 * Model configuration: a plain object with defaults (nanoGPT style), validated with clear errors.
 *
 * Two families:
 * - `conv`: the convolutional VAE of seed 000 (3x32x32, conv 32/64/128 stride 2, 2048 -> latent;
 *   decoder latent -> 2048 -> transposed convs 64/32/3), generalised to image size, channels,
 *   filters and latent size.
 * - `mlp`: MLP VAEs (seed 001: tanh; seed 002: two LeakyReLU(0.2) layers; the PyTorch example:
 *   ReLU 400 / 20).
 */
import { UserError } from '../errors.js';
import type { PriorConfig } from '../math/prior.js';
import type { InitScheme } from './init.js';

/**
 * p(x|z): 'gaussian' (fixed σ², decoder means; `mean` says how the decoder's last layer maps to
 * the mean: 'sigmoid' (default, images in [0, 1]) or 'identity' (a linear output, for standardised
 * tabular data)), 'bernoulli' (logits), 'gaussian-learned' (σ-VAE, per-image optimal σ², decoder
 * means), 'continuous-bernoulli' (logits); see src/math/likelihood.ts.
 */
export type LikelihoodConfig = { kind: 'gaussian'; sigma2: number; mean?: 'sigmoid' | 'identity' } | { kind: 'bernoulli' } | { kind: 'gaussian-learned' } | { kind: 'continuous-bernoulli' };
export const LIKELIHOOD_KINDS = ['gaussian', 'bernoulli', 'gaussian-learned', 'continuous-bernoulli'] as const;
/** Hidden-layer activation of an MLP model (leakyRelu has slope 0.2). */
export type Activation = 'relu' | 'tanh' | 'leakyRelu';

/** A convolutional VAE (seed 000): stride-2 convolutions down, transposed convolutions up. */
export interface ConvModelConfig {
  kind: 'conv';
  height: number;
  width: number;
  channels: number;
  latent: number;
  /** Encoder filters per stride-2 conv; the decoder mirrors them. Seed 000: [32, 64, 128]. */
  filters: number[];
  likelihood: LikelihoodConfig;
  /** p(z): absent or standard = N(0, I); gmm = a learnable mixture of K Gaussians (src/math/prior.ts). */
  prior?: PriorConfig;
  /** Weight initialisation (src/models/init.ts); absent = 'glorot' (runs made before the option). */
  init?: InitScheme;
}

/** A fully connected VAE (the PyTorch example's 784-400-20 and the seeds' variants). */
export interface MlpModelConfig {
  kind: 'mlp';
  height: number;
  width: number;
  channels: number;
  latent: number;
  /** Hidden layer sizes of the encoder; the decoder mirrors them. */
  hidden: number[];
  activation: Activation;
  likelihood: LikelihoodConfig;
  /** p(z): absent or standard = N(0, I); gmm = a learnable mixture of K Gaussians (src/math/prior.ts). */
  prior?: PriorConfig;
  /** Weight initialisation (src/models/init.ts); absent = 'glorot' (runs made before the option). */
  init?: InitScheme;
}

/** The plain, serialisable description of a model (stored in run.json); `Vae.create` builds it. */
export type ModelConfig = ConvModelConfig | MlpModelConfig;

/**
 * The seed-000 model: 3x32x32 faces, 2-D latent, Gaussian likelihood with sigma^2 = 1, PyTorch's
 * default initialisation (it converges faster than Glorot here; README, Model quality).
 */
export const SEED000_CONV: ConvModelConfig = {
  kind: 'conv',
  height: 32,
  width: 32,
  channels: 3,
  latent: 2,
  filters: [32, 64, 128],
  likelihood: { kind: 'gaussian', sigma2: 1 },
  init: 'pytorch',
};

/** The well-known PyTorch example: 784-400-20, ReLU, Bernoulli, PyTorch's default initialisation. */
export const MLP_400_20: MlpModelConfig = {
  kind: 'mlp',
  height: 28,
  width: 28,
  channels: 1,
  latent: 20,
  hidden: [400],
  activation: 'relu',
  likelihood: { kind: 'bernoulli' },
  init: 'pytorch',
};

/** Named presets for `--model`. */
export const PRESETS: Record<string, ModelConfig> = {
  conv: SEED000_CONV,
  mlp: MLP_400_20,
  // seed 001: one tanh hidden layer
  'mlp-tanh': { ...MLP_400_20, hidden: [500], activation: 'tanh' },
  // seed 002: two LeakyReLU(0.2) hidden layers
  'mlp-leaky': { ...MLP_400_20, hidden: [400, 400], activation: 'leakyRelu', latent: 200 },
};

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/**
 * Checks a config (for example one read from run.json or built from CLI flags) and returns it
 * typed; throws UserError naming the first bad field.
 */
/** Most hidden layers (MLP) or convolution stages a model may have, and most units or filters per layer. */
const MAX_LAYERS = 16;
const MAX_WIDTH = 65536;

export function validateModelConfig(c: unknown): ModelConfig {
  if (typeof c !== 'object' || c === null) throw new UserError('model config must be an object');
  const o = c as Record<string, unknown>;
  const need = (cond: boolean, msg: string): void => {
    if (!cond) throw new UserError(`invalid model config: ${msg}`);
  };
  need(o.kind === 'conv' || o.kind === 'mlp', `kind must be 'conv' or 'mlp' (got ${JSON.stringify(o.kind)})`);
  for (const k of ['height', 'width', 'channels', 'latent']) need(isPosInt(o[k]), `${k} must be a positive integer (got ${JSON.stringify(o[k])})`);
  // bounds before anything is built or recursed over (a list of 3000 layers overflowed the stack)
  for (const [k, max] of [['height', 4096], ['width', 4096], ['channels', 4], ['latent', 4096]] as const) {
    need((o[k] as number) <= max, `${k} must be at most ${max} (got ${o[k] as number})`);
  }
  const lik = o.likelihood as Record<string, unknown> | undefined;
  need(typeof lik === 'object' && lik !== null && (LIKELIHOOD_KINDS as readonly unknown[]).includes(lik.kind), `likelihood.kind must be one of ${LIKELIHOOD_KINDS.join(', ')}`);
  if (lik!.kind === 'gaussian') need(typeof lik!.sigma2 === 'number' && (lik!.sigma2 as number) > 0, 'likelihood.sigma2 must be a positive number');
  if (lik!.kind === 'gaussian') need(lik!.mean === undefined || lik!.mean === 'sigmoid' || lik!.mean === 'identity', "likelihood.mean must be 'sigmoid' or 'identity'");
  if (o.prior !== undefined) {
    const p = o.prior as Record<string, unknown> | null;
    need(typeof p === 'object' && p !== null && (p.kind === 'standard' || ((p.kind === 'gmm' || p.kind === 'vamp') && isPosInt(p.components))),
      "prior must be { kind: 'standard' }, { kind: 'gmm', components: K } or { kind: 'vamp', components: K } with K a positive integer");
  }
  if (o.init !== undefined) need(o.init === 'glorot' || o.init === 'pytorch', `init must be 'glorot' or 'pytorch' (got ${JSON.stringify(o.init)})`);
  if (o.kind === 'conv') {
    const f = o.filters;
    need(Array.isArray(f) && f.length > 0 && f.every(isPosInt), 'filters must be a non-empty list of positive integers');
    need((f as number[]).length <= MAX_LAYERS && (f as number[]).every((n) => n <= MAX_WIDTH), `filters: at most ${MAX_LAYERS} stages of at most ${MAX_WIDTH} filters`);
    const down = 2 ** (f as number[]).length;
    need((o.height as number) % down === 0 && (o.width as number) % down === 0,
      `height and width (${o.height}x${o.width}) must be divisible by 2^${(f as number[]).length} = ${down} for ${(f as number[]).length} stride-2 convolutions`);
  } else {
    const h = o.hidden;
    need(Array.isArray(h) && h.every(isPosInt), 'hidden must be a list of positive integers');
    need((h as number[]).length <= MAX_LAYERS && (h as number[]).every((n) => n <= MAX_WIDTH),
      `hidden: at most ${MAX_LAYERS} layers of at most ${MAX_WIDTH} units (got ${(h as number[]).length} layers${(h as number[]).length <= MAX_LAYERS ? `, largest ${Math.max(0, ...(h as number[]))}` : ''})`);
    need(o.activation === 'relu' || o.activation === 'tanh' || o.activation === 'leakyRelu', "activation must be 'relu', 'tanh' or 'leakyRelu'");
  }
  return c as ModelConfig;
}

/**
 * What a run's losses owe to its likelihood, in one line of at most ~115 characters (a line under
 * `vae plot`'s curves, whose width it must not set; `vae train`'s start; the explorer's evolution
 * view): the Gaussian's constant ½·d·log(2πσ²), which even a perfect reconstruction costs (most of
 * a faces run's loss), or why there is no such floor.
 */
export function likelihoodNote(model: Pick<ModelConfig, 'height' | 'width' | 'channels' | 'likelihood'>): string {
  const lik = model.likelihood;
  const d = model.height * model.width * model.channels;
  const dims = `d = ${model.channels}×${model.height}×${model.width} = ${d}`;
  switch (lik.kind) {
    case 'gaussian': {
      const term = lik.sigma2 === 1 ? '½·d·log 2π' : `½·d·log(2π·${lik.sigma2})`;
      const constant = 0.5 * d * Math.log(2 * Math.PI * lik.sigma2);
      return `Gaussian likelihood (σ² = ${lik.sigma2}): losses include its constant ${term} = ${constant.toFixed(2)} nats (${dims})`;
    }
    case 'bernoulli':
      return 'Bernoulli likelihood (from logits): no constant; a perfect reconstruction of binary pixels costs 0 nats';
    case 'gaussian-learned': {
      const constant = 0.5 * d * (Math.log(2 * Math.PI) + 1);
      return `σ-VAE Gaussian (σ² = each image's MSE): losses include ½·d·(log 2π + 1) = ${constant.toFixed(2)} nats + ½·d·log σ², can be < 0`;
    }
    case 'continuous-bernoulli':
      return 'continuous Bernoulli likelihood (from logits): a density on [0, 1], so log-likelihoods can be > 0, losses negative';
  }
}

/** Human-readable one-line description, e.g. for the start of `vae train`. */
export function describeModel(c: ModelConfig): string {
  const names = { bernoulli: 'Bernoulli', 'gaussian-learned': 'Gaussian(optimal sigma^2 per image)', 'continuous-bernoulli': 'continuous Bernoulli' };
  const lik = (c.likelihood.kind === 'gaussian' ? `Gaussian(sigma^2=${c.likelihood.sigma2}${c.likelihood.mean === 'identity' ? ', linear mean' : ''})` : names[c.likelihood.kind]) +
    (c.prior?.kind === 'gmm' ? `, mixture prior of ${c.prior.components} Gaussians` : '') +
    (c.prior?.kind === 'vamp' ? `, VampPrior with ${c.prior.components} pseudo-inputs` : '') +
    (c.init ? `, ${c.init} init` : '');
  const shape = `${c.channels}x${c.height}x${c.width}`;
  if (c.kind === 'conv') return `conv VAE ${shape}, filters ${c.filters.join('/')}, latent ${c.latent}, ${lik}`;
  return `MLP VAE ${c.height * c.width * c.channels}-${c.hidden.join('-')}-${c.latent} (${c.activation}), ${lik}`;
}

/** Fields of a preset that `fitModelToData` replaces. */
export interface ModelOverrides {
  latent?: number;
  hidden?: number[];
  filters?: number[];
  activation?: Activation;
  likelihood?: LikelihoodConfig;
  prior?: PriorConfig;
  init?: InitScheme;
}

/**
 * A preset adapted to a dataset's image shape: height, width and channels come from the data;
 * a conv preset drops its last stride-2 stages until the image size is divisible (28x28 MNIST
 * keeps two: 28 -> 14 -> 7). Overrides replace fields, then the result is validated.
 */
export function fitModelToData(
  preset: ModelConfig, shape: { height: number; width: number; channels: number }, overrides: ModelOverrides = {},
): ModelConfig {
  const base = { ...preset, height: shape.height, width: shape.width, channels: shape.channels };
  let config: ModelConfig;
  if (base.kind === 'conv') {
    let filters = overrides.filters ?? base.filters;
    if (!overrides.filters) {
      while (filters.length > 1 && (shape.height % 2 ** filters.length !== 0 || shape.width % 2 ** filters.length !== 0)) filters = filters.slice(0, -1);
    }
    config = { ...base, filters, latent: overrides.latent ?? base.latent, likelihood: overrides.likelihood ?? base.likelihood };
    if (overrides.prior && overrides.prior.kind !== 'standard') config.prior = overrides.prior;
  } else {
    config = {
      ...base, hidden: overrides.hidden ?? base.hidden, activation: overrides.activation ?? base.activation,
      latent: overrides.latent ?? base.latent, likelihood: overrides.likelihood ?? base.likelihood,
    };
    if (overrides.prior && overrides.prior.kind !== 'standard') config.prior = overrides.prior;
  }
  if (overrides.init) config.init = overrides.init;
  return validateModelConfig(config);
}
