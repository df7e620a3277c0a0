/**
 * The hainan adapter: our contract in, Hainan's signed form posts out (./wire.ts). No org-name check
 * (the partner has none); withdrawal until the decision; approval is the end (no local reporting, no
 * account creation).
 *
 * Hainan's org search is a literal substring match on its exact names, so a query typed with other
 * brackets or spaces than the partner's finds nothing there. searchOrgs therefore sends the longest
 * run of the query that holds no space or bracket (text the partner's names contain literally, if any
 * name matches at all), asks for a full page, and keeps the names whose canonical form
 * (src/domain/org-name.ts) contains the canonical query — answering with the partner's own spelling.
 */
import axios, { type AxiosInstance } from 'axios';
import type {
  CallOptions,
  Capabilities,
  OrgCheckResult,
  PartnerEvent,
  PartnerStatus,
  SubmitReason,
  SubmitRequest,
  SubmitResult,
  TransferAdapter,
  TransferRef,
} from '../../../adapters/adapter.js';
import { DEFAULT_SEARCH_LIMIT } from '../../../adapters/adapter.js';
import { parsePartnerCallback } from '../../../adapters/callback.js';
import { notSupported, type Org } from '../../../adapters/errors.js';
import { canonicalOrgName } from '../../../src/domain/org-name.js';
import { HainanClient } from './client.js';
import type { HainanConfig } from './config.js';
import {
  ERRORS,
  MAX_ROWS,
  PATHS,
  PROVINCE,
  callbackDataSchema,
  fromHnTime,
  searchResultSchema,
  statusSchema,
  ticketSchema,
  type WireState,
} from './wire.js';

const P = 'hainan' as const;

const SCHOOL = {
  general_high_school: 'SENIOR_HIGH',
  secondary_vocational: 'SECONDARY_VOCATIONAL',
  university: 'UNDERGRADUATE',
  higher_vocational: 'HIGHER_VOCATIONAL',
} as const;
const BASIS = { household_registration: 'HUKOU', origin: 'SHENGYUAN', residence: 'JUZHUDI' } as const;
const PURPOSE = { study: 'LIUXUE', public_assignment: 'GONGPAI', private: 'SIREN' } as const;

type Fields = Record<string, string | undefined>;
const ymd = (isoDate: string): string => isoDate.replaceAll('-', '');

export function toCauseFields(r: SubmitReason): Fields {
  switch (r.kind) {
    case 'further_study':
      return {
        cause: 'STUDY',
        c_school_kind: SCHOOL[r.schoolType],
        c_school: r.schoolName,
        c_school_addr: r.schoolAddress,
      };
    case 'employed_with_org':
      return { cause: 'JOB_ORG', c_employer: r.employerName };
    case 'employed_without_org':
      return { cause: 'JOB_NO_ORG', c_employer: r.employerName, c_employer_addr: r.employerAddress };
    case 'not_placed':
      return { cause: 'UNPLACED', c_basis: BASIS[r.placeBasis], c_addr: r.address };
    case 'abroad':
      return {
        cause: 'ABROAD',
        c_purpose: PURPOSE[r.purpose],
        c_country: r.countryOrRegion,
        c_leave: ymd(r.departureDate),
        c_return: r.expectedReturnDate ? ymd(r.expectedReturnDate) : undefined,
        c_contact: r.domesticContact.name,
        c_contact_phone: r.domesticContact.phone,
        c_contact_rel: r.domesticContact.relationship,
      };
    case 'enlistment':
      return { cause: 'ARMY', c_review_province: r.reviewingProvinceCode };
    case 'classified_unit':
      return { cause: 'SECRET' };
    case 'other':
      return { cause: 'OTHER', c_note: r.explanation };
  }
}

export function toSubmitFields(req: SubmitRequest): Fields {
  const i = req.initiator;
  return {
    serial: req.transferId,
    bj_ref: req.externalRef,
    name: req.member.name,
    id_card: req.member.idNumber,
    phone: req.member.phone,
    by: i.kind === 'member' ? 'MEMBER' : 'BRANCH',
    branch: i.kind === 'branch' ? i.branchOrgId : undefined,
    operator: i.kind === 'branch' ? i.operatorId : undefined,
    from_org: req.source.orgId,
    from_org_name: req.source.orgFullName,
    to_province: PROVINCE,
    to_org_name: req.destination.orgFullName,
    to_org: req.destination.orgId,
    irrevocable: req.irreversible ? 'Y' : 'N',
    ...toCauseFields(req.reason),
  };
}

