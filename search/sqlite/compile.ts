// Compiles the query AST to a SQL WHERE clause over `docs d`, with every user value bound as a
// parameter. Boolean structure is done in SQL (each leaf is a rowid set), so NOT, ALL and the
// structured filters combine freely with FTS terms.
import { normalizeMessageId } from '../document-rules.ts';
import type { QueryNode, TextField } from '../port.ts';
import { ftsExpression } from './fts-text.ts';

export interface Compiled {
  where: string;
  params: unknown[];
}

type Term = Extract<QueryNode, { kind: 'term' }>;
type Keyword = Extract<QueryNode, { kind: 'keyword' }>;

export const ROLES = ['from', 'to', 'cc', 'bcc', 'envelope_to', 'envelope_from'] as const;
export type Role = (typeof ROLES)[number];

const ADDRESS_ROLES: Partial<Record<TextField, readonly Role[]>> = {
  from: ['from'],
  to: ['to'],
  cc: ['cc'],
  bcc: ['bcc'],
  participant: ROLES,
};


export function compileWhere(node: QueryNode): Compiled {
  const params: unknown[] = [];
  const where = compileNode(node, params);
  return { where, params };
}

function compileNode(node: QueryNode, params: unknown[]): string {
  switch (node.kind) {
    case 'all':
      return '1';
    case 'and':
      return node.children.length ? `(${node.children.map((c) => compileNode(c, params)).join(' AND ')})` : '1';
    case 'or':
      return node.children.length ? `(${node.children.map((c) => compileNode(c, params)).join(' OR ')})` : '0';
    case 'not':
      return `(NOT ${compileNode(node.child, params)})`;
    case 'term':
      return compileTerm(node, params);
    case 'date':
      params.push(Date.parse(node.value));
      return node.op === 'before' ? 'd.date_ms < ?' : 'd.date_ms >= ?';
    case 'size':
      params.push(node.bytes);
      return node.op === 'larger' ? 'd.size > ?' : 'd.size < ?';
    case 'has':
      return 'd.attachment_count > 0';
    case 'flag':
      return keywordRows('flag', node.value.toLowerCase(), params);
    case 'keyword':
      return compileKeyword(node, params);
  }
}

function compileTerm(t: Term, params: unknown[]): string {
  const roles = ADDRESS_ROLES[t.field];
  const value = t.value.trim().toLowerCase();
  const at = value.indexOf('@');
  if (roles && at === 0 && value.length > 1 && !t.prefix) {
    return domainRows(value.slice(1), roles, params);
  }
  if (roles && at > 0) {
    params.push(JSON.stringify(roles));
    const test = t.prefix ? 'substr(a.address, 1, length(?)) = ?' : 'a.address = ?';
    params.push(...(t.prefix ? [value, value] : [value]));
    return `d.rowid IN (SELECT a.doc FROM addrs a WHERE a.role IN (SELECT value FROM json_each(?)) AND ${test})`;
  }
  const match = ftsExpression(t.field, t.value, t.prefix === true);
  if (match === null) return '0';
  params.push(match);
  return 'd.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?)';
}

function compileKeyword(k: Keyword, params: unknown[]): string {
  let value = k.value.trim().toLowerCase();
  switch (k.field) {
    case 'category':
      params.push(value);
      return 'd.category = ? COLLATE NOCASE';
    case 'domain':
      if (value.startsWith('@')) value = value.slice(1);
      return domainRows(value, ROLES, params);
    case 'message-id':
      return keywordRows('message-id', normalizeMessageId(value) ?? '', params);
    default:
      return keywordRows(k.field, value, params);
  }
}

/** The domain itself or any subdomain, through the indexed suffix table. */
function domainRows(domain: string, roles: readonly Role[], params: unknown[]): string {
  params.push(domain, JSON.stringify(roles));
  return 'd.rowid IN (SELECT s.doc FROM domain_suffixes s WHERE s.suffix = ? AND s.role IN (SELECT value FROM json_each(?)))';
}

function keywordRows(field: string, value: string, params: unknown[]): string {
  params.push(field, value);
  return 'd.rowid IN (SELECT t.doc FROM terms t WHERE t.field = ? AND t.value = ?)';
}

/**
 * The FTS expression of every text term that is not negated, OR-ed: it scores (bm25) and
 * highlights hits. Negated terms are left out because they cannot occur in a hit.
 */
export function highlightExpression(node: QueryNode): string | null {
  const parts: string[] = [];
  collectPositive(node, false, parts);
  return parts.length ? parts.map((p) => `(${p})`).join(' OR ') : null;
}

function collectPositive(node: QueryNode, negated: boolean, out: string[]): void {
  if (node.kind === 'and' || node.kind === 'or') {
    for (const c of node.children) collectPositive(c, negated, out);
  } else if (node.kind === 'not') {
    collectPositive(node.child, !negated, out);
  } else if (node.kind === 'term' && !negated) {
    const expr = ftsExpression(node.field, node.value, node.prefix === true);
    if (expr !== null) out.push(expr);
  }
}

export { normalizeMessageId };
