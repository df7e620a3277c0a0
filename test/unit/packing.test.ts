/**
 * The packed form of a finished transfer: it reads back exactly, it is small, a damaged or unknown one
 * is a typed error, and what the store's scripts check never leaves the hash.
 */
import { describe, expect, it } from 'vitest';
import { STATES, TRANSITIONS, type TransferState } from '../../src/domain/transfer.js';
import { FACT } from '../../src/store/facts.js';
import { pack, PackedRecordError, stayInHash, unpack } from '../../src/store/packing.js';

const doc = JSON.stringify({
  id: 'trf_01M8S876FSABK57XSKQJQW471Y',
  externalRef: 'BJ-2026-000123',
  target: 'guangdong',
  initiator: { kind: 'member' },
  source: { orgId: 'bj-00042', orgFullName: '共青团北京某某大学委员会' },
  destination: {
    provinceCode: '44',
    orgFullName: '共青团广州市天河区委员会',
    canonicalOrgName: '共青团广州市天河区委员会',
  },
  reason: { kind: 'employed_with_org', employerName: '广州某某科技有限公司' },
  irreversible: false,
  confirmedWithMember: false,
  member: { name: '张*', idNumber: '110105********0074', phone: '138****0000' },
  createdAt: '2026-12-01T16:50:15.161Z',
  createdBy: 'beijing',
});
const record = {
  fields: {
    doc,
    pii: 'v1.k2026a.Mgb6sMySjY9dIZUZ.akxbxuxL1USH5qT_5uQLFw.0TmhxcEVLLmqGg3mrvnpwLjzZKHqGEaWHz2WfXaTSgoQ',
    resolvedOrg: JSON.stringify({ orgId: 'GD4410000006', fullName: '共青团广州市天河区委员会' }),
  },
  events: [
    JSON.stringify({
      at: '2026-12-01T16:50:15.161Z',
      type: 'accepted',
      source: 'api',
      detail: { target: 'guangdong' },
    }),
    JSON.stringify({
      at: '2026-12-01T16:50:15.317Z',
      type: 'awaiting_local_report',
      source: 'worker',
      detail: { partnerRef: 'GDZJ20261201000001', duplicate: false, attempt: 1 },
    }),
  ],
};

describe('packing', () => {
  it('reads back exactly what was packed, in a fraction of the bytes', () => {
    const blob = pack(record);
    expect(unpack(blob)).toEqual(record);
    const plain = Buffer.byteLength(JSON.stringify(record));
    expect(blob.length).toBeLessThan(plain / 2.5);
  });

  it('a damaged or unknown packed record is a typed error, not a crash', () => {
    const blob = pack(record);
    expect(() => unpack(Buffer.concat([Buffer.from([9]), blob.subarray(1)]))).toThrow(PackedRecordError);
    expect(() => unpack(Buffer.concat([blob.subarray(0, 1), Buffer.from('not deflate')]))).toThrow(
      PackedRecordError,
    );
    expect(() => unpack(Buffer.alloc(0))).toThrow(PackedRecordError);
  });

  it('keeps in the hash what the scripts check, and sends the document and sealed data to the packed part', () => {
    for (const field of [
      'state',
      'target',
      'version',
      'rev',
      'generation',
      'finishedAt',
      ...Object.values(FACT),
    ]) {
      if (field === FACT.localReport) continue; // long: see the next test
      expect(stayInHash(field, '2026-12-01T16:50:15.317Z')).toBe(true);
    }
    for (const field of ['doc', 'pii', 'idem']) expect(stayInHash(field, 'x')).toBe(false);
    expect(stayInHash('lastError', 'x'.repeat(65))).toBe(false);
  });

  it('a long fact that goes to the packed part (localReport) is never checked once a transfer can be packed', () => {
    // The store's scripts check localReport only as "set if absent" on the way into
    // awaiting_local_report. Packing happens only to finished transfers, and the only way out of a
    // finished state (an operator's retry of `failed`) leads to a transfer that never waited for a
    // local report: no path reaches `failed` through `awaiting_local_report`.
    const reachesFailedVia = (from: TransferState, seen = new Set<TransferState>()): boolean => {
      if (seen.has(from)) return false;
      seen.add(from);
      return TRANSITIONS[from].some((to) => to === 'failed' || reachesFailedVia(to, seen));
    };
    expect(reachesFailedVia('awaiting_local_report')).toBe(false);
    expect(STATES).toContain('failed');
  });
});
