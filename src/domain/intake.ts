/**
 * The intake rules: what a transfer handed over by the Beijing system must be (docs/api.md), as the
 * request schema and the rules a schema cannot express. The HTTP layer validates with this and hands
 * the use case a ValidatedTransfer. The schema stays free of transforms and refinements so
 * z.toJSONSchema can publish it as is; everything that needs a lookup or compares two fields lives in
 * `semanticErrors`.
 */
import { z } from 'zod';

import { AppError, type FieldError } from './errors.js';
import { at, fieldErrors, VALIDATION_FAILED } from './field-errors.js';
import { parseIdNumber } from './id-number.js';
import { canonicalOrgName } from './org-name.js';
import { isLeagueProvinceCode } from './provinces.js';
import { routeDestination, type Routes } from './routing.js';
import { normalizeStrings, stringsIn, textProblem } from './text.js';
import { IRREVERSIBLE_REASONS, REASON_KINDS, type Target } from './transfer.js';

const TWO_DIGITS = /^\d{2}$/;

const text = (max: number, description: string) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/\S/, 'must not be blank')
    .meta({
      description: `${description}. Stored NFC-normalised and trimmed; control, bidirectional and other invisible format characters, unpaired surrogates and U+FFFD are refused`,
    });
const identifier = (description: string) => text(64, description);
const provinceCode = (description: string) =>
  z.string().regex(TWO_DIGITS, 'must be a two-digit province or sector code').meta({ description });
const mobile = (description: string) =>
  z
    .string()
    .regex(/^1[3-9]\d{9}$/, 'must be a mainland mobile number: 11 digits starting with 13–19')
    .meta({ description });
const isoDate = (description: string) =>
  z.iso.date({ error: 'must be a real calendar date in YYYY-MM-DD form' }).meta({ description });

export const initiator = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('member') }).meta({ description: 'the member, self-service (手机端)' }),
    z
      .strictObject({
        kind: z.literal('branch'),
        branchOrgId: identifier('Beijing system id of the branch (团支部) acting for the member'),
        operatorId: identifier('Beijing system id of the operator using the branch account'),
      })
      .meta({ description: 'the branch account, acting for the member (支部账号 → 我的团员 → 发起转移)' }),
  ])
  .meta({ description: 'who started the transfer' });

const member = z
  .strictObject({
    name: text(50, 'full name, as on the ID card'),
    idNumber: z.string().meta({ description: '18-character resident ID number (GB 11643); x or X as last' }),
    phone: mobile('mainland mobile number').optional(),
  })
  .meta({ description: 'the member being transferred' });

export const source = z
  .strictObject({
    orgId: identifier('Beijing system id of the org that holds the registration'),
    orgFullName: text(100, 'full name of that org'),
  })
  .meta({ description: 'the Beijing org the member leaves' });

export const destination = z
  .strictObject({
    provinceCode: provinceCode(
      'GB/T 2260 province code, or a national-sector code 91–95; the routing table (PROVINCE_ROUTES) says which partner serves it; 11 is refused',
    ),
    orgFullName: text(
      100,
      "full name (组织全称) of the destination org; resolved against the partner's own directory (width, spaces and brackets may differ) and sent as the partner spells it",
    ),
  })
  .meta({ description: 'the org the member moves to' });

