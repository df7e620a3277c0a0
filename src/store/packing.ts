/**
 * The packed form of a finished transfer. While a transfer is in flight its record is a hash of many
 * fields plus a list of events: quick to change, but Redis spends about 70 bytes of bookkeeping on
 * every field of a hash that holds a long value, and a finished transfer is kept for months. Once a
 * transfer has finished, the retention sweep folds its long, rarely read fields (the document, the
 * sealed personal data, the org it resolved to, its last error …) and its events into one compressed
 * string beside a small hash of short fields, which Redis stores compactly (as a listpack).
 *
 * Readers never see the difference: the store merges the packed part and the hash (a field in the
 * hash wins: it was written after the packing) and the packed events and the events list (those come
 * later). What the store's scripts read or check (state, target, version, counters, facts recorded
 * once) always stays in the hash; see `stayInHash`.
 *
 * Format: one version byte, then the JSON `{"f": fields, "j": JSON fields, "e": events}` compressed
 * with raw DEFLATE and a preset dictionary of what every transfer record says (keys, states, event
 * types, the words of league org names). Fields that hold JSON (the document, the facts stored as
 * JSON) and the events are embedded as JSON rather than as escaped strings, which compresses better;
 * each reads back as exactly the string it was. A finished record of about 2 KB packs into about
 * 400 bytes with its sealed personal data, 250 without. A dictionary is forever:
 * records packed with it must stay readable, so a better one is added under a new version byte and
 * PACK_VERSION moves to it; this one is never changed.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * The dictionary of format version 1: the shape of a packed record with every common key and value
 * left empty. NEVER CHANGE IT: records packed with it must stay readable; add a new version instead.
 */
const DICTIONARY_V1 = Buffer.from(
  [
    '{"f":{"pii":"v1.k","idem":"beijing:","state":"completed","target":"national","version":"4","rev":"9",',
    '"partnerApprovedAt":"2026-","generation":"1","crashRuns":"0","deliveryErrors":"0","partner',
    'Failures":"1","attemptsBase":"1","lastReconciledAt":"2026-","rejectionReason":"","nationalAccoun',
    'tCreated":"1","personalDataPurgedAt":"2026-","partnerRef":"","attempts":"1","updatedAt":"2026-",',
    '"finishedAt":"2026-"},"j":{"lastError":{"code":"RETRIES_EXHAUSTED","message":"","at":"2026-","at',
    'tempt":1,"partnerReason":"","suggestions":[{"orgId":"","fullName":""}],"candidates":[]},"localRe',
    'port":{"status":"completed","dueAt":"2026-","since":"2026-","overdue":false,"remindersSent":[7,1',
    '4,21],"completedAt":"2026-"},"resolvedOrg":{"orgId":"ZT31","fullName":"中国共产主义青年团"},"doc":{"id":"',
    'trf_01","externalRef":"BJ-2026-","target":"guangdong","initiator":{"kind":"branch","branchOrgId"',
    ':"bj-","operatorId":"op-"},"initiator":{"kind":"member"},"source":{"orgId":"bj-","orgFullName":"',
    '共青团北京市大学委员会"},"destination":{"provinceCode":"44","orgFullName":"共青团广东省广州市深圳市福建省福州市厦门市上海市区县委员会","',
    'canonicalOrgName":"共青团"},"reason":{"kind":"abroad","country":"","returnDate":"20"},"reason":{"ki',
    'nd":"further_study","schoolName":"大学学院"},"reason":{"kind":"employed_without_org"},"reason":{"kin',
    'd":"not_placed"},"reason":{"kind":"enlistment"},"reason":{"kind":"classified_unit"},"reason":{"k',
    'ind":"other","description":""},"reason":{"kind":"employed_with_org","employerName":"科技有限公司"},"ir',
    'reversible":false,"confirmedWithMember":false,"createdAt":"2026-","createdBy":"beijing"}},"e":[{',
    '"at":"2026-","type":"accepted","source":"api","detail":{"target":"national"}},{"at":"2026-","typ',
    'e":"attempt_failed","source":"worker","detail":{"code":"PARTNER_UNAVAILABLE","message":" answere',
    'd 503","attempt":1,"retryInMs":2000}},{"at":"2026-","type":"failed","source":"worker","detail":{',
    '"code":"ORG_NOT_FOUND","message":"","at":"2026-","suggestions":[]}},{"at":"2026-","type":"cancel',
    'led","source":"api","detail":{"by":"beijing","reason":""}},{"at":"2026-","type":"rejected","sour',
    'ce":"callback","detail":{"partnerRef":"","reason":""}},{"at":"2026-","type":"local_report_remind',
    'er","source":"worker","detail":{"day":7,"dueAt":"2026-"}},{"at":"2026-","type":"local_report_ove',
    'rdue","source":"worker","detail":{"dueAt":"2026-"}},{"at":"2026-","type":"submitted","source":"w',
    'orker","detail":{"partnerRef":"ZTSQ2026","duplicate":false,"attempt":1,"destinationOrg":{"orgId"',
    ':"ZT31","fullName":"共青团委员会"}}},{"at":"2026-","type":"awaiting_local_report","source":"worker","d',
    'etail":{"partnerRef":"GDZJ2026","duplicate":false,"attempt":1,"destinationOrg":{"orgId":"GD44","',
    'fullName":"共青团市区委员会"}}},{"at":"2026-","type":"partner_approved","source":"callback","detail":{"p',
    'artnerRef":"FJZR2026","partnerAt":"2026-"}},{"at":"2026-","type":"national_account_created","sou',
    'rce":"callback","detail":{"partnerRef":"ZTSQ2026","partnerAt":"2026-"}},{"at":"2026-","type":"lo',
    'cal_report_completed","source":"callback","detail":{"partnerRef":"GDZJ2026","partnerAt":"2026-12',
    '-01T00:00:00.000Z"}}]}',
  ].join(''),
  'utf8',
);

