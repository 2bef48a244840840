// Help with the query language while typing: the same parser the server runs (so an error is
// shown at the same position before anything is sent), completions for fields and operators,
// and the form builder's fields written out as query text.
import { parseQuery } from '../../search/query/parse.ts';

export interface QueryProblem {
  message: string;
  /** 0-based character offset in the query, as the server reports it. */
  position: number;
  expected?: string;
}

/** The parser's verdict on a query: null when it reads, or where and why it does not. */
export function checkQuery(text: string): QueryProblem | null {
  try {
    parseQuery(text);
    return null;
  } catch (err) {
    const e = err as { message?: string; details?: { position?: unknown; expected?: unknown } };
    const position = typeof e.details?.position === 'number' ? e.details.position : text.length;
    return { message: String(e.message ?? err).replace(/^query syntax: /, ''), position, expected: typeof e.details?.expected === 'string' ? e.details.expected : undefined };
  }
}

export interface Completion {
  /** Text inserted in place of the word being typed. */
  insert: string;
  label: string;
  hint: string;
}

/** Fields and operators of docs/query-language.md, with the hint a lawyer needs to pick one. */
export const COMPLETIONS: Completion[] = [
  { insert: 'from:', label: 'from:', hint: 'sender' },
  { insert: 'to:', label: 'to:', hint: 'To recipients' },
  { insert: 'cc:', label: 'cc:', hint: 'Cc recipients' },
  { insert: 'bcc:', label: 'bcc:', hint: 'Bcc, including journal envelopes' },
  { insert: 'participant:', label: 'participant:', hint: 'anyone on the message' },
  { insert: 'domain:', label: 'domain:', hint: 'anyone at a domain or subdomain' },
  { insert: 'subject:', label: 'subject:', hint: 'words in the subject' },
  { insert: 'body:', label: 'body:', hint: 'words in the text' },
  { insert: 'attachment:', label: 'attachment:', hint: 'attachment names and text' },
  { insert: 'filename:', label: 'filename:', hint: 'attachment file names' },
  { insert: 'has:attachment', label: 'has:attachment', hint: 'with at least one attachment' },
  { insert: 'after:', label: 'after:', hint: 'on or after a date, e.g. 2024-01-31' },
  { insert: 'before:', label: 'before:', hint: 'up to and including a date' },
  { insert: 'larger:', label: 'larger:', hint: 'bigger than, e.g. 1M' },
  { insert: 'smaller:', label: 'smaller:', hint: 'smaller than, e.g. 500k' },
  { insert: 'category:', label: 'category:', hint: 'retention category' },
  { insert: 'custodian:', label: 'custodian:', hint: 'custodian address' },
  { insert: 'hold:', label: 'hold:', hint: 'legal hold name' },
  { insert: 'message-id:', label: 'message-id:', hint: 'the Message-ID' },
  { insert: 'flag:unparsed', label: 'flag:unparsed', hint: 'archived raw, could not be parsed' },
  { insert: 'flag:journal-report', label: 'flag:journal-report', hint: 'arrived as a journal report' },
  { insert: 'AND', label: 'AND', hint: 'both (also: a space)' },
  { insert: 'OR', label: 'OR', hint: 'either' },
  { insert: 'NOT', label: 'NOT', hint: 'exclude (also: -word)' },
];

/** The word under the caret: where it starts and what has been typed of it. */
export function wordAt(text: string, caret: number): { start: number; word: string } {
  let start = caret;
  while (start > 0 && !/[\s()"]/.test(text[start - 1]!)) start--;
  const word = text.slice(start, caret).replace(/^-/, '');
  return { start: text[start] === '-' ? start + 1 : start, word };
}

/** Completions for the word being typed; none once it has a value (`from:al`) or is empty. */
export function completionsFor(text: string, caret: number): Completion[] {
  const { word } = wordAt(text, caret);
  if (!word || word.includes(':')) return [];
  const lower = word.toLowerCase();
  const operator = /^[A-Z]+$/.test(word);
  return COMPLETIONS.filter((c) => (operator && /^[A-Z]+$/.test(c.insert) ? c.insert.startsWith(word) : c.insert.toLowerCase().startsWith(lower)) && c.insert !== word).slice(0, 8);
}

/** Replaces the word under the caret by a completion; answers the new text and caret. */
export function applyCompletion(text: string, caret: number, c: Completion): { text: string; caret: number } {
  const { start } = wordAt(text, caret);
  let end = caret;
  while (end < text.length && !/[\s()"]/.test(text[end]!)) end++;
  const tail = c.insert.endsWith(':') ? '' : ' ';
  const next = text.slice(0, start) + c.insert + tail + text.slice(end).replace(/^ /, '');
  return { text: next, caret: start + c.insert.length + tail.length };
}

export interface BuilderFields {
  from: string;
  to: string;
  participant: string;
  after: string;
  before: string;
  hasAttachment: boolean;
  category: string;
  subject: string;
  words: string;
}

export const emptyBuilder = (): BuilderFields => ({ from: '', to: '', participant: '', after: '', before: '', hasAttachment: false, category: '', subject: '', words: '' });

/** A value as the language wants it: bare when it is one plain word, else quoted with \" and \\ escaped. */
export function quoteValue(value: string): string {
  const v = value.trim();
  if (/^[^\s()"]+$/.test(v) && !/^(AND|OR|NOT)$/.test(v)) return v;
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The form builder's fields as query text (people may be several, separated by commas: any of them). */
export function buildQuery(f: BuilderFields): string {
  const parts: string[] = [];
  const people = (field: string, value: string) => {
    const list = value.split(',').map((v) => v.trim()).filter(Boolean).map((v) => `${field}:${quoteValue(v)}`);
    if (list.length === 1) parts.push(list[0]!);
    else if (list.length > 1) parts.push(`(${list.join(' OR ')})`);
  };
  if (f.words.trim()) parts.push(f.words.trim());
  people('from', f.from);
  people('to', f.to);
  people('participant', f.participant);
  for (const w of f.subject.trim() ? f.subject.trim().split(/\s+/) : []) parts.push(`subject:${quoteValue(w)}`);
  if (f.after) parts.push(`after:${f.after}`);
  if (f.before) parts.push(`before:${f.before}`);
  if (f.hasAttachment) parts.push('has:attachment');
  if (f.category.trim()) parts.push(`category:${quoteValue(f.category)}`);
  return parts.join(' ');
}

/** Adds a facet's refinement to a query (kept as typed, so the user sees exactly what runs). */
export function refine(query: string, clause: string): string {
  const q = query.trim();
  if (!q) return clause;
  if (q.includes(clause)) return q;
  return /\bOR\b/.test(q) ? `(${q}) ${clause}` : `${q} ${clause}`;
}
