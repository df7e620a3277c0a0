/**
 * Shared bits of the per-adapter nock tests: capture what actually went over the wire, sample
 * requests covering every reason, and a helper that returns a rejection's error.
 */
import type { ClientRequest } from 'node:http';
import type nock from 'nock';
import type { SubmitReason, SubmitRequest } from '../../adapters/adapter.js';

export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The body exactly as sent. */
  body: string;
}

/** Records every request the scope intercepts, raw body included (signatures are over bytes). */
export function capture(scope: nock.Scope): SeenRequest[] {
  const seen: SeenRequest[] = [];
  scope.on('request', (req: ClientRequest, _interceptor: unknown, body: string) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.getHeaders())) headers[k.toLowerCase()] = String(v);
    seen.push({ method: req.method, path: req.path, headers, body });
  });
  return seen;
}

export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

export const ALL_REASONS: SubmitReason[] = [
  {
    kind: 'further_study',
    schoolType: 'university',
    schoolName: '中山大学',
    schoolAddress: '广州市海珠区新港西路135号',
  },
  { kind: 'employed_with_org', employerName: '广州某某科技有限公司' },
  {
    kind: 'employed_without_org',
    employerName: '某某商贸有限公司',
    employerAddress: '福州市鼓楼区五四路1号',
  },
  { kind: 'not_placed', placeBasis: 'household_registration', address: '济南市历下区泉城路1号' },
  {
    kind: 'abroad',
    purpose: 'study',
    countryOrRegion: '新加坡',
    departureDate: '2025-08-20',
    expectedReturnDate: '2027-07-01',
    domesticContact: { name: '李四', phone: '13900000000', relationship: '父亲' },
  },
  { kind: 'enlistment', reviewingProvinceCode: '44' },
  { kind: 'classified_unit' },
  { kind: 'other', explanation: '随家庭迁居' },
];

export function sampleRequest(
  provinceCode: string,
  orgFullName: string,
  over: Partial<SubmitRequest> = {},
): SubmitRequest {
  return {
    transferId: 'trf_01J9Z8Y7X6W5V4T3S2R1Q0P9N8',
    externalRef: 'BJ-2025-000123',
    member: { name: '张三', idNumber: '11010519491231002X', phone: '13800000000' },
    initiator: { kind: 'branch', branchOrgId: 'bj-00042-07', operatorId: 'op-19' },
    source: { orgId: 'bj-00042', orgFullName: '共青团北京某某大学委员会' },
    destination: { provinceCode, orgFullName, orgId: 'ORG-1' },
    reason: { kind: 'employed_with_org', employerName: '某某科技有限公司' },
    irreversible: false,
    ...over,
  };
}

/** A connection reset as node reports it (nock needs an Error instance for axios to see it at once). */
export const connectionReset = (): Error =>
  Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
