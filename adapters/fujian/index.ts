/**
 * The fujian adapter: our contract in, Fujian's signed gateway out, pinyin field names at the
 * boundary only. No org-name check and no withdrawal (Fujian offers neither); members report
 * locally after approval.
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
import { parseWith } from '../http.js';
import { FujianClient } from './client.js';
import type { FujianConfig } from './config.js';
import {
  CODES,
  METHODS,
  callbackDataSchema,
  fromFjTime,
  orgSearchDataSchema,
  sqbhSchema,
  statusDataSchema,
  type ApplyBiz,
  type StatusData,
  type WireReason,
} from './wire.js';

const P = 'fujian' as const;

const XXLX = {
  general_high_school: '01',
  secondary_vocational: '02',
  university: '03',
  higher_vocational: '04',
} as const;
const QXYJ = { household_registration: '1', origin: '2', residence: '3' } as const;
const CGMD = { study: '1', public_assignment: '2', private: '3' } as const;
const ymd = (isoDate: string): string => isoDate.replaceAll('-', '');

export function toWireReason(r: SubmitReason): WireReason {
  switch (r.kind) {
    case 'further_study':
      return { zcyy: '1', yyxx: { xxlx: XXLX[r.schoolType], xxmc: r.schoolName, xxdz: r.schoolAddress } };
    case 'employed_with_org':
      return { zcyy: '2', yyxx: { dwmc: r.employerName } };
    case 'employed_without_org':
      return { zcyy: '3', yyxx: { dwmc: r.employerName, dwdz: r.employerAddress } };
    case 'not_placed':
      return { zcyy: '4', yyxx: { qxyj: QXYJ[r.placeBasis], dz: r.address } };
    case 'abroad': {
      const c = r.domesticContact;
      return {
        zcyy: '5',
        yyxx: {
          cgmd: CGMD[r.purpose],
          gjdq: r.countryOrRegion,
          cjrq: ymd(r.departureDate),
          ...(r.expectedReturnDate ? { yjhgrq: ymd(r.expectedReturnDate) } : {}),
          gnlxr: { xm: c.name, sjhm: c.phone, ...(c.relationship ? { gx: c.relationship } : {}) },
        },
      };
    }
    case 'enlistment':
      return { zcyy: '6', yyxx: { shsfdm: r.reviewingProvinceCode } };
    case 'classified_unit':
      return { zcyy: '7', yyxx: {} };
    case 'other':
      return { zcyy: '8', yyxx: { sm: r.explanation } };
  }
}

export function toApplyBiz(req: SubmitRequest): ApplyBiz {
  const i = req.initiator;
  return {
    qqlsh: req.transferId,
    wbbh: req.externalRef,
    xm: req.member.name,
    sfzh: req.member.idNumber,
    ...(req.member.phone ? { sjhm: req.member.phone } : {}),
    fqfs: i.kind === 'member' ? '1' : '2',
    ...(i.kind === 'branch' ? { fqzzid: i.branchOrgId, czyid: i.operatorId } : {}),
    zczzid: req.source.orgId,
    zczzqc: req.source.orgFullName,
    zrsfdm: '35',
    zrzzqc: req.destination.orgFullName,
    ...(req.destination.orgId ? { zrzzid: req.destination.orgId } : {}),
    bkch: req.irreversible ? '1' : '0',
    ...toWireReason(req.reason),
  };
}

const STATUS: Record<StatusData['zt'], PartnerStatus['status']> = {
  '0': 'pending',
  '1': 'awaiting_local_report',
  '2': 'rejected',
  '3': 'local_report_completed',
  '4': 'expired',
};

/** What fujian offers (its descriptor and its adapter share it). */
export const CAPABILITIES: Capabilities = {
  checkOrg: false,
  withdraw: false,
  localReport: true,
  accountCreation: false,
};

export class FujianAdapter implements TransferAdapter {
  readonly id = P;
  readonly capabilities = CAPABILITIES;
  private readonly client: FujianClient;

  constructor(config: FujianConfig, http: AxiosInstance = axios.create(), now?: () => number) {
    this.client = new FujianClient(config, http, now);
  }

  async submit(request: SubmitRequest, options: CallOptions = {}): Promise<SubmitResult> {
    const a = await this.client.call(METHODS.apply, toApplyBiz(request), options.signal, options.onSend);
    if (a.code === CODES.DUPLICATE) {
      return { partnerRef: parseWith(P, sqbhSchema, a.data, 'duplicate answer').sqbh, duplicate: true };
    }
    return { partnerRef: this.client.data(a, sqbhSchema, 'apply answer').sqbh, duplicate: false };
  }

  checkOrg(_provinceCode: string, _fullName: string, _options?: CallOptions): Promise<OrgCheckResult> {
    return notSupported(P, 'fujian offers no org-name check; search instead');
  }

  async searchOrgs(
    provinceCode: string,
    q: string,
    options: CallOptions & { limit?: number } = {},
  ): Promise<Org[]> {
    const ts = options.limit ?? DEFAULT_SEARCH_LIMIT;
    const a = await this.client.call(METHODS.orgSearch, { sfdm: provinceCode, gjz: q, ts }, options.signal);
    return this.client
      .data(a, orgSearchDataSchema, 'org search')
      .zzlb.slice(0, ts)
      .map((o) => ({ orgId: o.zzid, fullName: o.zzqc }));
  }

  async fetchStatus(ref: { transferId: string }, options: CallOptions = {}): Promise<PartnerStatus> {
    const a = await this.client.call(METHODS.query, { qqlsh: ref.transferId }, options.signal);
    if (a.code === CODES.APPLY_NOT_FOUND) return { status: 'not_found' };
    const s = this.client.data(a, statusDataSchema, 'status');
    const at = s.bdsj ?? s.shsj;
    return {
      status: STATUS[s.zt],
      partnerRef: s.sqbh,
      ...(s.zt === '2' && s.bhyy ? { reason: s.bhyy } : {}),
      ...(at ? { at: fromFjTime(at) } : {}),
    };
  }

  withdraw(_ref: TransferRef & { partnerRef: string }, _options?: CallOptions): Promise<void> {
    return notSupported(P, 'fujian does not allow withdrawing an application');
  }

  parseCallback(body: unknown): PartnerEvent {
    return parsePartnerCallback(
      {
        partner: P,
        types: [
          'transfer.approved',
          'transfer.rejected',
          'transfer.expired',
          'member.local_report_completed',
        ],
        data: callbackDataSchema,
        at: (d) => (d.clsj ? fromFjTime(d.clsj) : undefined),
      },
      body,
    );
  }
}
