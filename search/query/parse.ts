// The discovery query language parser: text -> QueryNode. The one parser every backend uses,
// so a query means the same thing on SQLite and Elasticsearch (reference: docs/query-language.md).
import type { QueryNode, TextField } from '../port.ts';
import { lex, syntaxError, type Token } from './lex.ts';
import { parseDateBound, parseSize } from './values.ts';

/** Deep nesting would only come from a machine; refuse it before it can exhaust the stack. */
const MAX_DEPTH = 64;
/** Longer texts are not queries a person typed; keep the parse and the SQL bounded. */
export const MAX_QUERY_CHARS = 10_000;

const TEXT_FIELDS: ReadonlySet<string> = new Set<TextField>([
  'from', 'to', 'cc', 'bcc', 'participant', 'subject', 'body', 'attachment', 'filename',
]);
const KEYWORD_FIELDS = new Set(['category', 'custodian', 'hold', 'message-id', 'domain'] as const);
type KeywordField = typeof KEYWORD_FIELDS extends Set<infer T> ? T : never;
const KNOWN_FIELDS = [
  ...TEXT_FIELDS, 'has', 'before', 'after', 'larger', 'smaller', ...KEYWORD_FIELDS, 'flag',
];

/**
 * Parses a discovery query. Grammar (precedence NOT > AND > OR, adjacency is AND):
 *   query := or EOF ;  or := and (OR and)* ;  and := not ((AND)? not)*
 *   not := (NOT | '-') not | primary ;  primary := '(' or ')' | word | "phrase" | field:value
 * Throws SteleError('bad_request') with details { position, expected } on any syntax error.
 */
export function parseQuery(text: string): QueryNode {
  if (text.length > MAX_QUERY_CHARS) {
    throw syntaxError(`query longer than ${MAX_QUERY_CHARS} characters`, MAX_QUERY_CHARS, 'a shorter query');
  }
  const parser = new Parser(lex(text));
  if (parser.peek().type === 'eof') return { kind: 'all' };
  const node = parser.parseOr(0);
  const next = parser.peek();
  if (next.type !== 'eof') {
    throw syntaxError(next.type === 'rparen' ? "unmatched ')'" : 'unexpected token', next.pos, 'the end of the query');
  }
  return node;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(): Token {
    return this.tokens[this.i]!;
  }

  private take(): Token {
    return this.tokens[this.i++]!;
  }

  parseOr(depth: number): QueryNode {
    const children = [this.parseAnd(depth)];
    while (this.peek().type === 'or') {
      this.take();
      children.push(this.parseAnd(depth));
    }
    return combine('or', children);
  }

  private parseAnd(depth: number): QueryNode {
    const children = [this.parseNot(depth)];
    for (;;) {
      const t = this.peek();
      if (t.type === 'and') {
        this.take();
        children.push(this.parseNot(depth));
      } else if (startsOperand(t)) {
        children.push(this.parseNot(depth)); // adjacency is an implicit AND
      } else {
        return combine('and', children);
      }
    }
  }

  private parseNot(depth: number): QueryNode {
    const t = this.peek();
    if (t.type === 'not' || t.type === 'minus') {
      this.take();
      if (depth >= MAX_DEPTH) throw syntaxError('query nests too deeply', t.pos, `at most ${MAX_DEPTH} levels`);
      return { kind: 'not', child: this.parseNot(depth + 1) };
    }
    return this.parsePrimary(depth);
  }

  private parsePrimary(depth: number): QueryNode {
    const t = this.take();
    switch (t.type) {
      case 'lparen': {
        if (depth >= MAX_DEPTH) throw syntaxError('query nests too deeply', t.pos, `at most ${MAX_DEPTH} levels`);
        const inner = this.parseOr(depth + 1);
        const close = this.take();
        if (close.type !== 'rparen') throw syntaxError(`'(' at ${t.pos} is not closed`, close.pos, "')'");
        return inner;
      }
      case 'text':
        return termNode('any', t.value, t.quoted, t.prefix);
      case 'field':
        return fieldNode(t);
      default:
        throw syntaxError(describeMissing(t), t.pos, 'a search term, a "phrase", field:value or \'(\'');
    }
  }
}

function startsOperand(t: Token): boolean {
  return t.type === 'text' || t.type === 'field' || t.type === 'lparen' || t.type === 'not' || t.type === 'minus';
}

function describeMissing(t: Token): string {
  if (t.type === 'eof') return 'the query ends where a term is needed';
  if (t.type === 'rparen') return "')' where a term is needed";
  return `${t.type.toUpperCase()} where a term is needed`;
}

/** Flattens nested and/or of the same kind so equivalent queries give the same AST. */
function combine(kind: 'and' | 'or', children: QueryNode[]): QueryNode {
  if (children.length === 1) return children[0]!;
  const flat: QueryNode[] = [];
  for (const c of children) {
    if (c.kind === kind) flat.push(...c.children);
    else flat.push(c);
  }
  return { kind, children: flat };
}

function termNode(field: TextField, value: string, phrase: boolean, prefix: boolean): QueryNode {
  return {
    kind: 'term',
    field,
    value,
    ...(prefix ? { prefix: true } : {}),
    ...(phrase ? { phrase: true } : {}),
  };
}

function fieldNode(t: Extract<Token, { type: 'field' }>): QueryNode {
  if (TEXT_FIELDS.has(t.name)) return termNode(t.name as TextField, t.value, t.quoted, t.prefix);
  if (!KNOWN_FIELDS.includes(t.name)) {
    throw syntaxError(`unknown field '${t.name}:'`, t.pos, `one of ${KNOWN_FIELDS.map((f) => `${f}:`).join(' ')}`);
  }
  if (t.prefix) throw syntaxError(`'*' is not allowed in ${t.name}:`, t.valuePos, 'an exact value without \'*\'');
  switch (t.name) {
    case 'has':
      if (t.value.toLowerCase() !== 'attachment') throw syntaxError(`unknown has:${t.value}`, t.valuePos, "'attachment'");
      return { kind: 'has', what: 'attachment' };
    case 'before':
    case 'after':
      return { kind: 'date', field: 'date', op: t.name, value: parseDateBound(t.value, t.name, t.valuePos) };
    case 'larger':
    case 'smaller':
      return { kind: 'size', op: t.name, bytes: parseSize(t.value, t.valuePos) };
    case 'flag':
      return { kind: 'flag', value: t.value.toLowerCase() };
    default:
      return { kind: 'keyword', field: t.name as KeywordField, value: normalizeKeyword(t.name as KeywordField, t.value) };
  }
}

/** Keyword values match case-insensitively; Message-IDs are written with or without <>. */
function normalizeKeyword(field: KeywordField, value: string): string {
  let v = value.trim().toLowerCase();
  if (field === 'message-id' && v.startsWith('<') && v.endsWith('>')) v = v.slice(1, -1);
  if (field === 'domain' && v.startsWith('@')) v = v.slice(1);
  return v;
}
