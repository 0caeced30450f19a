/** The `vae` command line: one file per command, registered here. */
import { Command, CommanderError } from 'commander';
import * as tf from '@tensorflow/tfjs';
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
import { registerExport } from './export.js';
import { registerImportOnnx } from './importOnnx.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('vae')
    .description('Variational autoencoders in TypeScript: train, evaluate, sample and explore')
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

// production mode: no debug checks, and no advice to install tfjs-node (it cannot install offline)
tf.env().set('PROD', true);
await buildProgram().parseAsync(process.argv);
