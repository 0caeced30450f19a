/** vaeCommand: advice the CLI prints must run as printed, from a checkout or from a project that installed vae-ts. */
import { afterEach, describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { vaeCommand } from '../../src/command.js';

const saved = process.argv[1];
afterEach(() => {
  process.argv[1] = saved;
});

describe('vaeCommand', () => {
  it('in a checkout (bin/vae.js under the current folder): node bin/vae.js …', () => {
    process.argv[1] = path.join(process.cwd(), 'bin', 'vae.js');
    expect(vaeCommand('train --resume runs/x --epochs 3')).toBe(`node ${path.join('bin', 'vae.js')} train --resume runs/x --epochs 3`);
  });

  it('a checkout elsewhere: the absolute path, quoted when it has spaces', () => {
    process.argv[1] = '/opt/my checkout/bin/vae.js';
    expect(vaeCommand('eval r')).toBe('node "/opt/my checkout/bin/vae.js" eval r');
    process.argv[1] = '/opt/vae-ts/bin/vae.js';
    expect(vaeCommand('eval r')).toBe('node /opt/vae-ts/bin/vae.js eval r');
  });

  it('installed as a dependency (the bin in node_modules/.bin), or not run as the vae bin at all: npx vae …', () => {
    process.argv[1] = '/home/u/proj/node_modules/.bin/vae';
    expect(vaeCommand('sample runs/faces')).toBe('npx vae sample runs/faces');
    process.argv[1] = '/home/u/proj/node_modules/vae-ts/bin/vae.js';
    expect(vaeCommand('sample runs/faces')).toBe('npx vae sample runs/faces');
    process.argv[1] = '/usr/lib/node_modules/vitest/vitest.mjs';
    expect(vaeCommand('train')).toBe('npx vae train');
  });
});
