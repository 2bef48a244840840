// Splits discovery query text into tokens that carry their character offset, so every syntax
// error can point at the exact place (details.position) instead of guessing.
import { SteleError } from '../../core/errors.ts';

export type Token =
  | { type: 'lparen'; pos: number }
  | { type: 'rparen'; pos: number }
  | { type: 'and' | 'or' | 'not'; pos: number }
  /** A leading '-' glued to the next token: `-word`, `-"phrase"`, `-(...)`, `-from:x`. */
  | { type: 'minus'; pos: number }
  | { type: 'text'; pos: number; value: string; quoted: boolean; prefix: boolean }
  | { type: 'field'; pos: number; name: string; valuePos: number; value: string; quoted: boolean; prefix: boolean }
  | { type: 'eof'; pos: number };

/** Characters that end a bare word; everything else (including '-', '.', '@', ':') is part of it. */
const WORD_END = /[\s()"]/u;
/** `name:` at the start of a bare word. Names are letters and hyphens (message-id), so `10:30` stays a word. */
const FIELD_HEAD = /^([A-Za-z][A-Za-z-]*):/;
/** Operators are upper case only, as in Lucene; lower-case `and`/`or`/`not` are ordinary words. */
const OPERATORS: Record<string, 'and' | 'or' | 'not'> = { AND: 'and', OR: 'or', NOT: 'not' };

export function syntaxError(message: string, position: number, expected: string): SteleError {
  return new SteleError('bad_request', `query syntax: ${message} at position ${position}`, {
    details: { position, expected },
  });
}

export function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/u.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')') {
      tokens.push({ type: ch === '(' ? 'lparen' : 'rparen', pos: i });
      i++;
    } else if (ch === '-' && i + 1 < text.length && !/[\s)]/u.test(text[i + 1]!)) {
      tokens.push({ type: 'minus', pos: i });
      i++;
    } else if (ch === '"') {
      const q = readQuoted(text, i);
      tokens.push({ type: 'text', pos: i, value: q.value, quoted: true, prefix: q.prefix });
      i = q.end;
    } else {
      i = readWordOrField(text, i, tokens);
    }
  }
  tokens.push({ type: 'eof', pos: text.length });
  return tokens;
}

/** Reads `"..."` (with \" and \\ escapes) and an optional trailing `*`; returns the offset after it. */
function readQuoted(text: string, start: number): { value: string; prefix: boolean; end: number } {
  let value = '';
  let i = start + 1;
  for (;;) {
    if (i >= text.length) throw syntaxError('unterminated quoted text', start, 'a closing \'"\'');
    const ch = text[i]!;
    if (ch === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
      value += text[i + 1];
      i += 2;
    } else if (ch === '"') {
      i++;
      break;
    } else {
      value += ch;
      i++;
    }
  }
  if (value.trim() === '') throw syntaxError('empty quoted text', start, 'text inside the quotes');
  const prefix = text[i] === '*';
  if (prefix) i++;
  if (i < text.length && !WORD_END.test(text[i]!)) {
    throw syntaxError('text directly after a closing quote', i, 'a space, \')\' or the end of the query');
  }
  return { value, prefix, end: i };
}

function readBare(text: string, start: number): { raw: string; end: number } {
  let i = start;
  while (i < text.length && !WORD_END.test(text[i]!)) i++;
  return { raw: text.slice(start, i), end: i };
}

/** A trailing `*` marks a prefix; a `*` anywhere else would silently mean something else, so refuse it. */
function splitPrefix(raw: string, pos: number): { value: string; prefix: boolean } {
  const prefix = raw.endsWith('*');
  const value = prefix ? raw.slice(0, -1) : raw;
  const star = value.indexOf('*');
  if (star >= 0) throw syntaxError("'*' inside a word", pos + star, "'*' only at the end of a word");
  if (value === '') throw syntaxError("'*' without a word", pos, 'at least one character before \'*\'');
  return { value, prefix };
}

function readWordOrField(text: string, start: number, tokens: Token[]): number {
  const { raw, end } = readBare(text, start);
  if (raw === '-') throw syntaxError("'-' without a term", start, "a term directly after '-' (no space)");
  const head = FIELD_HEAD.exec(raw);
  if (!head) {
    const op = OPERATORS[raw];
    if (op) tokens.push({ type: op, pos: start });
    else tokens.push({ type: 'text', pos: start, ...splitPrefix(raw, start), quoted: false });
    return end;
  }
  const name = head[1]!.toLowerCase();
  const valuePos = start + head[0].length;
  if (valuePos === end && text[end] === '"') {
    const q = readQuoted(text, end);
    tokens.push({ type: 'field', pos: start, name, valuePos, value: q.value, quoted: true, prefix: q.prefix });
    return q.end;
  }
  if (valuePos === end) throw syntaxError(`no value after '${head[0]}'`, valuePos, 'a field value');
  const v = splitPrefix(raw.slice(head[0].length), valuePos);
  tokens.push({ type: 'field', pos: start, name, valuePos, value: v.value, quoted: false, prefix: v.prefix });
  return end;
}
