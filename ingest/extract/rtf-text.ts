// Turns RTF (attachments, or a TNEF body once decompressed) into plain text for the search index.
//
// One pass over the input with an explicit group stack: no recursion, no backtracking, output capped.
// Layout is dropped; paragraphs become newlines and cells tabs. Encapsulated HTML (\fromhtml, as
// Outlook writes it) reads right too: \*\htmltag groups are skipped and \htmlrtf spans suppressed.

import { decodeCodepage } from './codepage.ts';

/** Destinations whose content is not document text. */
const SKIPPED_DESTINATIONS: ReadonlySet<string> = new Set([
  'fonttbl', 'colortbl', 'stylesheet', 'info', 'pict', 'object', 'objdata', 'themedata',
  'colorschememapping', 'latentstyles', 'datastore', 'xmlnstbl', 'listtable', 'listoverridetable',
  'rsidtbl', 'generator', 'fldinst', 'header', 'headerl', 'headerr', 'headerf', 'footer', 'footerl',
  'footerr', 'footerf', 'private', 'pgdsctbl', 'filetbl', 'revtbl', 'userprops', 'protusertbl',
  'shpinst', 'nonshppict', 'mmathPr', 'wgrffmtfilter', 'bkmkstart', 'bkmkend', 'xe', 'tc', 'factoidname',
]);

const SYMBOLS: ReadonlyMap<string, string> = new Map([
  ['par', '\n'], ['line', '\n'], ['row', '\n'], ['sect', '\n'], ['page', '\n'], ['tab', '\t'], ['cell', '\t'],
  ['emdash', '\u2014'], ['endash', '\u2013'], ['bullet', '\u2022'], ['lquote', '\u2018'], ['rquote', '\u2019'],
  ['ldblquote', '\u201c'], ['rdblquote', '\u201d'], ['emspace', ' '], ['enspace', ' '], ['qmspace', ' '],
]);

/** Nesting deeper than this is not real RTF; deeper groups share their parent's state. */
const MAX_GROUP_DEPTH = 2_000;

interface GroupState {
  skip: boolean;
  uc: number; // fallback characters that follow each \uN
  htmlrtf: boolean;
}

/** Plain text of an RTF document (a latin1 string: one char per byte). Never throws on bad RTF. */
export function rtfToText(rtf: string, maxChars = 1_000_000): string {
  const out: string[] = [];
  let outLen = 0;
  let pending: number[] = []; // \'hh bytes waiting to be decoded together (double-byte code pages)
  let codepage = 1252;
  let state: GroupState = { skip: false, uc: 1, htmlrtf: false };
  const stack: GroupState[] = [];
  let skipChars = 0; // fallback characters still to drop after a \uN

  const flush = (): void => {
    if (pending.length === 0) return;
    const s = decodeCodepage(Uint8Array.from(pending), codepage);
    pending = [];
    out.push(s);
    outLen += s.length;
  };
  const emit = (s: string): void => {
    if (state.skip || state.htmlrtf) return;
    flush();
    out.push(s);
    outLen += s.length;
  };

  let i = 0;
  const n = rtf.length;
  while (i < n && outLen < maxChars) {
    const c = rtf[i]!;
    if (c === '{') {
      flush();
      if (stack.length < MAX_GROUP_DEPTH) {
        stack.push(state);
        state = { ...state };
      }
      i++;
    } else if (c === '}') {
      flush();
      state = stack.pop() ?? state;
      skipChars = 0;
      i++;
    } else if (c < ' ' && c !== '\t') {
      i++; // line breaks in RTF source are not text, and other control bytes are noise
    } else if (c !== '\\') {
      if (skipChars > 0) skipChars--;
      else emit(c);
      i++;
    } else {
      const next = rtf[i + 1];
      if (next === undefined) break;
      if (/[a-zA-Z]/.test(next)) {
        let j = i + 1;
        while (j < n && j - i <= 32 && /[a-zA-Z]/.test(rtf[j]!)) j++;
        const word = rtf.slice(i + 1, j);
        let k = j;
        if (rtf[k] === '-') k++;
        while (k < n && k - j <= 10 && rtf[k]! >= '0' && rtf[k]! <= '9') k++;
        const hasParam = k > j && rtf[k - 1] !== '-';
        const param = hasParam ? Number.parseInt(rtf.slice(j, k), 10) : undefined;
        if (rtf[k] === ' ') k++; // the delimiter space belongs to the control word
        i = k;
        if (SKIPPED_DESTINATIONS.has(word)) state.skip = true;
        else if (word === 'u' && param !== undefined) {
          if (skipChars === 0) emit(String.fromCharCode(param < 0 ? param + 65536 : param));
          skipChars = state.uc;
        } else if (word === 'uc' && param !== undefined) state.uc = Math.max(0, Math.min(param, 10));
        else if (word === 'ansicpg' && param !== undefined) codepage = param;
        else if (word === 'htmlrtf') state.htmlrtf = param !== 0;
        else if (word === 'bin' && param !== undefined && param > 0) i += param; // raw bytes, not text
        else {
          const sym = SYMBOLS.get(word);
          if (sym !== undefined) emit(sym);
        }
      } else if (next === "'") {
        const byte = Number.parseInt(rtf.slice(i + 2, i + 4), 16);
        i += 4;
        if (skipChars > 0) skipChars--;
        else if (!Number.isNaN(byte) && !state.skip && !state.htmlrtf) pending.push(byte);
      } else {
        i += 2;
        if (next === '*') state.skip = true;
        else if (next === '\\' || next === '{' || next === '}') emit(next);
        else if (next === '~') emit('\u00a0');
        else if (next === '_') emit('-');
        else if (next === '\n' || next === '\r') emit('\n');
      }
    }
  }
  flush();
  return tidy(out.join('')).slice(0, maxChars);
}

/**
 * Trims every line and keeps at most one blank line in a row (none when blankLines is false).
 * Line by line with trim(), not with a regex like /[ \t]+$/m, which is quadratic on a long run of
 * blanks (a table of empty cells).
 */
export function tidy(text: string, blankLines = true): string {
  const out: string[] = [];
  let blank = true; // no blank line at the very start
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed) {
      out.push(trimmed);
      blank = false;
    } else if (!blank && blankLines) {
      out.push('');
      blank = true;
    }
  }
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n');
}
