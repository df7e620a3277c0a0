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
 * Format: one version byte, then the JSON `{"f": fields, "e": events}` compressed with raw DEFLATE
 * and a preset dictionary of what every transfer record says (keys, states, event types, the words
 * of league org names), so a record of 2 KB packs into about 450 bytes. A dictionary is forever:
 * records packed with it must stay readable, so a better one is added under a new version byte and
 * PACK_VERSION moves to it; this one is never changed.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** The dictionary of format version 1. NEVER CHANGE IT: add a new version instead. */
const DICTIONARY_V1 = Buffer.from(
  [
    'v1.k.',
    '"pii":"v1.","idem":"","resolvedOrg":"{\\"orgId\\":\\"\\",\\"fullName\\":\\"共青团\\"}",',
    '"lastError":"{\\"code\\":\\"\\",\\"message\\":\\"\\",\\"at\\":\\"2026-\\",\\"attempt\\":1,',
    '\\"partnerReason\\":\\"\\",\\"suggestions\\":[],\\"candidates\\":[]}","rejectionReason":"",',
    'RETRIES_EXHAUSTED ORG_NOT_FOUND ORG_AMBIGUOUS DELIVERY_ERROR DELIVERY_CRASH_LOOP BUSINESS_REJECTED ',
    '"localReport":"{\\"status\\":\\"completed\\",\\"dueAt\\":\\"2026-\\",\\"since\\":\\"2026-\\",',
    '\\"overdue\\":false,\\"remindersSent\\":[7,14,21],\\"completedAt\\":\\"2026-\\"}",',
    '"doc":"{\\"id\\":\\"trf_01\\",\\"externalRef\\":\\"BJ-2026-\\",\\"target\\":\\"national\\",',
    '\\"initiator\\":{\\"kind\\":\\"branch\\",\\"branchOrgId\\":\\"bj-\\",\\"operatorId\\":\\"\\"},',
    '\\"initiator\\":{\\"kind\\":\\"member\\"},',
    '\\"source\\":{\\"orgId\\":\\"bj-\\",\\"orgFullName\\":\\"共青团北京市委员会\\"},',
    '\\"destination\\":{\\"provinceCode\\":\\"\\",\\"orgFullName\\":\\"中国共产主义青年团省市区县委员会\\",',
    '\\"canonicalOrgName\\":\\"共青团省市区县委员会\\"},',
    '\\"reason\\":{\\"kind\\":\\"further_study\\",\\"schoolName\\":\\"大学学院\\"},',
    '\\"reason\\":{\\"kind\\":\\"abroad\\",\\"country\\":\\"\\",\\"domesticContact\\":{\\"name\\":\\"*\\",',
    '\\"phone\\":\\"****\\",\\"relationship\\":\\"\\"}},',
    '\\"reason\\":{\\"kind\\":\\"employed_without_org\\"},\\"reason\\":{\\"kind\\":\\"not_placed\\"},',
    '\\"reason\\":{\\"kind\\":\\"enlistment\\"},\\"reason\\":{\\"kind\\":\\"classified_unit\\"},',
    '\\"reason\\":{\\"kind\\":\\"employed_with_org\\",\\"employerName\\":\\"有限公司\\"},',
    '\\"irreversible\\":false,\\"confirmedWithMember\\":false,',
    '\\"member\\":{\\"name\\":\\"*\\",\\"idNumber\\":\\"********\\",\\"phone\\":\\"****\\"},',
    '\\"createdAt\\":\\"2026-\\",\\"createdBy\\":\\"beijing\\"}"}',
    ',"e":["{\\"at\\":\\"2026-\\",\\"type\\":\\"accepted\\",\\"source\\":\\"api\\",\\"detail\\":{\\"target\\":\\"guangdong\\"}}",',
    '"{\\"at\\":\\"2026-\\",\\"type\\":\\"attempt_failed\\",\\"source\\":\\"worker\\",\\"detail\\":{\\"code\\":\\"\\",',
    '\\"message\\":\\"\\",\\"attempt\\":1,\\"retryInMs\\":}}",',
    '"{\\"at\\":\\"2026-\\",\\"type\\":\\"cancelled\\",\\"source\\":\\"api\\",\\"detail\\":{\\"by\\":\\"beijing\\"}}",',
    '"{\\"at\\":\\"2026-\\",\\"type\\":\\"partner_rejected\\",\\"source\\":\\"reconciliation\\",\\"detail\\":{\\"reason\\":\\"\\"}}",',
    '"{\\"at\\":\\"2026-\\",\\"type\\":\\"local_report_reminder\\",\\"source\\":\\"worker\\",\\"detail\\":{\\"day\\":7}}",',
    '"{\\"at\\":\\"2026-\\",\\"type\\":\\"submitted\\",\\"source\\":\\"worker\\",\\"detail\\":{\\"partnerRef\\":\\"ZTSQ2026\\",',
    '\\"duplicate\\":false,\\"attempt\\":1,\\"destinationOrg\\":{\\"orgId\\":\\"ZT\\",\\"fullName\\":\\"共青团委员会\\"}}}",',
    '"{\\"at\\":\\"2026-\\",\\"type\\":\\"awaiting_local_report\\",\\"source\\":\\"worker\\",\\"detail\\":{\\"partnerRef\\":\\"GDZJ2026\\",',
    '\\"duplicate\\":false,\\"attempt\\":1,\\"destinationOrg\\":{\\"orgId\\":\\"GD44\\",\\"fullName\\":\\"共青团广东省市区委员会\\"}}}",',
    '"{\\"at\\":\\"2026-\\",\\"type\\":\\"partner_approved\\",\\"source\\":\\"callback\\",\\"detail\\":{\\"partnerRef\\":\\"FJ2026\\",',
    '\\"partnerAt\\":\\"2026-\\"}}",',
    '"{\\"at\\":\\"2026-\\",\\"type\\":\\"national_account_created\\",\\"source\\":\\"callback\\",\\"detail\\":{\\"partnerRef\\":\\"ZTSQ2026\\",',
    '\\"partnerAt\\":\\"2026-\\"}}",',
    '"{\\"at\\":\\"2026-\\",\\"type\\":\\"local_report_completed\\",\\"source\\":\\"callback\\",\\"detail\\":{\\"partnerRef\\":\\"GDZJ2026\\",',
    '\\"partnerAt\\":\\"2026-12-01T00:00:00.000Z\\"}}"]}',
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

export function pack(record: PackedRecord): Buffer {
  const json = Buffer.from(JSON.stringify({ f: record.fields, e: record.events }), 'utf8');
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
  const { f, e } = (parsed ?? {}) as { f?: unknown; e?: unknown };
  const fields: Record<string, string> = {};
  if (f && typeof f === 'object') {
    for (const [k, v] of Object.entries(f)) if (typeof v === 'string') fields[k] = v;
  }
  const events = Array.isArray(e) ? e.filter((x): x is string => typeof x === 'string') : [];
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
