/** VAE math: distributions, KL, likelihoods, ELBO, IWAE and log p(x). Browser-safe; imports no models. */
export * from './rng.js';
export * from './gaussian.js';
export * from './kl.js';
export * from './likelihood.js';
export * from './elbo.js';
export * from './iwae.js';
export * from './prior.js';
export * from './corrupt.js';
