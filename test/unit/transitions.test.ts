/** Transitions refuses, before writing anything, a change the domain's state machine does not allow. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { TransferStore } from '../../src/store/transfer-store.js';
import { Transitions } from '../../src/usecases/transitions.js';

const event = { at: '2026-01-01T00:00:00.000Z', type: 'x', source: 'operator' as const };

describe('Transitions', () => {
  const writes: string[] = [];
  const store = {
    transition: (id: string) => {
      writes.push(id);
      return Promise.resolve({
        ok: true as const,
        previousState: 'accepted' as const,
        version: 2,
        notified: false,
      });
    },
  } as unknown as TransferStore;
  const transitions = new Transitions(
    store,
    { enqueueNotification: () => Promise.resolve() },
    pino({ level: 'silent' }),
  );

  it('refuses changes out of a terminal state and changes without a named origin', async () => {
    await expect(transitions.apply('t1', { from: ['completed'], to: 'accepted', event })).rejects.toThrow(
      /not in the state machine/,
    );
    await expect(
      transitions.apply('t1', { from: ['cancelled', 'submitted'], to: 'completed', event }),
    ).rejects.toThrow(/cancelled → completed/);
    await expect(transitions.apply('t1', { from: '*', to: 'failed', event })).rejects.toThrow(
      /must name the states/,
    );
    expect(writes).toEqual([]);
  });

  it('lets allowed changes, same-state events and plain events through to the store', async () => {
    await transitions.apply('t2', { from: ['failed'], to: 'accepted', event });
    await transitions.apply('t3', { from: ['awaiting_local_report'], to: 'awaiting_local_report', event });
    await transitions.apply('t4', { from: '*', event });
    expect(writes).toEqual(['t2', 't3', 't4']);
  });
});
