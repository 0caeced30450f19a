/** The explorer's model queue: one call at a time, and per key only the newest waiting call runs. */
import { describe, it, expect } from 'vitest';
import { ModelQueue } from '../../web/queue.js';

/** A call that finishes when the test says so, recording that it ran. */
function gate(log: string[], name: string): { fn: () => Promise<string>; open(): void } {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { fn: async () => { log.push(`start ${name}`); await p; log.push(`end ${name}`); return name; }, open };
}

describe('ModelQueue', () => {
  it('runs calls one at a time, in order', async () => {
    const q = new ModelQueue();
    const log: string[] = [];
    const a = gate(log, 'a');
    const b = gate(log, 'b');
    const ra = q.run('x', a.fn);
    const rb = q.run('y', b.fn);
    await Promise.resolve();
    expect(log).toEqual(['start a']);
    a.open();
    expect(await ra).toBe('a');
    b.open();
    expect(await rb).toBe('b');
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
    expect(q.busy).toBe(false);
  });

  it('a newer call with the same key replaces the waiting one (a drag never piles up)', async () => {
    const q = new ModelQueue();
    const log: string[] = [];
    const first = gate(log, 'first');
    const r1 = q.run('drag', first.fn);
    const waiting = [2, 3, 4, 5].map((i) => gate(log, `move${i}`));
    const results = waiting.map((g) => q.run('drag', g.fn));
    const other = gate(log, 'other');
    const ro = q.run('sampling', other.fn);
    waiting.forEach((g) => g.open());
    other.open();
    first.open();
    expect(await r1).toBe('first');
    expect(await Promise.all(results)).toEqual([undefined, undefined, undefined, 'move5']);
    expect(await ro).toBe('other');
    // only the newest move ran, and it kept its place in line before 'sampling'
    expect(log.filter((l) => l.startsWith('start'))).toEqual(['start first', 'start move5', 'start other']);
    expect(q.stats).toEqual({ done: 3, superseded: 3 });
  });

  it('a failing call rejects its caller and the queue goes on', async () => {
    const q = new ModelQueue();
    const bad = q.run('a', () => Promise.reject(new Error('boom')));
    const good = q.run('b', () => Promise.resolve(7));
    await expect(bad).rejects.toThrow('boom');
    expect(await good).toBe(7);
    await q.idle();
    expect(q.busy).toBe(false);
  });
});
