/** The `vae` command line: one file per command, registered here. */
import { Command, CommanderError } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import '../engine/quiet.js'; // no advice to install tfjs-node (it cannot install offline)
import { registerTrain } from './train.js';
import { registerEval } from './eval.js';
import { registerSample } from './sample.js';
import { registerReconstruct } from './reconstruct.js';
import { registerEncode } from './encode.js';
import { registerDecode } from './decode.js';
import { registerInterpolate } from './interpolate.js';
import { registerTraverse } from './traverse.js';
import { registerAnomaly } from './anomaly.js';
import { registerSearch } from './search.js';
import { registerFewLabels } from './fewlabels.js';
import { registerPlot } from './plot.js';
import { registerData } from './dataPreview.js';
import { registerStart } from './start.js';
import { registerServe } from './serve.js';
import { registerDenoise } from './denoise.js';
import { registerGradvar } from './gradvar.js';
import { registerExportSite } from './exportSite.js';
import { registerFactors } from './factors.js';
import { registerExport } from './export.js';
import { registerImportOnnx } from './importOnnx.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('vae')
    .description('Variational autoencoders in TypeScript: train, evaluate, sample and explore')
    .version(packageVersion(), '-V, --version', 'print the version of vae-ts')
    .showHelpAfterError('(run with --help for usage)');
  registerStart(program);
  registerTrain(program);
  registerEval(program);
  registerSample(program);
  registerReconstruct(program);
  registerEncode(program);
  registerDecode(program);
  registerInterpolate(program);
  registerTraverse(program);
  registerAnomaly(program);
  registerSearch(program);
  registerFewLabels(program);
  registerPlot(program);
  registerData(program);
  registerServe(program);
  registerDenoise(program);
  registerGradvar(program);
  registerExportSite(program);
  registerFactors(program);
  registerExport(program);
  registerImportOnnx(program);
  // bad arguments exit with status 2 (commander's default is 1); --help and --version exit 0
  const exitOverride = (cmd: Command): void => {
    cmd.exitOverride((err: CommanderError) => {
      process.exit(err.exitCode === 0 ? 0 : 2);
    });
    cmd.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

/** The version in our package.json (src/cli/ or dist/src/cli/ → walk up to the package root). */
function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'vae-ts' && pkg.version) return pkg.version;
    } catch {
      // not here: one folder up
    }
  }
  return 'unknown';
}

await buildProgram().parseAsync(process.argv);
