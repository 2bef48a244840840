// Prepares text for the FTS5 unicode61 tokenizer and builds FTS5 match expressions from AST
// terms. Every user value ends up inside an FTS5 "string" (quotes doubled), so no user text
// can change the shape of a match expression, and the expression itself is a bound parameter.
import type { TextField } from '../port.ts';

/**
 * unicode61 keeps a run of Han/Kana/Hangul as one giant token (there are no spaces to split
 * on), so 会議 inside 会議室で could never be found. Wrapping each such character in U+200B
 * (a format character, hence a separator for unicode61, and invisible) makes every CJK
 * character a token; a query is wrapped the same way and matched as a phrase, which gives
 * substring semantics for CJK of any length (1-2 character words included, unlike a trigram
 * index) with one FTS table, and snippets that look unchanged once U+200B is removed.
 */
const CJK = /(\p{scx=Han}|\p{scx=Hiragana}|\p{scx=Katakana}|\p{scx=Hangul})/gu;
const ZWSP = '\u200b';
/** The snippet markers must not occur in indexed text, or a snippet could fake a highlight. */
const MARKERS = /[\u0002\u0003\u200b]/g;

export function prepareText(text: string): string {
  return text.replace(MARKERS, ' ').replace(CJK, `${ZWSP}$1${ZWSP}`);
}

/** Undoes prepareText's spacing in a snippet and folds layout whitespace for one-line display. */
export function cleanSnippet(snippet: string): string {
  return snippet.replaceAll(ZWSP, '').replace(/\s+/g, ' ').trim();
}

/** Column names of the fts table, in declaration order (bm25 weights follow this order). */
export const FTS_COLUMNS = [
  'subject', 'body', 'att_names', 'att_text', 'from_a', 'to_a', 'cc_a', 'bcc_a', 'env_a',
] as const;
/** Subject and file names are short and deliberate, so a hit there says more than one in a body. */
export const BM25_WEIGHTS = [3, 1, 2, 1, 1, 1, 1, 1, 0.5] as const;

const FIELD_COLUMNS: Record<TextField, readonly string[] | null> = {
  any: null,
  from: ['from_a'],
  to: ['to_a'],
  cc: ['cc_a'],
  bcc: ['bcc_a'],
  participant: ['from_a', 'to_a', 'cc_a', 'bcc_a', 'env_a'],
  subject: ['subject'],
  body: ['body'],
  attachment: ['att_names', 'att_text'],
  filename: ['att_names'],
};

/** unicode61 indexes letters and digits only; a value without any can match nothing. */
const HAS_TOKEN = /[\p{L}\p{N}]/u;

/** The FTS5 expression for one text term, or null when the value holds no searchable token. */
export function ftsExpression(field: TextField, value: string, prefix: boolean): string | null {
  if (!HAS_TOKEN.test(value)) return null;
  const cols = FIELD_COLUMNS[field];
  const phrase = `"${prepareText(value).replaceAll('"', '""')}"${prefix ? '*' : ''}`;
  return cols ? `{${cols.join(' ')}} : ${phrase}` : phrase;
}
