/**
 * Text a partner can use. Every free-text value the gateway accepts (names, org names, addresses,
 * explanations) is forwarded to a partner system that stores it, shows it to a person and often signs
 * it: characters that render as nothing, reorder what is around them, or stand for damaged text are
 * refused at the edge, with the field named, rather than discovered by a partner (or a reviewer) later.
 *
 * Refused: control characters (C0, C1, DEL, and the line and paragraph separators), bidirectional
 * controls, other invisible format characters (zero-width spaces and joiners, the BOM, soft hyphens,
 * tag characters), the Hangul fillers (letters by category that render as nothing), unpaired UTF-16
 * surrogates, U+FFFD (the mark of text already damaged by a bad decoding), noncharacters, a leading
 * combining mark with nothing to combine with, and values that are empty once spaces and combining
 * marks are set aside. Accepted text is NFC-normalised and trimmed, so the same name typed two ways is
 * stored (and sent) one way.
 */

const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
const FORMAT = /\p{Cf}/u;
// Letters (Lo) by category, so \p{Cf} misses them, yet they render as nothing: a name made of them
// looks empty, and one inside a name hides in it. Outside legacy Korean encodings they mean nothing.
const FILLER = /[\u115F\u1160\u3164\uFFA0]/u;
const SURROGATE = /\p{Cs}/u;
const NONCHARACTER = /\p{Noncharacter_Code_Point}/u;
const SPACE = /[\p{White_Space}]/gu;
const MARK = /\p{M}/gu;
const LEADING_MARK = /^[\p{White_Space}]*\p{M}/u;

const codePoint = (c: string): string =>
  `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

function first(re: RegExp, value: string): string {
  return codePoint(re.exec(value)?.[0] ?? '');
}

/** Why no partner can use this text, or null when it is fine. Messages name the offending character. */
export function textProblem(value: string): string | null {
  if (SURROGATE.test(value)) return 'holds a broken character (an unpaired UTF-16 surrogate)';
  if (value.includes('\uFFFD'))
    return 'holds U+FFFD, the replacement character: the text was damaged before it was sent';
  if (CONTROL.test(value)) return `holds a control character (${first(CONTROL, value)})`;
  if (BIDI_CONTROLS.test(value))
    return `holds a bidirectional control character (${first(BIDI_CONTROLS, value)})`;
  if (FORMAT.test(value)) return `holds an invisible format character (${first(FORMAT, value)})`;
  if (FILLER.test(value)) return `holds an invisible filler character (${first(FILLER, value)})`;
  if (NONCHARACTER.test(value)) return `holds a noncharacter (${first(NONCHARACTER, value)})`;
  if (value.replace(SPACE, '').replace(MARK, '') === '' && value !== '')
    return 'must not be blank: it holds only spaces or combining marks';
  if (LEADING_MARK.test(value)) return 'starts with a combining mark that has no character to combine with';
  return null;
}

/** NFC, without leading or trailing spaces (including the ideographic space U+3000). */
export function normalizeText(value: string): string {
  return value.normalize('NFC').replace(/^[\p{White_Space}]+|[\p{White_Space}]+$/gu, '');
}

/**
 * Every string inside a JSON value, with its dotted path: bodies are checked whole, since no field
 * of any request legitimately holds what textProblem refuses (codes, ids, dates and enums are plain).
 * Iterative, so a hostile body nested thousands of levels deep cannot exhaust the stack.
 */
export function stringsIn(value: unknown): [string, string][] {
  const found: [string, string][] = [];
  const stack: [string, unknown][] = [['', value]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [path, v] = next;
    if (typeof v === 'string') found.push([path, v]);
    else if (typeof v === 'object' && v !== null) {
      const entries: [string, unknown][] = Array.isArray(v)
        ? v.map((item: unknown, i) => [String(i), item])
        : Object.entries(v as Record<string, unknown>);
      for (const [key, item] of entries.reverse()) stack.push([path ? `${path}.${key}` : key, item]);
    }
  }
  return found;
}

/**
 * The same JSON value with every string NFC-normalised and trimmed (a copy: the input is unchanged).
 * Iterative like stringsIn, so no depth of nesting can exhaust the stack; properties are defined, not
 * assigned, so a `__proto__` key from JSON stays an ordinary field, and keys keep their order.
 */
export function normalizeStrings<T>(value: T): T {
  const root: { value?: unknown } = {};
  const stack: [object, string, unknown][] = [[root, 'value', value]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [parent, key, v] = next;
    let out = v;
    if (typeof v === 'string') out = normalizeText(v);
    else if (typeof v === 'object' && v !== null) {
      const copy: object = Array.isArray(v) ? new Array<unknown>(v.length) : {};
      for (const [k, item] of Object.entries(v)) {
        define(copy, k, item);
        stack.push([copy, k, item]);
      }
      out = copy;
    }
    define(parent, key, out);
  }
  return root.value as T;
}

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
