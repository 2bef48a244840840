// Compiles the query AST to the Elasticsearch query DSL, node by node as search/sqlite/compile.ts
// interprets it. Every user value travels as a value inside a JSON leaf query (term, prefix,
// match_phrase): never as query_string text, so no user input can change a query's shape.
import type { estypes } from '@elastic/elasticsearch';
import type { QueryNode, TextField } from '../port.ts';
import { normalizeMessageId, ROLES, TEXT_COLUMNS, type Role, type TextColumn } from './document.ts';
import { queryTokens } from './text.ts';

type QueryDslQueryContainer = estypes.QueryDslQueryContainer;

type Term = Extract<QueryNode, { kind: 'term' }>;
type Keyword = Extract<QueryNode, { kind: 'keyword' }>;
type Query = QueryDslQueryContainer;

const MATCH_ALL: Query = { match_all: {} };
const MATCH_NONE: Query = { match_none: {} };

/**
 * A phrase ending in a prefix ("quarterly rep"*) expands its last word to at most this many
 * index terms (match_phrase_prefix); a single-word prefix (merg*) is exact and unbounded.
 */
export const PHRASE_PREFIX_EXPANSIONS = 10_000;

const ADDRESS_ROLES: Partial<Record<TextField, readonly Role[]>> = {
  from: ['from'],
  to: ['to'],
  cc: ['cc'],
  bcc: ['bcc'],
  participant: ROLES,
};

const FIELD_COLUMNS: Record<TextField, readonly TextColumn[]> = {
  any: TEXT_COLUMNS,
  from: ['from'],
  to: ['to'],
  cc: ['cc'],
  bcc: ['bcc'],
  participant: ['from', 'to', 'cc', 'bcc', 'env'],
  subject: ['subject'],
  body: ['body'],
  attachment: ['att_names', 'att_text'],
  filename: ['att_names'],
};

/** Subject and file names are short and deliberate, so a hit there says more (as sqlite's bm25 weights). */
const BOOST: Record<TextColumn, number> = {
  subject: 3, body: 1, att_names: 2, att_text: 1, from: 1, to: 1, cc: 1, bcc: 1, env: 0.5,
};

const anyOf = (queries: Query[]): Query =>
  queries.length === 1 ? queries[0]! : { bool: { should: queries, minimum_should_match: 1 } };

/** The AST as a filter: which documents match, nothing about how well. */
export function compileFilter(node: QueryNode): Query {
  switch (node.kind) {
    case 'all':
      return MATCH_ALL;
    case 'and':
      return node.children.length ? { bool: { filter: node.children.map(compileFilter) } } : MATCH_ALL;
    case 'or':
      return node.children.length ? { bool: { should: node.children.map(compileFilter), minimum_should_match: 1 } } : MATCH_NONE;
    case 'not':
      return { bool: { must_not: [compileFilter(node.child)] } };
    case 'term':
      return compileTerm(node);
    case 'date':
      return { range: { date: node.op === 'before' ? { lt: Date.parse(node.value) } : { gte: Date.parse(node.value) } } };
    case 'size':
      return { range: { size: node.op === 'larger' ? { gt: node.bytes } : { lt: node.bytes } } };
    case 'has':
      return { range: { att_count: { gt: 0 } } };
    case 'flag':
      return { term: { flags: node.value.trim().toLowerCase() } };
    case 'keyword':
      return compileKeyword(node);
  }
}

function compileTerm(t: Term): Query {
  const roles = ADDRESS_ROLES[t.field];
  const value = t.value.trim().toLowerCase();
  const at = value.indexOf('@');
  if (roles && at === 0 && value.length > 1 && !t.prefix) return domainQuery(value.slice(1), roles);
  if (roles && at > 0) {
    return anyOf(roles.map((r) => (t.prefix ? { prefix: { [`addr.${r}`]: { value } } } : { term: { [`addr.${r}`]: value } })));
  }
  return textQuery(t, false);
}

function compileKeyword(k: Keyword): Query {
  let value = k.value.trim().toLowerCase();
  switch (k.field) {
    case 'category':
      return { term: { 'category.lc': value } };
    case 'domain':
      if (value.startsWith('@')) value = value.slice(1);
      return domainQuery(value, ROLES);
    case 'message-id':
      return { term: { message_id: normalizeMessageId(value) ?? '' } };
    case 'custodian':
      return { term: { custodians: value } };
    case 'hold':
      return { term: { holds: value } };
  }
}

/** The domain itself or any subdomain: every dot-suffix of each address's domain is indexed. */
function domainQuery(domain: string, roles: readonly Role[]): Query {
  return anyOf(roles.map((r) => ({ term: { [`dom.${r}`]: domain } })));
}

/**
 * Words in the text columns of a field. One word is a term (or an exact prefix), several are a
 * phrase within one column, as an FTS5 phrase is. `scored` adds the column weights.
 */
function textQuery(t: Term, scored: boolean): Query {
  const tokens = queryTokens(t.value);
  if (tokens.length === 0) return MATCH_NONE; // only emoji or punctuation: matches nothing
  const phrase = tokens.join(' ');
  return anyOf(FIELD_COLUMNS[t.field].map((c): Query => {
    const path = `t.${c}`;
    const boost = scored ? BOOST[c] : 1;
    if (t.prefix && tokens.length === 1) return { prefix: { [path]: { value: phrase, boost } } };
    if (t.prefix) return { match_phrase_prefix: { [path]: { query: phrase, max_expansions: PHRASE_PREFIX_EXPANSIONS, boost } } };
    return { match_phrase: { [path]: { query: phrase, boost } } };
  }));
}

/**
 * The text terms that are not negated, OR-ed and weighted: they score hits for relevance and
 * drive the highlighter. Negated terms are left out because they cannot occur in a hit.
 * Null when the query has no such term (structural queries: every hit scores 0).
 */
export function scoringQuery(node: QueryNode): Query | null {
  const parts: Query[] = [];
  collectPositive(node, false, parts);
  return parts.length ? { bool: { should: parts, minimum_should_match: 1 } } : null;
}

function collectPositive(node: QueryNode, negated: boolean, out: Query[]): void {
  if (node.kind === 'and' || node.kind === 'or') {
    for (const c of node.children) collectPositive(c, negated, out);
  } else if (node.kind === 'not') {
    collectPositive(node.child, !negated, out);
  } else if (node.kind === 'term' && !negated && queryTokens(node.value).length > 0) {
    out.push(textQuery(node, true));
  }
}
