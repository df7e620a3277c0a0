/**
 * Intake bodies for the fuzz suite: bodies valid by construction (every documented rule kept: strict
 * schema, GB 11643 ID numbers, province routing, text rules, the reason's own needs, the cross-field
 * rules), and single mutations of them that each break exactly one documented rule.
 */
import fc from 'fast-check';
import provinces from '../../fixtures/provinces.json' with { type: 'json' };
import { checkDigit } from '../../src/domain/id-number.js';
import type { Target } from '../../src/domain/transfer.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Body = { [k: string]: Json };

const entries = provinces as { code: string; kind: string; destination: boolean }[];
/** Codes a transfer may go to (11 is refused: internal). */
export const DESTINATION_CODES = entries.filter((e) => e.destination && e.code !== '11').map((e) => e.code);
/** Codes a league committee sits behind (an enlistment's reviewer), Beijing included. */
const LEAGUE_CODES = entries.filter((e) => e.destination).map((e) => e.code);
/** Prefixes an ID number may open with. */
const ID_PREFIXES = entries.filter((e) => e.kind !== 'sector').map((e) => e.code);
const WHOLE_REGION = new Set(['81', '82', '83']);

export function targetOf(provinceCode: string): Target {
  return provinceCode === '44' ? 'guangdong' : provinceCode === '35' ? 'fujian' : 'national';
}

// --- text ------------------------------------------------------------------------------------

/**
 * Pieces of text every partner can use: CJK, Latin, digits, punctuation seen in names and addresses, a
 * letter with a combining accent after it, an astral ideograph, an emoji. Spaces only inside or around.
 */
const PIECES = [
  ...'共青团委员会北京上海广州福建深圳厦门天河思明海淀朝阳某大学中学职业技术学院有限公司科技张王李赵刘陈杨黄吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤',
  ...'ABCXYZabcxyz0123456789',
  '·',
  '（',
  '）',
  '(',
  ')',
  '-',
  '、',
  '#',
  'é',
  'e\u0301',
  'Å',
  '𠀀',
  '😀',
  'Ñ',
];
const SPACES = [' ', '\u3000', '\u00a0'];

/** Valid free text of at most `max` UTF-16 units: not blank, no refused character. */
export function text(max: number): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: Math.min(max, 24) }),
      fc.array(fc.constantFrom(...PIECES, ' '), { maxLength: Math.min(max, 12) }),
      fc.option(fc.constantFrom(...SPACES), { nil: undefined }),
      fc.option(fc.constantFrom(...SPACES), { nil: undefined }),
    )
    .map(([core, tail, lead, trail]) => {
      let s = core.join('') + tail.join('');
      s = (lead ?? '') + s + (trail ?? '');
      while (s.length > max) s = Array.from(s).slice(0, -1).join('');
      return s.trim() === '' || /^[\s]*\p{M}/u.test(s) ? '共青团' : s;
    });
}

const visibleAscii = (min: number, max: number) =>
  fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: min,
    maxLength: max,
  });

export const mobile = fc
  .tuple(fc.integer({ min: 3, max: 9 }), fc.integer({ min: 0, max: 999_999_999 }))
  .map(([d, rest]) => `1${d}${String(rest).padStart(9, '0')}`);

const day = 24 * 3600 * 1000;
/** A real calendar date; UTC arithmetic so every value is a real YYYY-MM-DD. */
const isoDate = (fromYear: number, toYear: number) =>
  fc
    .integer({ min: Date.UTC(fromYear, 0, 1) / day, max: Date.UTC(toYear, 11, 31) / day })
    .map((d) => new Date(d * day).toISOString().slice(0, 10));

// --- ID numbers --------------------------------------------------------------------------------

