/**
 * One queue for every model call in the page. Calls run one at a time, in order; each caller
 * names its request with a key (e.g. 'decoding'), and a newer request with the same key replaces
 * an older one that has not started yet (the older one resolves to `undefined`). So a fast drag
 * never piles up work: at most one call per key waits while another runs, and it is the newest.
 */

interface Job {
  fn: () => Promise<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export interface QueueStats {
  /** Calls that ran. */
  done: number;
  /** Calls replaced by a newer one with the same key before they ran. */
  superseded: number;
}

export class ModelQueue {
  private readonly pending = new Map<string, Job>();
  private running = false;
  private idleWaiters: (() => void)[] = [];
  readonly stats: QueueStats = { done: 0, superseded: 0 };

  /** Queues `fn` under `key`; resolves to its result, or to undefined if a newer call replaced it. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      const old = this.pending.get(key);
      if (old) {
        this.stats.superseded++;
        old.resolve(undefined);
      }
      // Map.set on an existing key keeps its place in line: a dragged widget is not starved
      this.pending.set(key, { fn, resolve: resolve as (v: unknown) => void, reject });
      void this.pump();
    });
  }

  /** Resolves when nothing is running or waiting. */
  idle(): Promise<void> {
    if (!this.running && this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get busy(): boolean {
    return this.running || this.pending.size > 0;
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const next = this.pending.entries().next();
        if (next.done) break;
        const [key, job] = next.value;
        this.pending.delete(key);
        try {
          job.resolve(await job.fn());
        } catch (e) {
          job.reject(e);
        }
        this.stats.done++;
      }
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((w) => w());
    }
  }
}
