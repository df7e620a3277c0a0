/**
 * A comparison key for organisation full names. People type the same name with full-width or
 * half-width brackets, stray spaces (U+3000 from Chinese IMEs, NBSP from copied web pages) and
 * invisible characters from copy-paste; the national system treats those as the same org. The key
 * is only ever compared: callers keep and send the name exactly as given.
 */

/**
 * Whitespace (\s covers U+3000, U+00A0, U+FEFF and every Zs), control characters, and format
 * characters (\p{Cf}: U+00AD, U+200B–U+200F, U+202A–U+202E, U+2060–U+2064, U+FEFF …), none of which
 * can be seen in a name.
 */
const INVISIBLE = /[\s\p{Cc}\p{Cf}]/gu;

/**
 * Brackets people use in place of parentheses, e.g. 〔筹〕 or 【筹】 for （筹）. Left after NFKC has
 * already folded （）﹙﹚⁽⁾ to () and ［］ to [] and ﹝﹞ to 〔〕. Quotation and title marks
 * (「」『』《》〈〉) are deliberately kept: they are part of names, not stand-ins for parentheses.
 */
const OPENING = /[[〔〘〖【⦅❨]/gu;
const CLOSING = /[\]〕〙〗】⦆❩]/gu;

export function canonicalOrgName(name: string): string {
  const folded = name
    // Strip first as well as last: an invisible character between a letter and a combining mark
    // would otherwise stop NFKC from composing them, and a second pass would then change the key.
    .replace(INVISIBLE, '')
    .normalize('NFKC')
    .replace(OPENING, '(')
    .replace(CLOSING, ')')
    .replace(INVISIBLE, '')
    .replace(/\p{Script=Latin}+/gu, (latin) => latin.toLowerCase());
  return folded.normalize('NFKC');
}
