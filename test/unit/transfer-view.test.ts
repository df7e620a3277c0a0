/** transferView's output is what the published TransferView schema says, field for field. */
import { describe, expect, it } from 'vitest';
import { transferView } from '../../src/http/transfers/view.js';
import { TransferSummary, TransferView } from '../../src/http/transfers/view-schema.js';
import type { StoredTransfer } from '../../src/store/transfer-store.js';

const AT = '2024-06-01T08:00:00.000Z';

function stored(overrides: Partial<StoredTransfer> = {}): StoredTransfer {
  return {
    doc: {
      id: 'trf_01J9Z3Q4R5S6T7V8W9X0Y1Z2A3',
      externalRef: 'BJ-2023-000123',
      target: 'guangdong',
      initiator: { kind: 'branch', branchOrgId: 'bj-00042-01', operatorId: 'op-7' },
      source: { orgId: 'bj-00042', orgFullName: '共青团北京某某大学委员会' },
      destination: {
        provinceCode: '44',
        orgFullName: '共青团广州市天河区委员会',
        canonicalOrgName: '共青团广州市天河区委员会',
      },
      reason: {
        kind: 'abroad',
        purpose: 'study',
        countryOrRegion: '新加坡',
        departureDate: '2024-07-01',
        domesticContact: { name: '李*', phone: '139****1111' },
      },
      irreversible: false,
      confirmedWithMember: false,
      member: { name: '张*', idNumber: '110105********002X', phone: '138****0000' },
      createdAt: AT,
      createdBy: 'beijing',
    },
    piiSealed: 'sealed',
    state: 'awaiting_local_report',
    updatedAt: AT,
    version: 4,
    attempts: 2,
    generation: 1,
    facts: {
      partnerRef: 'GD-2024-0001',
      localReport: { status: 'pending', since: AT, dueAt: AT, overdue: false, remindersSent: [7] },
      lastError: { code: 'TIMEOUT', message: 'no answer in 10 s', at: AT, attempt: 1 },
      nationalAccountCreated: false,
      attemptsBase: 0,
      partnerFailures: 0,
      crashRuns: 0,
      deliveryErrors: 0,
    },
    events: [
      { at: AT, type: 'accepted', source: 'api', detail: { target: 'guangdong' } },
      { at: AT, type: 'attempt_failed', source: 'worker', detail: { code: 'TIMEOUT' } },
      { at: AT, type: 'awaiting_local_report', source: 'worker' },
    ],
    ...overrides,
  };
}

const keys = (o: object) => Object.keys(o).sort();

describe('TransferView', () => {
  it('parses what transferView answers, and names exactly its fields', () => {
    const view = transferView(stored());
    expect(TransferView.parse(view)).toEqual(view);
    expect(keys(view)).toEqual(keys(TransferView.shape));
  });

  it('fits a fresh transfer too: no partner yet, no report, no error', () => {
    const facts = {
      nationalAccountCreated: false,
      attemptsBase: 0,
      partnerFailures: 0,
      crashRuns: 0,
      deliveryErrors: 0,
    };
    const view = transferView(stored({ state: 'accepted', facts, attempts: 0, version: 1 }));
    expect(view).toMatchObject({ partnerRef: null, localReport: null, lastError: null });
    expect(TransferView.parse(view)).toEqual(view);
  });

  it('the list form (without events) is TransferSummary', () => {
    const view = transferView(stored(), false);
    expect(TransferSummary.parse(view)).toEqual(view);
    expect(keys(view)).toEqual(keys(TransferSummary.shape));
    expect(TransferView.safeParse(view).success).toBe(false);
  });
});
