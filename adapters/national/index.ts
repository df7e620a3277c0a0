/**
 * The national (智慧团建) adapter: our contract in, the national REST API out. Every answer is parsed
 * with the shared wire schemas; every failure leaves as a PartnerError.
 */
import axios, { type AxiosInstance } from 'axios';
import type { z } from 'zod';
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
import {
  PartnerProtocolError,
  PermanentPartnerError,
  RetryablePartnerError,
  type Org,
  type PartnerError,
} from '../errors.js';
import { parseJson, parseWith, queryString, transientStatusError, type RawAnswer } from '../http.js';
import { NationalClient } from './client.js';
import type { NationalConfig } from './config.js';
import {
  PATHS,
  REASON_CODES,
  REQUEST_ID_HEADER,
  applicationSchema,
  callbackDataSchema,
  errorBodySchema,
  isErrorCode,
  orgCheckAnswerSchema,
  orgSearchAnswerSchema,
  type ApplicationRequest,
  type ErrorBody,
  type WireOrg,
  type WireReason,
} from './wire.js';

const P = 'national' as const;

const SCHOOL_TYPE = {
  general_high_school: '1',
  secondary_vocational: '2',
  university: '3',
  higher_vocational: '4',
} as const;
const PLACE_BASIS = { household_registration: 'HUJI', origin: 'SHENGYUAN', residence: 'JUZHU' } as const;
const PURPOSE = { study: 'STUDY', public_assignment: 'PUBLIC', private: 'PRIVATE' } as const;

export function toWireReason(reason: SubmitReason): WireReason {
  switch (reason.kind) {
    case 'further_study':
      return {
        code: REASON_CODES.further_study,
        schoolType: SCHOOL_TYPE[reason.schoolType],
        schoolName: reason.schoolName,
        schoolAddress: reason.schoolAddress,
      };
    case 'employed_with_org':
      return { code: REASON_CODES.employed_with_org, employerName: reason.employerName };
    case 'employed_without_org':
      return {
        code: REASON_CODES.employed_without_org,
        employerName: reason.employerName,
        employerAddress: reason.employerAddress,
      };
    case 'not_placed':
      return {
        code: REASON_CODES.not_placed,
        destinationBasis: PLACE_BASIS[reason.placeBasis],
        address: reason.address,
      };
    case 'abroad': {
      const c = reason.domesticContact;
      return {
        code: REASON_CODES.abroad,
        purpose: PURPOSE[reason.purpose],
        countryOrRegion: reason.countryOrRegion,
        departureDate: reason.departureDate,
        ...(reason.expectedReturnDate ? { expectedReturnDate: reason.expectedReturnDate } : {}),
        domesticContact: {
          name: c.name,
          mobile: c.phone,
          ...(c.relationship ? { relation: c.relationship } : {}),
        },
      };
    }
    case 'enlistment':
      return { code: REASON_CODES.enlistment, reviewProvinceCode: reason.reviewingProvinceCode };
    case 'classified_unit':
      return { code: REASON_CODES.classified_unit };
    case 'other':
      return { code: REASON_CODES.other, description: reason.explanation };
  }
}

export function toApplicationRequest(req: SubmitRequest): ApplicationRequest {
  return {
    requestId: req.transferId,
    externalRef: req.externalRef,
    applicant: {
      name: req.member.name,
      idNumber: req.member.idNumber,
      ...(req.member.phone ? { mobile: req.member.phone } : {}),
    },
    initiator:
      req.initiator.kind === 'member'
        ? { type: 'MEMBER' }
        : { type: 'BRANCH', branchOrgId: req.initiator.branchOrgId, operatorId: req.initiator.operatorId },
    fromOrg: { orgId: req.source.orgId, fullName: req.source.orgFullName },
    toOrg: {
      provinceCode: req.destination.provinceCode,
      fullName: req.destination.orgFullName,
      ...(req.destination.orgId ? { orgId: req.destination.orgId } : {}),
    },
    reason: toWireReason(req.reason),
    irrevocable: req.irreversible,
  };
}

const STATUS_MAP = {
  PENDING: 'pending',
  APPROVED: 'approved',
  REJECTED: 'rejected',
  EXPIRED: 'expired',
  WITHDRAWN: 'withdrawn',
} as const;

const toOrg = (o: WireOrg): Org => ({ orgId: o.orgId, fullName: o.fullName });

/** What national offers (its descriptor and its adapter share it). */
export const CAPABILITIES: Capabilities = {
  checkOrg: true,
  withdraw: true,
  localReport: false,
  accountCreation: true,
};

export class NationalAdapter implements TransferAdapter {
  readonly id = P;
  readonly capabilities = CAPABILITIES;
  private readonly client: NationalClient;

  constructor(config: NationalConfig, http: AxiosInstance = axios.create(), now?: () => number) {
    this.client = new NationalClient(config, http, now);
  }

  async submit(request: SubmitRequest, options: CallOptions = {}): Promise<SubmitResult> {
    const answer = await this.client.request({
      method: 'POST',
      url: PATHS.applications,
      headers: { [REQUEST_ID_HEADER]: request.transferId },
      json: toApplicationRequest(request),
      signal: options.signal,
      onSend: options.onSend,
    });
    if (answer.status === 201 || answer.status === 200) {
      const app = this.parse(answer, applicationSchema, 'application');
      return { partnerRef: app.applicationId, duplicate: false };
    }
    const error = this.errorBody(answer);
    if (error.code === 'DUPLICATE_REQUEST' && error.details?.applicationId) {
      return { partnerRef: error.details.applicationId, duplicate: true };
    }
    throw this.errorFrom(answer, error);
  }