const reasonKinds = [
  z
    .strictObject({
      kind: z.literal('further_study'),
      schoolType: z
        .enum(['general_high_school', 'secondary_vocational', 'university', 'higher_vocational'])
        .meta({ description: '普通高中 / 中等职业学校 / 普通高校 / 高等职业院校' }),
      schoolName: text(100, 'name of the school'),
      schoolAddress: text(200, 'address of the school'),
    })
    .meta({ description: '升学: further study' }),
  z
    .strictObject({ kind: z.literal('employed_with_org'), employerName: text(100, 'name of the employer') })
    .meta({ description: '已落实工作单位（有团组织）: employer has a league org' }),
  z
    .strictObject({
      kind: z.literal('employed_without_org'),
      employerName: text(100, 'name of the employer'),
      employerAddress: text(200, 'address of the employer'),
    })
    .meta({ description: '已落实工作单位（无团组织）: the destination is the local 学社衔接临时团支部' }),
  z
    .strictObject({
      kind: z.literal('not_placed'),
      placeBasis: z
        .enum(['household_registration', 'origin', 'residence'])
        .meta({ description: '户籍所在地 / 生源地 / 本人或父母居住地' }),
      address: text(200, 'address of that place'),
    })
    .meta({ description: '未落实去向: not yet placed' }),
  z
    .strictObject({
      kind: z.literal('abroad'),
      purpose: z
        .enum(['study', 'public_assignment', 'private'])
        .meta({ description: 'study / work on public assignment / private' }),
      countryOrRegion: text(50, 'country or region of stay'),
      departureDate: isoDate('date of departure'),
      expectedReturnDate: isoDate('expected date of return; not before departure').optional(),
      domesticContact: z
        .strictObject({
          name: text(50, 'name of the contact in China'),
          phone: mobile("contact's mainland mobile number"),
          relationship: text(20, 'relationship to the member').optional(),
        })
        .meta({ description: 'someone in China who can be reached about the member' }),
    })
    .meta({ description: '出国（境）: abroad' }),
  z
    .strictObject({
      kind: z.literal('enlistment'),
      reviewingProvinceCode: provinceCode('province or sector code of the committee that reviews it'),
    })
    .meta({ description: '参军入伍: branch-initiated only, confirmed with the member, irreversible' }),
  z
    .strictObject({ kind: z.literal('classified_unit') })
    .meta({ description: '涉密单位: confirmed with the member, irreversible; no employer details travel' }),
  z
    .strictObject({ kind: z.literal('other'), explanation: text(500, 'why the member is leaving') })
    .meta({ description: '其他: other' }),
] as const;

export const ReasonBody = z
  .discriminatedUnion('kind', reasonKinds)
  .meta({ description: 'why the member leaves (转出原因), with what that reason needs' });
export type ReasonBodyInput = z.infer<typeof ReasonBody>;

export const CreateTransferBody = z
  .strictObject({
    externalRef: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[\x21-\x7E]+$/, 'must be visible ASCII characters without spaces')
      .meta({ description: "the Beijing system's own reference for this transfer" }),
    initiator,
    member,
    source,
    destination,
    reason: ReasonBody,
    confirmedWithMember: z.boolean().default(false).meta({
      description: 'the member confirmed the transfer; required true for enlistment and classified_unit',
    }),
  })
  .meta({ description: 'Start a transfer out of the Beijing system' });
export type CreateTransferBodyInput = z.infer<typeof CreateTransferBody>;

export type ValidatedTransfer = Omit<CreateTransferBodyInput, 'member' | 'destination'> & {
  /** idNumber is normalised to an upper-case X. */
  member: CreateTransferBodyInput['member'] & { birthDate: string };
  destination: CreateTransferBodyInput['destination'] & { canonicalOrgName: string };
  target: Target;
  irreversible: boolean;
};

export interface IntakeContext {
  now: Date;
  /** Which partner serves which province code. */
  routes: Routes;
}

/** Throws AppError('invalid') listing every problem found, schema and semantic alike. */
export function validateCreateTransfer(body: unknown, ctx: IntakeContext): ValidatedTransfer {
  const { now, routes } = ctx;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid([{ path: '', message: 'body must be a JSON object', code: VALIDATION_FAILED }]);
  }
  const parsed = CreateTransferBody.safeParse(body, { reportInput: true });
  const schemaErrors = parsed.success ? [] : fieldErrors(parsed.error.issues, { formatCode });
  const errors = firstPerPath([...schemaErrors, ...semanticErrors(body, ctx)]);
  if (!parsed.success || errors.length > 0) throw invalid(errors);

  const data = normalizeStrings(parsed.data);
  const id = parseIdNumber(data.member.idNumber, now);
  const route = routeDestination(data.destination.provinceCode, routes);
  if (!id.ok || !route.ok)
    throw new AppError('internal', 'INTERNAL', 'semantic checks let a bad value through');
  return {
    ...data,
    member: { ...data.member, name: data.member.name.trim(), idNumber: id.value, birthDate: id.birthDate },
    destination: { ...data.destination, canonicalOrgName: canonicalOrgName(data.destination.orgFullName) },
    target: route.target,
    irreversible: IRREVERSIBLE_REASONS.has(data.reason.kind),
  };
}