/** Spaces, invisible characters and brackets of either width: where a literal match may break. */
const NOT_LITERAL = /[\s\p{Cc}\p{Cf}()（）[\]［］【】〔〕﹙﹚〘〙〖〗⦅⦆❨❩]+/u;

/** The longest run of `q` that a partner name can contain literally, whatever its brackets and spaces. */
export function literalKeyword(q: string): string {
  return q
    .normalize('NFC')
    .split(NOT_LITERAL)
    .reduce((best, part) => (part.length > best.length ? part : best), '');
}

const STATUS: Record<WireState, PartnerStatus['status']> = {
  WAITING: 'pending',
  PASSED: 'approved',
  REFUSED: 'rejected',
  RECALLED: 'withdrawn',
  LAPSED: 'expired',
};

/** What hainan offers (its descriptor and its adapter share it). */
export const CAPABILITIES: Capabilities = {
  checkOrg: false,
  withdraw: true,
  localReport: false,
  accountCreation: false,
};

export class HainanAdapter implements TransferAdapter {
  readonly id = P;
  readonly capabilities = CAPABILITIES;
  private readonly client: HainanClient;

  constructor(config: HainanConfig, http: AxiosInstance = axios.create(), now?: () => number) {
    this.client = new HainanClient(config, http, now);
  }

  async submit(request: SubmitRequest, options: CallOptions = {}): Promise<SubmitResult> {
    const answer = await this.client.call({
      path: PATHS.submit,
      fields: toSubmitFields(request),
      signal: options.signal,
      onSend: options.onSend,
    });
    if (!answer.success && answer.error.code === ERRORS.DUPLICATE && answer.error.ticket) {
      return { partnerRef: answer.error.ticket, duplicate: true };
    }
    return { partnerRef: this.client.result(answer, ticketSchema, 'submit answer').ticket, duplicate: false };
  }

  checkOrg(_provinceCode: string, _fullName: string, _options?: CallOptions): Promise<OrgCheckResult> {
    return notSupported(P, 'hainan offers no org-name check; search instead');
  }

  async searchOrgs(
    provinceCode: string,
    q: string,
    options: CallOptions & { limit?: number } = {},
  ): Promise<Org[]> {
    const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
    const keyword = literalKeyword(q);
    const needle = canonicalOrgName(q);
    if (!keyword || !needle) return [];
    // A query the partner can match as typed needs no second look; any other gets a full page to sift.
    const literal = keyword === q;
    const answer = await this.client.call({
      path: PATHS.orgSearch,
      fields: {
        province: provinceCode,
        kw: keyword,
        rows: String(literal ? Math.min(limit, MAX_ROWS) : MAX_ROWS),
      },
      signal: options.signal,
    });
    const found = this.client.result(answer, searchResultSchema, 'org search').orgs;
    return found
      .filter((o) => literal || canonicalOrgName(o.title).includes(needle))
      .slice(0, limit)
      .map((o) => ({ orgId: o.code, fullName: o.title }));
  }

  async fetchStatus(ref: TransferRef, options: CallOptions = {}): Promise<PartnerStatus> {
    const answer = await this.client.call({
      path: PATHS.status,
      fields: { serial: ref.transferId },
      signal: options.signal,
    });
    if (!answer.success && answer.error.code === ERRORS.APP_NOT_FOUND) return { status: 'not_found' };
    const s = this.client.result(answer, statusSchema, 'status answer');
    return {
      status: STATUS[s.state],
      partnerRef: s.ticket,
      ...(s.state === 'REFUSED' && s.remark ? { reason: s.remark } : {}),
      ...(s.changed_at === null || s.changed_at === undefined ? {} : { at: fromHnTime(s.changed_at) }),
    };
  }

  async withdraw(ref: TransferRef & { partnerRef: string }, options: CallOptions = {}): Promise<void> {
    const answer = await this.client.call({
      path: PATHS.withdraw,
      fields: { serial: ref.transferId, ticket: ref.partnerRef },
      signal: options.signal,
    });
    this.client.result(answer, statusSchema, 'withdraw answer');
  }

  parseCallback(body: unknown): PartnerEvent {
    return parsePartnerCallback(
      {
        partner: P,
        types: ['transfer.approved', 'transfer.rejected'],
        data: callbackDataSchema,
        at: (d) => (d.changed_at === undefined ? undefined : fromHnTime(d.changed_at)),
      },
      body,
    );
  }
}
