/**
 * Work a request starts but does not wait for (e.g. clearing an outbox entry after the answer):
 * tracked, so a clean stop finishes it before the Redis connections close.
 */
export class BackgroundTasks {
  private readonly pending = new Set<Promise<unknown>>();

  track(task: Promise<unknown>): void {
    const settled = task.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
  }

  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
