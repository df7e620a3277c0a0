/**
 * The guangdong adapter: our contract in, Guangdong's signed envelope API out. No org-name check
 * (the partner has none); withdrawal is allowed until the decision; members report locally after
 * approval.
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
} from '../adapter.js';
import { DEFAULT_SEARCH_LIMIT } from '../adapter.js';
import { parsePartnerCallback } from '../callback.js';
import { notSupported, type Org } from '../errors.js';
import { parseWith, queryString } from '../http.js';
import { GuangdongClient } from './client.js';
import type { GuangdongConfig } from './config.js';
import {
  APPLY_STATUS,
  CODES,
  PATHS,
  applyNoSchema,
  applyStatusSchema,
  callbackDataSchema,
  fromGdTime,
  orgSearchDataSchema,
  type ApplyRequest,
  type ApplyStatus,
  type WireReason,
} from './wire.js';

const P = 'guangdong' as const;

const SCHOOL = {
  general_high_school: '普通高中',
  secondary_vocational: '中等职业学校',
  university: '普通高校',
  higher_vocational: '高等职业院校',
} as const;
const WHEREABOUTS = {
  household_registration: '户籍所在地',
  origin: '生源地',
  residence: '本人或父母居住地',
} as const;
const PURPOSE = { study: '留学', public_assignment: '因公出国（境）', private: '因私出国（境）' } as const;

export function toWireReason(r: SubmitReason): WireReason {
  switch (r.kind) {
    case 'further_study':
      return {
        reasonType: 1,
        reasonInfo: {
          schoolCategory: SCHOOL[r.schoolType],
          schoolName: r.schoolName,
          schoolAddr: r.schoolAddress,
        },
      };
    case 'employed_with_org':
      return { reasonType: 2, reasonInfo: { employer: r.employerName } };
    case 'employed_without_org':
      return { reasonType: 3, reasonInfo: { employer: r.employerName, employerAddr: r.employerAddress } };
    case 'not_placed':
      return { reasonType: 4, reasonInfo: { whereabouts: WHEREABOUTS[r.placeBasis], addr: r.address } };
    case 'abroad':
      return {
        reasonType: 5,
        reasonInfo: {
          purpose: PURPOSE[r.purpose],
          country: r.countryOrRegion,
          leaveDate: r.departureDate,
          ...(r.expectedReturnDate ? { returnDate: r.expectedReturnDate } : {}),
          contactName: r.domesticContact.name,
          contactMobile: r.domesticContact.phone,
          ...(r.domesticContact.relationship ? { contactRelation: r.domesticContact.relationship } : {}),
        },
      };
    case 'enlistment':
      return { reasonType: 6, reasonInfo: { auditAreaCode: r.reviewingProvinceCode } };
    case 'classified_unit':
      return { reasonType: 7, reasonInfo: {} };
    case 'other':
      return { reasonType: 8, reasonInfo: { remark: r.explanation } };
  }
}

export function toApplyRequest(req: SubmitRequest): ApplyRequest {
  const i = req.initiator;
  return {
    requestNo: req.transferId,
    outerNo: req.externalRef,
    memberName: req.member.name,
    idCardNo: req.member.idNumber,
    ...(req.member.phone ? { mobile: req.member.phone } : {}),
    applyType: i.kind === 'member' ? 'SELF' : 'BRANCH',
    ...(i.kind === 'branch' ? { branchOrgCode: i.branchOrgId, operatorId: i.operatorId } : {}),
    outOrgCode: req.source.orgId,
    outOrgName: req.source.orgFullName,
    inAreaCode: '44',
    inOrgName: req.destination.orgFullName,
    ...(req.destination.orgId ? { inOrgCode: req.destination.orgId } : {}),
    irrevocable: req.irreversible ? 1 : 0,
    ...toWireReason(req.reason),
  };
}

const STATUS: Record<ApplyStatus['applyStatus'], PartnerStatus['status']> = {
  [APPLY_STATUS.PENDING]: 'pending',
  [APPLY_STATUS.APPROVED]: 'awaiting_local_report',
  [APPLY_STATUS.REJECTED]: 'rejected',
  [APPLY_STATUS.REPORTED]: 'local_report_completed',
  [APPLY_STATUS.CANCELLED]: 'withdrawn',
  [APPLY_STATUS.EXPIRED]: 'expired',
};

/** What guangdong offers (its descriptor and its adapter share it). */
export const CAPABILITIES: Capabilities = {
  checkOrg: false,
  withdraw: true,
  localReport: true,
  accountCreation: false,
};

