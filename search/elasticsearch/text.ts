// Folds and splits text in JS, the same way for documents and queries, because the core-only
// Elasticsearch we must run on has no asciifolding, mapping char_filter or pattern tokenizer:
// the index only splits on spaces (the built-in `whitespace` analyzer). Keeps an offset map so
// highlights found in the folded text can be shown in the original spelling.

/**
 * Han, Kana and Hangul are written without spaces: each character becomes a token of its own,
 * so a query (a phrase of characters) matches as a substring, as the sqlite adapter's U+200B
 * wrapping does. Checked per code point of the original, before any folding.
 */
const CJK = /^(?:\p{scx=Han}|\p{scx=Hiragana}|\p{scx=Katakana}|\p{scx=Hangul})$/u;
const WORD_CHAR = /^[\p{L}\p{N}]$/u;
const MARK = /^\p{M}$/u;
const MARKS = /\p{M}/gu;

export interface Prepared {
  /** Folded text: lower-case, no diacritics, tokens separated by single-purpose spaces. */
  text: string;
  /** For each UTF-16 unit of `text`, the [start, end) range of the original it came from. */
  start: number[];
  end: number[];
}

/**
 * Case and diacritic folding of one code point. Per code point (not per string) so that a
 * context rule such as the Greek final sigma cannot make a query fold unlike a document.
 * NFD then NFC: strips accents but recomposes what is not an accent (Hangul syllables).
 */
function foldChar(c: string): string {
  return c.normalize('NFD').replace(MARKS, '').normalize('NFC').toLowerCase();
}

/**
 * Words are runs of letters and digits (as the sqlite unicode61 tokenizer sees them);
 * everything else separates words, combining marks vanish (they fold into the letter before).
 */
export function prepareText(original: string): Prepared {
  let text = '';
  const start: number[] = [];
  const end: number[] = [];
  const emit = (s: string, from: number, to: number) => {
    text += s;
    for (let i = 0; i < s.length; i++) {
      start.push(from);
      end.push(to);
    }
  };
  let i = 0;
  for (const c of original) {
    const to = i + c.length;
    if (CJK.test(c)) emit(` ${c} `, i, to);
    else if (WORD_CHAR.test(c)) emit(foldChar(c), i, to);
    else if (!MARK.test(c)) emit(' ', i, to);
    i = to;
  }
  return { text, start, end };
}

/** The folded text alone, for indexing. */
export function foldText(original: string): string {
  return prepareText(original).text;
}

/** The folded words of a query value, in order; empty when it holds nothing searchable. */
export function queryTokens(value: string): string[] {
  return foldText(value).split(' ').filter((t) => t !== '');
}

/** The snippet markers of the port: matches are wrapped in \u0002 ... \u0003. */
export const MARK_OPEN = '\u0002';
export const MARK_CLOSE = '\u0003';
/** Characters before the first match that a snippet keeps for context, and its usual length. */
const CONTEXT_BEFORE = 40;
const SNIPPET_CHARS = 160;

/** [start, end) ranges of the folded text that the highlighter marked. */
function markedRanges(highlighted: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let pos = 0;
  let open = -1;
  for (const ch of highlighted) {
    if (ch === MARK_OPEN) open = pos;
    else if (ch === MARK_CLOSE && open >= 0) {
      if (pos > open) ranges.push([open, pos]);
      open = -1;
    } else pos += ch.length;
  }
  return ranges;
}

/** Original-text ranges of the highlighted folded text, merged where they touch. */
export function originalRanges(prep: Prepared, highlighted: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [a, b] of markedRanges(highlighted)) {
    if (b > prep.start.length) continue; // the highlighter saw other text than ours: skip, never mis-mark
    const s = prep.start[a]!;
    const e = prep.end[b - 1]!;
    const last = out.at(-1);
    // Ranges come in order; CJK characters are marked one by one, so join touching ones.
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** Text of the original as shown in a snippet: markers cannot be faked, layout is one line. */
const clean = (s: string) => s.replace(/[\u0002\u0003\u200b]/g, ' ');

/**
 * A one-line fragment of `original` around its first marked range, with every marked range
 * inside it wrapped in the port's markers and '…' where it was cut.
 */
export function buildSnippet(original: string, ranges: Array<[number, number]>): string | undefined {
  if (ranges.length === 0) return undefined;
  let from = Math.max(0, ranges[0]![0] - CONTEXT_BEFORE);
  while (from > 0 && !/\s/.test(original[from - 1]!)) from--; // do not start mid-word
  let to = Math.min(original.length, Math.max(from + SNIPPET_CHARS, ranges[0]![1]));
  while (to < original.length && !/\s/.test(original[to]!) && to - from < SNIPPET_CHARS * 2) to++;
  let out = from > 0 ? '…' : '';
  let pos = from;
  for (const [s, e] of ranges) {
    if (s >= to) break;
    if (e <= pos) continue;
    const a = Math.max(s, pos);
    const b = Math.min(e, to);
    out += clean(original.slice(pos, a)) + MARK_OPEN + clean(original.slice(a, b)) + MARK_CLOSE;
    pos = b;
  }
  out += clean(original.slice(pos, to)) + (to < original.length ? '…' : '');
  return out.replace(/\s+/g, ' ').trim();
}
