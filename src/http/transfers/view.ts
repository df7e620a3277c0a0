/**
 * The transfer as the API shows it (docs/api.md). Personal data was masked before it was stored, and
 * is gone (member null) once purged.
 */
import type { StoredTransfer } from '../../store/transfer-store.js';

export function transferView(t: StoredTransfer, withEvents = true) {
  const { doc, facts } = t;
  return {
    id: doc.id,
    externalRef: doc.externalRef,
    target: doc.target,
    state: t.state,
    initiator: doc.initiator,
    reason: doc.reason,
    source: doc.source,
    destination: { provinceCode: doc.destination.provinceCode, orgFullName: doc.destination.orgFullName },
    member: doc.member ?? null,
    partnerRef: facts.partnerRef ?? null,
    attempts: t.attempts,
    irreversible: doc.irreversible,
    confirmedWithMember: doc.confirmedWithMember,
    localReport: facts.localReport ?? null,
    nationalAccountCreated: facts.nationalAccountCreated,
    lastError: facts.lastError ?? null,
    version: t.version,
    createdAt: doc.createdAt,
    updatedAt: t.updatedAt,
    finishedAt: t.finishedAt ?? null,
    personalDataPurgedAt: t.personalDataPurgedAt ?? null,
    ...(withEvents ? { events: t.events } : {}),
  };
}

/**
 * A finished transfer as an export holds it: the view without personal data (no member, no domestic
 * contact), with its timeline.
 */
export function exportView(t: StoredTransfer) {
  const { member: _member, reason, ...rest } = transferView(t, true);
  const { domesticContact: _contact, ...kept } = reason as Record<string, unknown>;
  return { ...rest, reason: kept as typeof reason };
}
