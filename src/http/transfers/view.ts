/** The transfer as the API shows it (CONTRACT.md). Personal data was masked before it was stored. */
import type { StoredTransfer } from '../../store/transfer-store.js';

function json<T>(raw: string | undefined): T | null {
  return raw ? (JSON.parse(raw) as T) : null;
}

export function transferView(t: StoredTransfer, withEvents = true) {
  const { doc, fields } = t;
  return {
    id: doc.id,
    externalRef: doc.externalRef,
    target: doc.target,
    state: t.state,
    initiator: doc.initiator,
    reason: doc.reason,
    source: doc.source,
    destination: { provinceCode: doc.destination.provinceCode, orgFullName: doc.destination.orgFullName },
    member: doc.member,
    partnerRef: fields.partnerRef ?? null,
    attempts: t.attempts,
    irreversible: doc.irreversible,
    confirmedWithMember: doc.confirmedWithMember,
    localReport: json<Record<string, unknown>>(fields.localReport),
    nationalAccountCreated: fields.nationalAccountCreated === '1',
    lastError: json<Record<string, unknown>>(fields.lastError),
    version: t.version,
    createdAt: doc.createdAt,
    updatedAt: t.updatedAt,
    ...(withEvents ? { events: t.events } : {}),
  };
}
