/**
 * `vae export-site RUN… --out DIR`: writes the explorer and the given runs as a static folder that
 * works from any static host (every URL in it is relative). Layout: src/server/exportSite.ts.
 */
import type { Command } from 'commander';
import { exportSite } from '../server/exportSite.js';
import { action, printJson } from './common.js';

interface ExportCliOptions { out: string; force?: boolean; json?: boolean }

export function registerExportSite(program: Command): void {
  program
    .command('export-site')
    .argument('<runs...>', 'run folders to include (each with a trained model)')
    .description('write the explorer and runs as a static site (a folder for any static host)')
    .requiredOption('--out <dir>', 'folder to write (must not exist or be empty)')
    .option('--force', 'replace --out if it exists and is not empty (built aside, then swapped in)')
    .option('--json', 'print what was written as JSON')
    .action(action(async (runs: string[], o: ExportCliOptions) => {
      const r = await exportSite({ runs, out: o.out, force: o.force });
      if (o.json) {
        printJson(r);
        return;
      }
      process.stdout.write(
        `wrote ${o.out}: ${r.runs.length} run${r.runs.length === 1 ? '' : 's'} (${r.runs.join(', ')}), ${r.files.length} files, ${(r.bytes / 1e6).toFixed(1)} MB\n` +
          `serve it from any static host, e.g. python3 -m http.server --directory ${o.out}\n`,
      );
    }));
}