function invalid(errors: FieldError[]): AppError {
  const [first] = errors;
  const codes = new Set(errors.map((e) => e.code));
  const [only] = codes;
  const code = codes.size === 1 && only !== undefined ? only : VALIDATION_FAILED;
  const headline = first === undefined ? 'invalid request' : describe(first);
  const more =
    errors.length > 1
      ? ` (and ${errors.length - 1} more ${errors.length === 2 ? 'problem' : 'problems'})`
      : '';
  return new AppError('invalid', code, headline + more, errors);
}

const describe = (e: FieldError): string => (e.path === '' ? e.message : `${e.path}: ${e.message}`);

/** One message per field: the first one found is the one worth fixing first. */
function firstPerPath(errors: FieldError[]): FieldError[] {
  const byPath = new Map<string, FieldError>();
  for (const e of errors) if (!byPath.has(e.path)) byPath.set(e.path, e);
  return [...byPath.values()];
}

/** Format problems on fields that have their own code keep it; type and presence problems are generic. */
function formatCode(issue: z.core.$ZodIssueInvalidStringFormat, path: string): string {
  if (issue.format === 'date') return 'INVALID_DATE';
  if (path === 'member.phone' || path === 'reason.domesticContact.phone') return 'INVALID_PHONE';
  if (path === 'destination.provinceCode' || path === 'reason.reviewingProvinceCode') {
    return 'INVALID_PROVINCE_CODE';
  }
  return VALIDATION_FAILED;
}

/**
 * Rules that need a lookup or more than one field. They read the raw body, not the parse result,
 * so that they still report when some unrelated field broke the schema; each looks only at values
 * of the type it expects and leaves wrong types to the schema's messages.
 */
function semanticErrors(body: object, { now, routes }: IntakeContext): FieldError[] {
  const errors: FieldError[] = [];
  const add = (path: string, code: string, message: string) => errors.push({ path, code, message });

  // Characters no partner can use, in any string of the body.
  for (const [path, value] of stringsIn(body)) {
    const problem = textProblem(value);
    if (problem) add(path, VALIDATION_FAILED, problem);
  }

  const idNumber = at(body, 'member', 'idNumber');
  if (typeof idNumber === 'string') {
    const id = parseIdNumber(idNumber, now);
    if (!id.ok) add('member.idNumber', 'INVALID_ID_NUMBER', id.message);
  }

  const provinceCode = at(body, 'destination', 'provinceCode');
  if (typeof provinceCode === 'string' && TWO_DIGITS.test(provinceCode)) {
    const route = routeDestination(provinceCode, routes);
    if (!route.ok) add('destination.provinceCode', route.code, route.message);
  }

  const reasonKind = at(body, 'reason', 'kind');
  if (reasonKind === 'enlistment') {
    const reviewing = at(body, 'reason', 'reviewingProvinceCode');
    if (typeof reviewing === 'string' && TWO_DIGITS.test(reviewing) && !isLeagueProvinceCode(reviewing)) {
      add(
        'reason.reviewingProvinceCode',
        'INVALID_PROVINCE_CODE',
        `"${reviewing}" is not a province or national-sector code with a league committee`,
      );
    }
    if (at(body, 'initiator', 'kind') === 'member') {
      add(
        'initiator.kind',
        'ENLISTMENT_REQUIRES_BRANCH',
        'an enlistment (参军入伍) transfer can only be started by the branch account, not by the member',
      );
    }
  }
  const irreversibleKind = REASON_KINDS.find((k) => k === reasonKind && IRREVERSIBLE_REASONS.has(k));
  if (irreversibleKind !== undefined && at(body, 'confirmedWithMember') !== true) {
    add(
      'confirmedWithMember',
      'CONFIRMATION_REQUIRED',
      `${irreversibleKind} transfers cannot be withdrawn once submitted: confirm with the member and send confirmedWithMember: true`,
    );
  }

  if (reasonKind === 'abroad') {
    const departure = at(body, 'reason', 'departureDate');
    const expectedReturn = at(body, 'reason', 'expectedReturnDate');
    if (isRealDate(departure) && isRealDate(expectedReturn) && expectedReturn < departure) {
      add('reason.expectedReturnDate', 'INVALID_DATE', `must not be before departureDate (${departure})`);
    }
  }
  return errors;
}

const realDate = z.iso.date();
const isRealDate = (value: unknown): value is string => realDate.safeParse(value).success;