  async checkOrg(provinceCode: string, fullName: string, options: CallOptions = {}): Promise<OrgCheckResult> {
    const answer = await this.get(`${PATHS.orgCheck}${queryString({ provinceCode, fullName })}`, options);
    const check = this.expect(answer, orgCheckAnswerSchema, 'org check');
    return check.exists
      ? { result: 'exists', org: toOrg(check.org) }
      : { result: 'not_found', suggestions: check.suggestions.map(toOrg) };
  }

  async searchOrgs(
    provinceCode: string,
    q: string,
    options: CallOptions & { limit?: number } = {},
  ): Promise<Org[]> {
    const pageSize = options.limit ?? DEFAULT_SEARCH_LIMIT;
    const answer = await this.get(
      `${PATHS.orgSearch}${queryString({ provinceCode, keyword: q, pageSize })}`,
      options,
    );
    return this.expect(answer, orgSearchAnswerSchema, 'org search').items.slice(0, pageSize).map(toOrg);
  }

  async fetchStatus(ref: TransferRef, options: CallOptions = {}): Promise<PartnerStatus> {
    const answer = await this.get(PATHS.application(ref.transferId), options);
    if (answer.status === 404) {
      const error = this.errorBody(answer);
      if (error.code === 'APPLICATION_NOT_FOUND') return { status: 'not_found' };
      throw this.errorFrom(answer, error);
    }
    const app = this.expect(answer, applicationSchema, 'application');
    return {
      status: STATUS_MAP[app.status],
      partnerRef: app.applicationId,
      at: app.updatedAt,
      ...(app.rejectReason ? { reason: app.rejectReason } : {}),
      ...(app.accountCreated === undefined ? {} : { accountCreated: app.accountCreated }),
    };
  }

  async withdraw(ref: TransferRef & { partnerRef: string }, options: CallOptions = {}): Promise<void> {
    const answer = await this.client.request({
      method: 'POST',
      url: PATHS.withdraw(ref.transferId),
      json: {},
      signal: options.signal,
    });
    this.expect(answer, applicationSchema, 'application');
  }

  parseCallback(body: unknown): PartnerEvent {
    return parsePartnerCallback(
      {
        partner: P,
        types: ['transfer.approved', 'transfer.rejected', 'transfer.expired', 'member.account_created'],
        data: callbackDataSchema,
        at: (d) => d.decidedAt,
      },
      body,
    );
  }

  private get(url: string, options: CallOptions): Promise<RawAnswer> {
    return this.client.request({ method: 'GET', url, signal: options.signal });
  }

  private parse<S extends z.ZodType>(answer: RawAnswer, schema: S, what: string): z.output<S> {
    return parseWith(P, schema, parseJson(P, answer.body, answer.status), what, answer.status);
  }

  /** A 2xx answer parsed with `schema`; anything else becomes its typed error. */
  private expect<S extends z.ZodType>(answer: RawAnswer, schema: S, what: string): z.output<S> {
    if (answer.status >= 200 && answer.status < 300) return this.parse(answer, schema, what);
    throw this.errorFrom(answer, this.errorBody(answer));
  }

  private errorBody(answer: RawAnswer): ErrorBody['error'] {
    const transient = transientStatusError(P, answer);
    if (transient) throw transient;
    return this.parse(answer, errorBodySchema, 'error body').error;
  }

  private errorFrom(answer: RawAnswer, error: ErrorBody['error']): PartnerError {
    const base = { partner: P, status: answer.status };
    const opts = { ...base, partnerReason: error.message };
    const code = isErrorCode(error.code) ? error.code : undefined;
    switch (code) {
      case 'INVALID_REQUEST':
      case 'PROVINCE_NOT_SERVED':
        return new PermanentPartnerError('INVALID_DATA', `national: ${error.message}`, opts);
      case 'ORG_NOT_FOUND':
        return new PermanentPartnerError('ORG_NOT_FOUND', `national: ${error.message}`, {
          ...opts,
          suggestions: (error.details?.suggestions ?? []).map(toOrg),
        });
      case 'APPLICATION_REJECTED':
        return new PermanentPartnerError('REJECTED', `national: ${error.message}`, opts);
      case 'APPLICATION_NOT_FOUND':
      case 'DECISION_ALREADY_MADE':
      case 'WITHDRAW_NOT_ALLOWED':
        return new PermanentPartnerError(code, `national: ${error.message}`, opts);
      case 'INVALID_TOKEN':
        return new RetryablePartnerError('AUTH_FAILED', 'national: token refused', base);
      case 'DUPLICATE_REQUEST':
        return new PartnerProtocolError(
          'SCHEMA_MISMATCH',
          'national: duplicate answer without applicationId',
          base,
        );
      default:
        // 429/5xx never get here (errorBody threw them); an undocumented 4xx code is the partner
        // breaking its contract, so it is retried a bounded number of times rather than trusted.
        return new PartnerProtocolError(
          'UNKNOWN_CODE',
          `national: undocumented error ${error.code} (HTTP ${answer.status})`,
          base,
        );
    }
  }
}
