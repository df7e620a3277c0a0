import { builtInPartners } from '../../adapters/registry.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { AppError } from '../../src/domain/errors.js';
import { CreateTransferBody, validateCreateTransfer } from '../../src/domain/intake.js';

const ROUTES = builtInPartners.routes();

const NOW = new Date('2024-06-01T00:00:00Z');

type Body = Record<string, unknown>;

const base = (): Body => ({
  externalRef: 'BJ-2023-000123',
  initiator: { kind: 'member' },
  member: { name: '张三', idNumber: '11010519491231002X', phone: '13800000000' },
  source: { orgId: 'bj-00042', orgFullName: '共青团北京某某大学委员会' },
  destination: { provinceCode: '44', orgFullName: '共青团广州市天河区委员会' },
  reason: { kind: 'employed_with_org', employerName: '广州某某科技有限公司' },
});

const branch = { kind: 'branch', branchOrgId: 'bj-00042-01', operatorId: 'op-7' };

/** The smallest valid reason of each kind, with what the rest of the body must say for it. */
const REASONS: Record<string, { reason: Body; extra?: Body }> = {
  further_study: {
    reason: {
      kind: 'further_study',
      schoolType: 'university',
      schoolName: '中山大学',
      schoolAddress: '广州市海珠区',
    },
  },
  employed_with_org: { reason: { kind: 'employed_with_org', employerName: '广州某某科技有限公司' } },
  employed_without_org: {
    reason: {
      kind: 'employed_without_org',
      employerName: '某某商店',
      employerAddress: '广州市天河区某路1号',
    },
  },
  not_placed: {
    reason: { kind: 'not_placed', placeBasis: 'household_registration', address: '广州市越秀区' },
  },
  abroad: {
    reason: {
      kind: 'abroad',
      purpose: 'study',
      countryOrRegion: '英国',
      departureDate: '2023-09-01',
      domesticContact: { name: '李四', phone: '13900000000' },
    },
  },
  enlistment: {
    reason: { kind: 'enlistment', reviewingProvinceCode: '44' },
    extra: { initiator: branch, confirmedWithMember: true },
  },
  classified_unit: { reason: { kind: 'classified_unit' }, extra: { confirmedWithMember: true } },
  other: { reason: { kind: 'other', explanation: '家庭原因' } },
};

const withReason = (kind: string): Body => {
  const { reason, extra } = REASONS[kind]!;
  return { ...base(), reason, ...extra };
};

