import type { ReasonKind, Target } from '../domain/transfer.js';

/** What never changes about a transfer. Personal data appears here only masked. */
export interface TransferDoc {
  id: string;
  externalRef: string;
  target: Target;
  initiator: { kind: 'member' } | { kind: 'branch'; branchOrgId: string; operatorId: string };
  source: { orgId: string; orgFullName: string };
  destination: { provinceCode: string; orgFullName: string; canonicalOrgName: string };
  /** The reason with its details; a domestic contact's name and phone are masked here. */
  reason: { kind: ReasonKind } & Record<string, unknown>;
  irreversible: boolean;
  confirmedWithMember: boolean;
  /** Masked; absent once the personal data has been purged. */
  member?: { name: string; idNumber: string; phone?: string };
  createdAt: string;
  /** The API key id that created it. */
  createdBy: string;
}

/** The personal data, sealed at rest and opened only to hand it to a partner. */
export interface TransferPii {
  name: string;
  idNumber: string;
  phone?: string;
  domesticContact?: { name: string; phone: string; relationship?: string };
}
