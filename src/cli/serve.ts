/**
 * `vae serve [RUN...]`: serves the explorer and the given runs (default: every run folder in
 * runs/) on 127.0.0.1 and prints the address. Ctrl-C or SIGTERM stops it cleanly.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { findRuns, requireRuns } from '../server/runs.js';
import { DEFAULT_PORT, serveExplorer } from '../server/server.js';
import { action, intOption } from './common.js';

interface ServeOptions { port: number; host: string; runsDir: string }

export function registerServe(program: Command): void {
  program
    .command('serve')
    .argument('[runs...]', 'run folders (default: every folder in --runs-dir that holds a run.json)')
    .description('serve the explorer (the interactive widgets) for trained runs on 127.0.0.1')
    .option('--port <n>', 'port (0 picks a free one)', intOption('--port', 0, 65535), DEFAULT_PORT)
    .option('--host <address>', 'address to bind', '127.0.0.1')
    .option('--runs-dir <dir>', 'where to look for runs when none are given', 'runs')
    .action(action(async (runs: string[], o: ServeOptions) => {
      const dirs = runs.length > 0 ? runs : findRuns(o.runsDir);
      requireRuns(dirs.map((d) => ({ name: path.basename(d), dir: d })), runs.length > 0 ? 'the arguments' : `${o.runsDir}/`);
      await serveUntilStopped(dirs, o);
    }));
}

/** Serves the explorer for `dirs`, prints the address, and closes cleanly on SIGTERM / Ctrl-C. */
export async function serveUntilStopped(dirs: string[], o: { port: number; host: string }): Promise<void> {
  if (!['127.0.0.1', 'localhost', '::1'].includes(o.host)) {
    process.stderr.write(`warning: --host ${o.host} makes the explorer reachable from other machines: anyone who can connect reads these runs ` +
      '(requests must still name this machine by IP address or host name)\n');
  }
  const explorer = await serveExplorer({ runs: dirs, port: o.port, host: o.host });
  process.stdout.write(`serving ${dirs.length} run${dirs.length === 1 ? '' : 's'}: ${dirs.join(', ')}\n`);
  process.stdout.write(`explorer: ${explorer.url}\n`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(0); // a second signal: at once (the server is read-only, nothing to save)
    stopping = true;
    process.stderr.write(`${signal}: stopping the explorer\n`);
    void explorer.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
