/** The CLI's progress bar: plain lines off a terminal, one redrawn line on it. */
import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../../../src/cli/progress.js';

function sink(isTTY: boolean, columns = 80) {
  const chunks: string[] = [];
  return { chunks, out: { isTTY, columns, write: (s: string) => chunks.push(s) } };
}

describe('ProgressBar off a terminal', () => {
  it('prints a plain line at each 10 % step and the final count once, never a carriage return', () => {
    const { chunks, out } = sink(false);
    let now = 0;
    const bar = new ProgressBar(out, 40, 'retrying', { now: () => now });
    for (let i = 0; i < 40; i++) {
      now += 10;
      bar.tick();
    }
    bar.finish();
    bar.finish();
    expect(chunks.join('')).not.toContain('\r');
    expect(chunks).toEqual([
      'retrying: 4/40 (10%)\n',
      'retrying: 8/40 (20%)\n',
      'retrying: 12/40 (30%)\n',
      'retrying: 16/40 (40%)\n',
      'retrying: 20/40 (50%)\n',
      'retrying: 24/40 (60%)\n',
      'retrying: 28/40 (70%)\n',
      'retrying: 32/40 (80%)\n',
      'retrying: 36/40 (90%)\n',
      'retrying: 40/40 (100%)\n',
    ]);
  });

  it('prints nothing at start, a line when the interval passes without a step, and the final count', () => {
    const { chunks, out } = sink(false);
    let now = 0;
    const bar = new ProgressBar(out, 1000, 'retrying', { now: () => now, intervalMs: 5_000 });
    expect(chunks).toEqual([]);
    bar.tick(); // 0 %: no step, no interval yet
    now = 5_000;
    bar.tick(); // interval passed
    bar.tick();
    bar.finish();
    expect(chunks).toEqual(['retrying: 2/1000 (0%)\n', 'retrying: 3/1000 (0%)\n']);
  });

  it('a few items: each one that crosses a step prints, the last is not repeated by finish', () => {
    const { chunks, out } = sink(false);
    const bar = new ProgressBar(out, 3, 'retrying', { now: () => 0 });
    bar.tick();
    bar.tick();
    bar.tick();
    bar.finish();
    expect(chunks).toEqual(['retrying: 1/3 (33%)\n', 'retrying: 2/3 (66%)\n', 'retrying: 3/3 (100%)\n']);
  });

  it('never counts past the total', () => {
    const { chunks, out } = sink(false);
    const bar = new ProgressBar(out, 2, 'x', { now: () => 0 });
    bar.tick(5);
    bar.finish();
    expect(chunks).toEqual(['x: 2/2 (100%)\n']);
  });
});

describe('ProgressBar on a terminal', () => {
  it('redraws one line with \\r (throttled), then ends it with a newline', () => {
    const { chunks, out } = sink(true, 60);
    let now = 0;
    const bar = new ProgressBar(out, 4, 'retrying', { now: () => now, redrawMs: 100 });
    bar.tick(); // within redrawMs of the first draw: skipped
    now = 200;
    bar.tick();
    bar.tick(2); // the last one always draws
    bar.finish();
    expect(chunks.every((c) => c === '\n' || c.startsWith('\r'))).toBe(true);
    expect(chunks.at(-1)).toBe('\n');
    expect(chunks).toHaveLength(5);
    expect(chunks[0]).toContain('0/4 (0%)');
    expect(chunks[1]).toContain('[###############---------------] 2/4 (50%)');
    expect(chunks[3]).toContain('[##############################] 4/4 (100%)');
    expect(chunks.every((c) => c.replace(/\x1b\[K$/, '').length <= 61)).toBe(true);
  });
});
