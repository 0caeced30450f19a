/**
 * Progress display for long work: a bar with ETA and the current loss on a terminal,
 * plain lines (one per epoch, or every few seconds) when stderr is not a terminal (CI, logs).
 * VAE_PROGRESS_SECONDS sets that interval for logs (default 5; 0 prints every update).
 */
import cliProgress from 'cli-progress';
import { UserError } from '../errors.js';

export interface Progress {
  update(done: number, info?: Record<string, string | number>): void;
  stop(): void;
}

/** The interval between plain progress lines in logs: VAE_PROGRESS_SECONDS (a number ≥ 0), else 5 s. */
export function logIntervalMs(): number {
  const v = process.env.VAE_PROGRESS_SECONDS;
  if (v === undefined || v.trim() === '') return 5000;
  const s = Number(v);
  if (!Number.isFinite(s) || s < 0) throw new UserError(`VAE_PROGRESS_SECONDS must be a number of seconds ≥ 0, not "${v}"`);
  return s * 1000;
}

export function progressBar(label: string, total: number, format = '{bar} {percentage}% | {value}/{total} | ETA {eta_formatted} {info}'): Progress {
  if (!process.stderr.isTTY) {
    const everyMs = logIntervalMs();
    let last = 0;
    return {
      update(done, info) {
        const now = Date.now();
        if (now - last >= everyMs || done === total) {
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