const DICTIONARIES: Readonly<Record<number, Buffer>> = { 1: DICTIONARY_V1 };
/** The format new records are packed in. */
const PACK_VERSION = 1;

/** Hash fields whose values are longer than this (in bytes) make Redis store the whole hash sparsely. */
export const COMPACT_VALUE_BYTES = 64;

export interface PackedRecord {
  /** Hash fields (as stored: strings, JSON for structured values). */
  fields: Record<string, string>;
  /** Events, oldest first, as stored (JSON strings). */
  events: string[];
}

export class PackedRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PackedRecordError';
  }
}

/** Fields whose values are JSON (written by the store or factFields). */
const JSON_FIELDS: ReadonlySet<string> = new Set(['doc', 'resolvedOrg', 'localReport', 'lastError']);

/** The JSON value a string holds, if it reads back as exactly that string; else the string itself. */
function embed(value: string): unknown {
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed !== null && typeof parsed === 'object' && JSON.stringify(parsed) === value) return parsed;
  } catch {
    // not JSON: kept as the string it is
  }
  return value;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

export function pack(record: PackedRecord): Buffer {
  const f: Record<string, string> = {};
  const j: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record.fields)) {
    const embedded = JSON_FIELDS.has(k) ? embed(v) : v;
    if (typeof embedded === 'string') f[k] = v;
    else j[k] = embedded;
  }
  const json = Buffer.from(JSON.stringify({ f, j, e: record.events.map(embed) }), 'utf8');
  const body = deflateRawSync(json, { level: 9, dictionary: DICTIONARIES[PACK_VERSION] });
  return Buffer.concat([Buffer.from([PACK_VERSION]), body]);
}

export function unpack(blob: Buffer): PackedRecord {
  const dictionary = DICTIONARIES[blob[0] ?? -1];
  if (!dictionary) throw new PackedRecordError(`packed record of unknown format ${String(blob[0])}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(inflateRawSync(blob.subarray(1), { dictionary }).toString('utf8'));
  } catch (err) {
    throw new PackedRecordError(`packed record unreadable: ${(err as Error).message}`);
  }
  const { f, j, e } = (parsed ?? {}) as { f?: unknown; j?: unknown; e?: unknown };
  const fields: Record<string, string> = {};
  if (f && typeof f === 'object') {
    for (const [k, v] of Object.entries(f)) if (typeof v === 'string') fields[k] = v;
  }
  if (j && typeof j === 'object') for (const [k, v] of Object.entries(j)) fields[k] = text(v);
  const events = Array.isArray(e) ? e.map(text) : [];
  return { fields, events };
}

/**
 * Which fields stay in the hash when a record is packed: those the store's scripts read or check
 * (the state and its bookkeeping, the counters, the facts recorded once), as long as they are short.
 * Everything else (the document, the sealed personal data, long facts) goes into the packed part.
 */
export function stayInHash(field: string, value: string): boolean {
  if (PACKED_ALWAYS.has(field)) return false;
  return Buffer.byteLength(field) <= COMPACT_VALUE_BYTES && Buffer.byteLength(value) <= COMPACT_VALUE_BYTES;
}

/** Fields never kept in the hash of a packed record, however short. */
const PACKED_ALWAYS: ReadonlySet<string> = new Set(['doc', 'pii', 'idem']);