export const validIdNumber = fc
  .tuple(
    fc.constantFrom(...ID_PREFIXES),
    fc.integer({ min: 1, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    isoDate(1900, 2024),
    fc.integer({ min: 0, max: 999 }),
    fc.boolean(),
  )
  .map(([p, city, county, birth, seq, lowerX]) => {
    const region = WHOLE_REGION.has(p)
      ? `${p}0000`
      : `${p}${String(city).padStart(2, '0')}${String(county).padStart(2, '0')}`;
    const first17 = `${region}${birth.replaceAll('-', '')}${String(seq).padStart(3, '0')}`;
    const check = checkDigit(first17);
    return first17 + (check === 'X' && lowerX ? 'x' : check);
  });

/** The same 17 digits with the right check character. */
function withCheck(first17: string): string {
  return first17 + checkDigit(first17);
}

// --- valid bodies --------------------------------------------------------------------------------

const initiator: fc.Arbitrary<Body> = fc.oneof(
  fc.constant({ kind: 'member' }),
  fc.record({ kind: fc.constant('branch'), branchOrgId: text(64), operatorId: text(64) }),
);

const abroad: fc.Arbitrary<Body> = fc
  .tuple(
    fc.constantFrom('study', 'public_assignment', 'private'),
    text(50),
    isoDate(1995, 2040),
    fc.option(fc.integer({ min: 0, max: 4000 }), { nil: undefined }),
    fc.record({ name: text(50), phone: mobile, relationship: text(20) }, { requiredKeys: ['name', 'phone'] }),
  )
  .map(([purpose, countryOrRegion, departureDate, back, domesticContact]) => ({
    kind: 'abroad',
    purpose,
    countryOrRegion,
    departureDate,
    ...(back === undefined
      ? {}
      : { expectedReturnDate: new Date(Date.parse(departureDate) + back * day).toISOString().slice(0, 10) }),
    domesticContact,
  }));

const reversibleReason: fc.Arbitrary<Body> = fc.oneof(
  fc.record({
    kind: fc.constant('further_study'),
    schoolType: fc.constantFrom(
      'general_high_school',
      'secondary_vocational',
      'university',
      'higher_vocational',
    ),
    schoolName: text(100),
    schoolAddress: text(200),
  }),
  fc.record({ kind: fc.constant('employed_with_org'), employerName: text(100) }),
  fc.record({
    kind: fc.constant('employed_without_org'),
    employerName: text(100),
    employerAddress: text(200),
  }),
  fc.record({
    kind: fc.constant('not_placed'),
    placeBasis: fc.constantFrom('household_registration', 'origin', 'residence'),
    address: text(200),
  }),
  abroad,
  fc.record({ kind: fc.constant('other'), explanation: text(500) }),
);

const common = fc.record({
  externalRef: visibleAscii(1, 64),
  member: fc.record(
    { name: text(50), idNumber: validIdNumber, phone: mobile },
    { requiredKeys: ['name', 'idNumber'] },
  ),
  source: fc.record({ orgId: text(64), orgFullName: text(100) }),
  destination: fc.record({ provinceCode: fc.constantFrom(...DESTINATION_CODES), orgFullName: text(100) }),
});

/** A body that keeps every documented rule. */
export const validBody: fc.Arbitrary<Body> = fc
  .oneof(
    {
      weight: 8,
      arbitrary: fc.tuple(
        common,
        initiator,
        reversibleReason,
        fc.constantFrom<boolean | undefined>(undefined, false, true),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(
        common,
        initiator,
        fc.constant<Body>({ kind: 'classified_unit' }),
        fc.constant(true),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(
        common,
        fc.record({
          kind: fc.constant('branch'),
          branchOrgId: text(64),
          operatorId: text(64),
        }) as fc.Arbitrary<Body>,
        fc.record({
          kind: fc.constant('enlistment'),
          reviewingProvinceCode: fc.constantFrom(...LEAGUE_CODES),
        }) as fc.Arbitrary<Body>,
        fc.constant(true),
      ),
    },
  )
  .map(([c, init, reason, confirmed]) => ({
    ...c,
    initiator: init,
    reason,
    ...(confirmed === undefined ? {} : { confirmedWithMember: confirmed }),
  }));

// --- mutations: each breaks exactly one documented rule --------------------------------------

export interface Mutated {
  body: Json;
  /** What was broken, for the report. */
  rule: string;
  /** A field-error path the answer must list, when one is certain. */
  path?: string;
  /** The code the contract names for this breach, when it names one. */
  code?: string;
}

const clone = <T>(v: T): T => structuredClone(v);

function get(body: Body, path: string): Json | undefined {
  let cur: Json | undefined = body;
  for (const k of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

function setAt(body: Body, path: string, value: Json | undefined): Body {
  const out = clone(body);
  const keys = path.split('.');
  let cur: { [k: string]: Json } = out;
  for (const k of keys.slice(0, -1)) cur = cur[k] as { [k: string]: Json };
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return out;
}

/** Free-text fields and their maximum lengths. */
const TEXT_MAX: Record<string, number> = {
  'member.name': 50,
  'source.orgId': 64,
  'source.orgFullName': 100,
  'destination.orgFullName': 100,
  'initiator.branchOrgId': 64,
  'initiator.operatorId': 64,
  'reason.schoolName': 100,
  'reason.schoolAddress': 200,
  'reason.employerName': 100,
  'reason.employerAddress': 200,
  'reason.address': 200,
  'reason.countryOrRegion': 50,
  'reason.domesticContact.name': 50,
  'reason.domesticContact.relationship': 20,
  'reason.explanation': 500,
};

/** Every string leaf of the body, by dotted path. */
function stringPaths(v: Json, prefix = ''): string[] {
  if (typeof v === 'string') return [prefix];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return [];
  return Object.entries(v).flatMap(([k, x]) => stringPaths(x, prefix ? `${prefix}.${k}` : k));
}

function objectPaths(v: Json, prefix = ''): string[] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return [];
  return [prefix, ...Object.entries(v).flatMap(([k, x]) => objectPaths(x, prefix ? `${prefix}.${k}` : k))];
}

/** Fields that must be present (for this body's reason and initiator). */
function requiredPaths(b: Body): string[] {
  const optional = new Set([
    'member.phone',
    'reason.expectedReturnDate',
    'reason.domesticContact.relationship',
    'confirmedWithMember',
  ]);
  const all = [...stringPaths(b), ...objectPaths(b).filter((p) => p !== '')];
  // Removing confirmedWithMember is only a breach for irreversible reasons (handled below).
  return all.filter((p) => !optional.has(p));
}

/** Characters no partner can use (src/domain/text.ts), each refused wherever it appears. */
const REFUSED_CHARS = [
  '\u0000',
  '\u0007',
  '\u0009',
  '\u000a',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u009f',
  '\u00ad',
  '\u061c',
  '\u200b',
  '\u200d',
  '\u200e',
  '\u200f',
  '\u2028',
  '\u2029',
  '\u202a',
  '\u202e',
  '\u2060',
  '\u2066',
  '\u2069',
  '\ufeff',
  '\ufffd',
  '\ud800',
  '\udfff',
  '\ufdd0',
  '\uffff',
  '\u{e0001}',
  '\u115f',
  '\u3164',
  '\uffa0',
  '\u{1fffe}',
];
const WRONG_TYPES: Json[] = [null, 0, 1.5, -1, true, false, [], {}, ['x'], { a: 1 }];

/** Invalid ID numbers derived from a valid one, each breaking one GB 11643 rule. */
function badIdNumbers(valid: string): string[] {
  const d17 = valid.slice(0, 17);
  const check = valid[17]!.toUpperCase();
  const wrongCheck = '0123456789X'.split('').find((c) => c !== check)!;
  const birth = d17.slice(6, 14);
  const region = d17.slice(0, 6);
  const seq = d17.slice(14, 17);
  return [
    d17 + wrongCheck,
    d17.slice(0, 6) + d17.slice(8, 17), // 15 digits
    d17, // 17
    d17 + check + '0', // 19
    withCheck(`00${region.slice(2)}${birth}${seq}`),
    withCheck(`99${region.slice(2)}${birth}${seq}`),
    withCheck(`91${region.slice(2)}${birth}${seq}`),
    withCheck(`1100${region.slice(4)}${birth}${seq}`),
    withCheck(`810101${birth}${seq}`),
    withCheck(`${region}20230229${seq}`),
    withCheck(`${region}20011301${seq}`),
    withCheck(`${region}20010132${seq}`),
    withCheck(`${region}18991231${seq}`),
    withCheck(`${region}20990101${seq}`),
    `${d17.slice(0, 6)} ${d17.slice(6)}`,
    `${d17}A`,
    `${d17.slice(0, 8)}X${d17.slice(9)}${check}`,
    valid.replace(/\d/g, (c) => String.fromCharCode(0xff10 + Number(c))), // full-width digits
    '',
  ];
}

const BAD_PHONES = [
  '12800000000',
  '1380000000',
  '138000000000',
  '+8613800000000',
  '138-0000-0000',
  '１３８００００００００',
  '',
  '23800000000',
];
const BAD_PROVINCES = [
  '4',
  '440',
  'ab',
  '99',
  '00',
  '11',
  '71',
  '81',
  '82',
  '83',
  '90',
  '96',
  '４４',
  ' 44',
  '',
  '3l',
];
const BAD_DATES = [
  '2023-02-29',
  '2023-2-3',
  '2023/02/03',
  '20230203',
  '2023-13-01',
  '2023-00-10',
  '2023-04-31',
  '',
  'tomorrow',
];

/**
 * Every single-rule mutation applicable to `b`. Each entry is one breach of one documented rule; the
 * body stays valid otherwise.
 */
function mutationsOf(b: Body): fc.Arbitrary<Mutated>[] {
  const m: fc.Arbitrary<Mutated>[] = [];
  const req = requiredPaths(b);
  m.push(
    fc.constantFrom(...req).map((p) => ({ body: setAt(b, p, undefined), rule: `missing ${p}`, path: p })),
  );
  const objs = objectPaths(b);
  m.push(
    fc
      .tuple(
        fc.constantFrom(...objs),
        fc.constantFrom('extra', 'id', '__proto__', 'constructor', 'Name', 'member_name', ''),
        fc.jsonValue({ maxDepth: 1 }),
      )
      .map(([p, k, v]) => {
        const body = clone(b);
        const target = (p === '' ? body : get(body, p)) as { [k: string]: Json };
        Object.defineProperty(target, k, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        return { body, rule: `unknown field ${p ? `${p}.` : ''}${k}`, path: p ? `${p}.${k}` : k };
      }),
  );
  const leaves = stringPaths(b);
  m.push(
    fc
      .tuple(fc.constantFrom(...leaves, ...objs.filter((p) => p !== '')), fc.constantFrom(...WRONG_TYPES))
      .map(([p, v]) => ({
        body: setAt(b, p, v),
        rule: `wrong type at ${p}`,
        path: p,
      })),
  );
  if (b.confirmedWithMember !== undefined)
    m.push(
      fc.constantFrom<Json>('true', 1, 0, null, 'yes', []).map((v) => ({
        body: { ...clone(b), confirmedWithMember: v },
        rule: 'confirmedWithMember not a boolean',
        path: 'confirmedWithMember',
      })),
    );
  m.push(
    fc.tuple(fc.constantFrom(...leaves), fc.constantFrom(...REFUSED_CHARS), fc.nat()).map(([p, c, at]) => {
      const s = get(b, p) as string;
      const i = at % (s.length + 1);
      return {
        body: setAt(b, p, s.slice(0, i) + c + s.slice(i)),
        rule: `refused character U+${c.codePointAt(0)!.toString(16)} in ${p}`,
        path: p,
        ...(p in TEXT_MAX ? { code: 'VALIDATION_FAILED' } : {}),
      };
    }),
  );
  const texts = Object.keys(TEXT_MAX).filter((p) => typeof get(b, p) === 'string');
  m.push(
    fc
      .tuple(
        fc.constantFrom(...texts),
        fc.constantFrom('', ' ', '   ', '\u3000\u3000', '\u00a0', ' \u0301 ', '\u0301共青团', 'LONG'),
        fc.integer({ min: 1, max: 40 }),
      )
      .map(([p, v, over]) => {
        const value = v === 'LONG' ? '团'.repeat(TEXT_MAX[p]! + over) : v;
        return {
          body: setAt(b, p, value),
          rule: v === 'LONG' ? `${p} too long` : `${p} empty or blank`,
          path: p,
        };
      }),
  );
  m.push(
    fc.constantFrom('', 'a'.repeat(65), 'BJ 2023', 'BJ-中文', 'BJ\t1', 'ＢＪ１').map((v) => ({
      body: { ...clone(b), externalRef: v },
      rule: 'externalRef not 1–64 visible ASCII',
      path: 'externalRef',
    })),
  );
  const idNumber = get(b, 'member.idNumber') as string;
  m.push(
    fc.constantFrom(...badIdNumbers(idNumber)).map((v) => ({
      body: setAt(b, 'member.idNumber', v),
      rule: 'ID number breaks GB 11643',
      path: 'member.idNumber',
      code: 'INVALID_ID_NUMBER',
    })),
  );
  m.push(
    fc.constantFrom(...BAD_PHONES).map((v) => ({
      body: setAt(b, 'member.phone', v),
      rule: 'bad mobile number',
      path: 'member.phone',
      code: 'INVALID_PHONE',
    })),
  );
  m.push(
    fc.constantFrom(...BAD_PROVINCES).map((v) => ({
      body: setAt(b, 'destination.provinceCode', v),
      rule: `province code ${JSON.stringify(v)}`,
      path: 'destination.provinceCode',
      code: v === '11' ? 'DESTINATION_IS_INTERNAL' : 'INVALID_PROVINCE_CODE',
    })),
  );
  m.push(
    fc.constantFrom('unknown', '', 'Further_study', 'FURTHER_STUDY', 'employed', ' other').map((v) => ({
      body: setAt(b, 'reason.kind', v),
      rule: 'unknown reason kind',
      path: 'reason.kind',
    })),
  );
  const reason = b.reason as Body;
  const enumField = ['schoolType', 'placeBasis', 'purpose'].find((f) => typeof reason[f] === 'string');
  if (enumField)
    m.push(
      fc.constantFrom('', 'other', 'University', 'study abroad').map((v) => ({
        body: setAt(b, `reason.${enumField}`, v),
        rule: `bad reason.${enumField}`,
        path: `reason.${enumField}`,
      })),
    );
  // The cross-field rules.
  m.push(
    fc.constantFrom<boolean | undefined>(undefined, false).map((c) => {
      const body = { ...clone(b), reason: { kind: 'classified_unit' } } as Body;
      if (c === undefined) delete body.confirmedWithMember;
      else body.confirmedWithMember = c;
      return {
        body,
        rule: 'classified_unit without confirmation',
        path: 'confirmedWithMember',
        code: 'CONFIRMATION_REQUIRED',
      };
    }),
  );
  m.push(
    fc.constantFrom(...LEAGUE_CODES).map((code) => ({
      body: {
        ...clone(b),
        initiator: { kind: 'member' },
        reason: { kind: 'enlistment', reviewingProvinceCode: code },
        confirmedWithMember: true,
      },
      rule: 'enlistment started by the member',
      path: 'initiator.kind',
      code: 'ENLISTMENT_REQUIRES_BRANCH',
    })),
  );
  m.push(
    fc.constantFrom(...LEAGUE_CODES).map((code) => ({
      body: {
        ...clone(b),
        initiator: { kind: 'branch', branchOrgId: 'b-1', operatorId: 'op-1' },
        reason: { kind: 'enlistment', reviewingProvinceCode: code },
        confirmedWithMember: false,
      },
      rule: 'enlistment without confirmation',
      path: 'confirmedWithMember',
      code: 'CONFIRMATION_REQUIRED',
    })),
  );
  if (reason.kind === 'enlistment')
    m.push(
      fc.constantFrom('83', '99', '7', '00', '71', 'x1').map((v) => ({
        body: setAt(b, 'reason.reviewingProvinceCode', v),
        rule: 'bad reviewing province',
        path: 'reason.reviewingProvinceCode',
        code: 'INVALID_PROVINCE_CODE',
      })),
    );
  if (reason.kind === 'abroad') {
    const dep = reason.departureDate as string;
    m.push(
      fc.integer({ min: 1, max: 3000 }).map((back) => ({
        body: setAt(
          b,
          'reason.expectedReturnDate',
          new Date(Date.parse(dep) - back * day).toISOString().slice(0, 10),
        ),
        rule: 'return before departure',
        path: 'reason.expectedReturnDate',
        code: 'INVALID_DATE',
      })),
    );
    m.push(
      fc
        .tuple(
          fc.constantFrom('reason.departureDate', 'reason.expectedReturnDate'),
          fc.constantFrom(...BAD_DATES),
        )
        .map(([p, v]) => ({
          body: setAt(b, p, v),
          rule: `bad date at ${p}`,
          path: p,
          code: 'INVALID_DATE',
        })),
    );
    m.push(
      fc.constantFrom(...BAD_PHONES).map((v) => ({
        body: setAt(b, 'reason.domesticContact.phone', v),
        rule: 'bad contact phone',
        path: 'reason.domesticContact.phone',
        code: 'INVALID_PHONE',
      })),
    );
  }
  m.push(
    fc
      .constantFrom<Json>([b], JSON.stringify(b), [], 'body', 0, true, null)
      .map((v) => ({ body: v, rule: 'body not an object', path: '' })),
  );
  return m;
}

/** One valid body with exactly one documented rule broken. */
export const mutatedBody: fc.Arbitrary<Mutated> = validBody.chain((b) => fc.oneof(...mutationsOf(b)));

/** Arbitrary JSON: nothing like a transfer. */
export const arbitraryJson: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), {
    maxKeys: 8,
  }) as fc.Arbitrary<Json>,
);

/** Serialises with the keys of every object in a shuffled order (same meaning, other bytes). */
export function shuffledJson(v: Json, rand: () => number, space?: number): string {
  const shuffle = (x: Json): Json => {
    if (Array.isArray(x)) return x.map(shuffle);
    if (typeof x !== 'object' || x === null) return x;
    const keys = Object.keys(x);
    for (let i = keys.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [keys[i], keys[j]] = [keys[j]!, keys[i]!];
    }
    const out: { [k: string]: Json } = {};
    for (const k of keys)
      Object.defineProperty(out, k, {
        value: shuffle(x[k]!),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  };
  return JSON.stringify(shuffle(v), null, space);
}