export class GuangdongAdapter implements TransferAdapter {
  readonly id = P;
  readonly capabilities = CAPABILITIES;
  private readonly client: GuangdongClient;

  constructor(config: GuangdongConfig, http: AxiosInstance = axios.create(), now?: () => number) {
    this.client = new GuangdongClient(config, http, now);
  }

  async submit(request: SubmitRequest, options: CallOptions = {}): Promise<SubmitResult> {
    const env = await this.client.call({
      method: 'POST',
      path: PATHS.apply,
      json: toApplyRequest(request),
      signal: options.signal,
      onSend: options.onSend,
    });
    if (env.code === CODES.DUPLICATE_REQUEST) {
      return {
        partnerRef: parseWith(P, applyNoSchema, env.data, 'duplicate answer').applyNo,
        duplicate: true,
      };
    }
    return { partnerRef: this.client.data(env, applyNoSchema, 'apply answer').applyNo, duplicate: false };
  }

  checkOrg(_provinceCode: string, _fullName: string, _options?: CallOptions): Promise<OrgCheckResult> {
    return notSupported(P, 'guangdong offers no org-name check; search instead');
  }

  async searchOrgs(
    provinceCode: string,
    q: string,
    options: CallOptions & { limit?: number } = {},
  ): Promise<Org[]> {
    const pageSize = options.limit ?? DEFAULT_SEARCH_LIMIT;
    const rawQuery = queryString({ areaCode: provinceCode, keyword: q, pageSize }).slice(1);
    const env = await this.client.call({
      method: 'GET',
      path: PATHS.orgSearch,
      rawQuery,
      signal: options.signal,
    });
    const data = this.client.data(env, orgSearchDataSchema, 'org search');
    return data.list.slice(0, pageSize).map((o) => ({ orgId: o.orgCode, fullName: o.orgName }));
  }

  async fetchStatus(ref: TransferRef, options: CallOptions = {}): Promise<PartnerStatus> {
    const env = await this.client.call({
      method: 'POST',
      path: PATHS.query,
      json: { requestNo: ref.transferId },
      signal: options.signal,
    });
    if (env.code === CODES.APPLY_NOT_FOUND) return { status: 'not_found' };
    const s = this.client.data(env, applyStatusSchema, 'apply status');
    const at = s.reportTime ?? s.auditTime;
    return {
      status: STATUS[s.applyStatus],
      partnerRef: s.applyNo,
      ...(s.applyStatus === APPLY_STATUS.REJECTED && s.auditOpinion ? { reason: s.auditOpinion } : {}),
      ...(at ? { at: fromGdTime(at) } : {}),
    };
  }

  async withdraw(ref: TransferRef & { partnerRef: string }, options: CallOptions = {}): Promise<void> {
    const json = { requestNo: ref.transferId, applyNo: ref.partnerRef };
    const env = await this.client.call({ method: 'POST', path: PATHS.cancel, json, signal: options.signal });
    this.client.data(env, applyStatusSchema, 'cancel answer');
  }

  parseCallback(body: unknown): PartnerEvent {
    return parsePartnerCallback(
      {
        partner: P,
        types: ['transfer.approved', 'transfer.rejected', 'member.local_report_completed'],
        data: callbackDataSchema,
        at: (d) => {
          const t = d.reportTime ?? d.auditTime;
          return t ? fromGdTime(t) : undefined;
        },
      },
      body,
    );
  }
}
