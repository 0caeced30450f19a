/**
 * Ctrl-C (SIGINT) and SIGTERM for long commands: the first signal asks the work to stop at its
 * next safe point (an AbortSignal the work checks); a second one exits at once. Every file is
 * written to a temporary name and renamed, so exiting at once never leaves a half-written file.
 */

export interface SignalStop {
  /** Fires on the first SIGINT or SIGTERM. */
  signal: AbortSignal;
  /** The signal received, if any. */
  received(): NodeJS.Signals | null;
  /** The conventional exit status for the received signal (128 + its number). */
  exitCode(): number;
  /** Removes the handlers. */
  dispose(): void;
}

const CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

export function stopOnSignals(): SignalStop {
  const controller = new AbortController();
  let got: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (got) {
      process.stderr.write(`\nvae: ${sig} again: stopped at once; the run folder keeps its last saved state\n`);
      process.exit(CODES[sig] ?? 130);
    }
    got = sig;
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    received: () => got,
    exitCode: () => (got ? (CODES[got] ?? 130) : 0),
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
