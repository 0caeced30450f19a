/**
 * Progress display for long work: a bar with ETA and the current loss on a terminal,
 * plain lines (one per epoch, or every few seconds) when stderr is not a terminal (CI, logs).
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, info?: Record<string, string | number>): void;
  stop(): void;
}

export function progressBar(label: string, total: number, format = '{bar} {percentage}% | {value}/{total} | ETA {eta_formatted} {info}'): Progress {
  if (!process.stderr.isTTY) {
    let last = 0;
    return {
      update(done, info) {
        const now = Date.now();
        if (now - last > 5000 || done === total) {
          last = now;
          const extra = info ? Object.values(info).join(' ') : '';
          process.stderr.write(`${label} ${done}/${total} ${extra}\n`);
        }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label} ${format}`, stream: process.stderr, hideCursor: true, clearOnComplete: true, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { info: '' });
  return {
    update(done, info) {
      bar.update(done, { info: info ? Object.values(info).join(' ') : '' });
    },
    stop() {
      bar.stop();
    },
  };
}
