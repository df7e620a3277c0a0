/**
 * A small progress bar. On a terminal it redraws one line in place (\r, at most every `redrawMs`);
 * anywhere else (a pipe, a CI log) it prints a plain line each time another `stepPercent` is done or
 * `intervalMs` has passed, so logs show progress without hundreds of lines.
 */
import type { Output } from './format.js';

export interface ProgressOptions {
  now?: () => number;
  /** Non-TTY: print a line each time this many percent more are done. */
  stepPercent?: number;
  /** Non-TTY: print a line at least this often while work goes on. */
  intervalMs?: number;
  /** TTY: redraw at most this often (the last redraw always happens). */
  redrawMs?: number;
}

const CLEAR_TO_END = '\x1b[K';

export class ProgressBar {
  private done = 0;
  private lastDrawAt = -Infinity;
  private lastStep = 0;
  private lastPrinted = -1;
  private finished = false;
  private readonly now: () => number;
  private readonly stepPercent: number;
  private readonly intervalMs: number;
  private readonly redrawMs: number;

  constructor(
    private readonly out: Output,
    private readonly total: number,
    private readonly label: string,
    options: ProgressOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.stepPercent = options.stepPercent ?? 10;
    this.intervalMs = options.intervalMs ?? 5_000;
    this.redrawMs = options.redrawMs ?? 80;
    this.lastDrawAt = this.now();
    if (this.out.isTTY) this.draw();
  }

  tick(n = 1): void {
    if (this.finished) return;
    this.done = Math.min(this.total, this.done + n);
    const now = this.now();
    if (this.out.isTTY) {
      if (now - this.lastDrawAt >= this.redrawMs || this.done === this.total) this.draw();
      return;
    }
    const step = Math.floor(this.percent() / this.stepPercent);
    if (step > this.lastStep || now - this.lastDrawAt >= this.intervalMs) {
      this.lastStep = step;
      this.printLine();
    }
  }

  /** Ends the bar: a final redraw and newline on a TTY, the final count elsewhere (once). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.out.isTTY) {
      this.draw();
      this.out.write('\n');
    } else if (this.lastPrinted !== this.done) {
      this.printLine();
    }
  }

  private percent(): number {
    return this.total === 0 ? 100 : Math.floor((this.done / this.total) * 100);
  }

  private counts(): string {
    return `${this.done}/${this.total} (${this.percent()}%)`;
  }

  private printLine(): void {
    this.lastDrawAt = this.now();
    this.lastPrinted = this.done;
    this.out.write(`${this.label}: ${this.counts()}\n`);
  }

  private draw(): void {
    this.lastDrawAt = this.now();
    const text = ` ${this.counts()}`;
    const room = (this.out.columns ?? 80) - this.label.length - text.length - 4;
    const width = Math.max(0, Math.min(30, room));
    const filled = this.total === 0 ? width : Math.round((this.done / this.total) * width);
    const bar = width > 0 ? ` [${'#'.repeat(filled)}${'-'.repeat(width - filled)}]` : '';
    this.out.write(`\r${this.label}${bar}${text}${CLEAR_TO_END}`);
  }
}