function refusal(body: unknown): AppError {
  try {
    validateCreateTransfer(body, { now: NOW, routes: ROUTES });
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected the body to be refused');
}

const paths = (e: AppError) => (e.errors ?? []).map((f) => f.path);

/** A deep copy of `body` with the object holding the dotted `path` handed to `change`. */
function at(body: Body, path: string, change: (parent: Body, key: string) => void): Body {
  const copy = structuredClone(body);
  const keys = path.split('.');
  const last = keys.pop()!;
  let parent: Body = copy;
  for (const key of keys) parent = parent[key] as Body;
  change(parent, last);
  return copy;
}
const edit = (body: Body, path: string, value: unknown) => at(body, path, (p, k) => (p[k] = value));
const without = (body: Body, path: string) => at(body, path, (p, k) => delete p[k]);

describe('validateCreateTransfer: valid bodies', () => {
  it.each(Object.keys(REASONS))('accepts a minimal %s transfer', (kind) => {
    const result = validateCreateTransfer(withReason(kind), { now: NOW, routes: ROUTES });
    expect(result.reason).toEqual(REASONS[kind]!.reason);
    expect(result.irreversible).toBe(kind === 'enlistment' || kind === 'classified_unit');
  });

  it('adds the target, the normalised ID number, the birth date and the canonical org name', () => {
    const body = edit(
      edit(base(), 'member.idNumber', '11010519491231002x'),
      'destination.orgFullName',
      '共青团某某（筹）',
    );
    const result = validateCreateTransfer(body, { now: NOW, routes: ROUTES });
    expect(result).toMatchObject({
      target: 'guangdong',
      irreversible: false,
      confirmedWithMember: false,
      member: { idNumber: '11010519491231002X', birthDate: '1949-12-31' },
      destination: {
        provinceCode: '44',
        orgFullName: '共青团某某（筹）',
        canonicalOrgName: '共青团某某(筹)',
      },
    });
  });

  it.each([
    ['44', 'guangdong'],
    ['35', 'fujian'],
    ['51', 'national'],
    ['93', 'national'],
  ])('routes province %s to %s', (code, target) => {
    expect(
      validateCreateTransfer(edit(base(), 'destination.provinceCode', code), { now: NOW, routes: ROUTES })
        .target,
    ).toBe(target);
  });

  it('accepts a branch initiator, an optional phone left out, and the optional abroad fields', () => {
    const body = without(edit(withReason('abroad'), 'initiator', branch), 'member.phone');
    const reason = { ...REASONS.abroad!.reason, expectedReturnDate: '2025-07-01' };
    const result = validateCreateTransfer({ ...body, reason }, { now: NOW, routes: ROUTES });
    expect(result.initiator).toEqual(branch);
    expect(result.member.phone).toBeUndefined();
  });

  it('trims the member name', () => {
    expect(
      validateCreateTransfer(edit(base(), 'member.name', ' 张三 '), { now: NOW, routes: ROUTES }).member.name,
    ).toBe('张三');
  });
});

describe('validateCreateTransfer: schema problems', () => {
  it.each([[[]], ['body'], [null], [42], [undefined]])('refuses the non-object body %j', (body) => {
    const e = refusal(body);
    expect(e).toMatchObject({
      kind: 'invalid',
      code: 'VALIDATION_FAILED',
      message: 'body must be a JSON object',
    });
    expect(e.errors).toEqual([
      { path: '', message: 'body must be a JSON object', code: 'VALIDATION_FAILED' },
    ]);
  });

  const requiredEverywhere = [
    'externalRef',
    'initiator',
    'member',
    'member.name',
    'member.idNumber',
    'source',
    'source.orgId',
    'source.orgFullName',
    'destination',
    'destination.provinceCode',
    'destination.orgFullName',
    'reason',
  ];
  it.each(requiredEverywhere)('requires %s', (path) => {
    const e = refusal(without(base(), path));
    expect(e.errors).toEqual([{ path, message: 'required', code: 'VALIDATION_FAILED' }]);
    expect(e.message).toBe(`${path}: required`);
  });

  it.each(['branchOrgId', 'operatorId'])('requires initiator.%s from a branch', (field) => {
    expect(paths(refusal(without({ ...base(), initiator: branch }, `initiator.${field}`)))).toEqual([
      `initiator.${field}`,
    ]);
  });

  const requiredPerReason = Object.entries(REASONS).flatMap(([kind, { reason }]) =>
    Object.keys(reason)
      .filter((field) => field !== 'kind')
      .map((field) => [kind, field] as const),
  );
  it.each(requiredPerReason)('requires %s.%s', (kind, field) => {
    const e = refusal(without(withReason(kind), `reason.${field}`));
    expect(e.errors).toEqual([
      { path: `reason.${field}`, message: expect.stringMatching(/^required\b/), code: 'VALIDATION_FAILED' },
    ]);
  });

  it.each(['name', 'phone'])('requires reason.domesticContact.%s', (field) => {
    expect(paths(refusal(without(withReason('abroad'), `reason.domesticContact.${field}`)))).toEqual([
      `reason.domesticContact.${field}`,
    ]);
  });

  it('requires reason.kind and names the kinds', () => {
    const e = refusal(edit(base(), 'reason', {}));
    expect(e.errors).toEqual([
      {
        path: 'reason.kind',
        code: 'VALIDATION_FAILED',
        message: expect.stringMatching(/^required; one of: further_study, /),
      },
    ]);
  });

  it('refuses an unknown reason kind', () => {
    const e = refusal(edit(base(), 'reason', { kind: 'retired' }));
    expect(e.errors![0]).toMatchObject({
      path: 'reason.kind',
      message: expect.stringMatching(/^must be one of: /),
    });
  });

  it('refuses an unknown enum value', () => {
    const e = refusal(edit(withReason('further_study'), 'reason.schoolType', 'college'));
    expect(e.errors).toEqual([
      {
        path: 'reason.schoolType',
        code: 'VALIDATION_FAILED',
        message: 'must be one of: general_high_school, secondary_vocational, university, higher_vocational',
      },
    ]);
  });

  it.each([
    ['root', base(), 'extra'],
    ['initiator', base(), 'initiator.branchOrgId'],
    ['member', base(), 'member.email'],
    ['source', base(), 'source.province'],
    ['destination', base(), 'destination.orgId'],
    ['reason', base(), 'reason.employerAddress'],
    ['domesticContact', withReason('abroad'), 'reason.domesticContact.email'],
    ['classified_unit', withReason('classified_unit'), 'reason.employerName'],
  ])('refuses an unknown field in %s', (_level, body, path) => {
    const e = refusal(edit(body, path, 'x'));
    expect(e.errors).toEqual([{ path, message: 'unknown field', code: 'VALIDATION_FAILED' }]);
  });

  it('gives each unknown field its own path', () => {
    expect(paths(refusal({ ...base(), a: 1, b: 2 }))).toEqual(['a', 'b']);
  });

  it.each([
    ['externalRef', 'x'.repeat(65), 'must have at most 64 characters'],
    ['externalRef', 'BJ 1', 'must be visible ASCII characters without spaces'],
    ['externalRef', '', 'must not be empty'],
    ['member.name', '   ', 'must not be blank'],
    ['member.name', '张'.repeat(51), 'must have at most 50 characters'],
    ['member.idNumber', 11010519491231002, 'expected string, got number'],
    ['confirmedWithMember', 'true', 'expected boolean, got string'],
  ])('refuses %s = %j', (path, value, message) => {
    expect(refusal(edit(base(), path, value)).errors).toEqual([{ path, message, code: 'VALIDATION_FAILED' }]);
  });
});

describe('validateCreateTransfer: semantic rules', () => {
  const only = (body: Body) => {
    const e = refusal(body);
    expect(e.errors).toHaveLength(1);
    expect(e.code).toBe(e.errors![0]!.code);
    return e.errors![0]!;
  };

  it('INVALID_ID_NUMBER names the rule that failed', () => {
    const e = refusal(edit(base(), 'member.idNumber', '110105194912310023'));
    expect(e.code).toBe('INVALID_ID_NUMBER');
    expect(e.message).toBe('member.idNumber: check digit does not match (expected X, got 3)');
    expect(only(edit(base(), 'member.idNumber', '110105491231002'))).toMatchObject({
      path: 'member.idNumber',
      message: expect.stringMatching(/15-digit legacy/),
    });
  });

  it.each([
    ['member.phone', base()],
    ['reason.domesticContact.phone', withReason('abroad')],
  ])('INVALID_PHONE at %s', (path, body) => {
    expect(only(edit(body, path, '12345678901'))).toMatchObject({ path, code: 'INVALID_PHONE' });
  });

  it.each(['99', '4', 'GD', '71'])('INVALID_PROVINCE_CODE for destination %j', (code) => {
    expect(only(edit(base(), 'destination.provinceCode', code))).toMatchObject({
      path: 'destination.provinceCode',
      code: 'INVALID_PROVINCE_CODE',
    });
  });

  it.each(['99', '444', '83'])('INVALID_PROVINCE_CODE for reviewing province %j', (code) => {
    expect(only(edit(withReason('enlistment'), 'reason.reviewingProvinceCode', code))).toMatchObject({
      path: 'reason.reviewingProvinceCode',
      code: 'INVALID_PROVINCE_CODE',
    });
  });

  it('lets Beijing review an enlistment', () => {
    expect(
      validateCreateTransfer(edit(withReason('enlistment'), 'reason.reviewingProvinceCode', '11'), {
        now: NOW,
        routes: ROUTES,
      }),
    ).toMatchObject({
      irreversible: true,
    });
  });

  it('DESTINATION_IS_INTERNAL for Beijing', () => {
    expect(only(edit(base(), 'destination.provinceCode', '11'))).toMatchObject({
      path: 'destination.provinceCode',
      code: 'DESTINATION_IS_INTERNAL',
    });
  });

  it('ENLISTMENT_REQUIRES_BRANCH when the member starts an enlistment', () => {
    expect(only(edit(withReason('enlistment'), 'initiator', { kind: 'member' }))).toMatchObject({
      path: 'initiator.kind',
      code: 'ENLISTMENT_REQUIRES_BRANCH',
    });
  });

  it.each([
    ['enlistment', false],
    ['enlistment', undefined],
    ['classified_unit', false],
    ['classified_unit', undefined],
  ])('CONFIRMATION_REQUIRED for %s with confirmedWithMember %s', (kind, confirmed) => {
    const body =
      confirmed === undefined
        ? without(withReason(kind), 'confirmedWithMember')
        : edit(withReason(kind), 'confirmedWithMember', confirmed);
    expect(only(body)).toMatchObject({ path: 'confirmedWithMember', code: 'CONFIRMATION_REQUIRED' });
  });

  it.each([
    ['reason.departureDate', '2023-02-30'],
    ['reason.departureDate', '2023/09/01'],
    ['reason.expectedReturnDate', '2023-08-31'],
  ])('INVALID_DATE for %s = %s', (path, value) => {
    expect(only(edit(withReason('abroad'), path, value))).toMatchObject({ path, code: 'INVALID_DATE' });
  });

  it('collects every problem, and says VALIDATION_FAILED when they differ', () => {
    const body = {
      ...base(),
      surprise: true,
      member: { name: '张三', idNumber: '110105194912310023', phone: '123' },
      destination: { provinceCode: '11', orgFullName: '共青团北京某某委员会' },
      reason: { kind: 'enlistment', reviewingProvinceCode: '99' },
    };
    const e = refusal(body);
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.errors!.map((f) => [f.path, f.code])).toEqual(
      expect.arrayContaining([
        ['surprise', 'VALIDATION_FAILED'],
        ['member.phone', 'INVALID_PHONE'],
        ['member.idNumber', 'INVALID_ID_NUMBER'],
        ['destination.provinceCode', 'DESTINATION_IS_INTERNAL'],
        ['reason.reviewingProvinceCode', 'INVALID_PROVINCE_CODE'],
        ['initiator.kind', 'ENLISTMENT_REQUIRES_BRANCH'],
        ['confirmedWithMember', 'CONFIRMATION_REQUIRED'],
      ]),
    );
    expect(e.errors).toHaveLength(7);
    expect(e.message).toMatch(/ \(and 6 more problems\)$/);
  });

  it('keeps the shared code when every problem has it', () => {
    const body = edit(edit(withReason('abroad'), 'member.phone', '1'), 'reason.domesticContact.phone', '2');
    const e = refusal(body);
    expect(e.code).toBe('INVALID_PHONE');
    expect(paths(e)).toEqual(['member.phone', 'reason.domesticContact.phone']);
    expect(e.message).toMatch(/^member\.phone: .* \(and 1 more problem\)$/);
  });
});

describe('CreateTransferBody', () => {
  it('can be published as JSON Schema, strict at every level', () => {
    const schema = JSON.stringify(z.toJSONSchema(CreateTransferBody, { io: 'input' }));
    expect(schema).toContain('"additionalProperties":false');
    expect(schema).not.toContain('"additionalProperties":{}');
    expect(schema).toContain('组织全称');
  });
});
