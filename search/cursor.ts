// Opaque keyset cursors: base64url JSON of the last hit's sort key and id, bound to the query
// and sort that produced them, so a cursor replayed against another search is refused rather
// than silently skipping or repeating hits. Backend-neutral: any adapter may use it.
import { createHash } from 'node:crypto';
import { SteleError } from '../core/errors.ts';
import type { QueryNode, SortOrder } from './port.ts';

export interface CursorKey {
  /** The sort value of the last hit: date in epoch ms, or the relevance score. */
  key: number;
  id: string;
}

const VERSION = 1;

/** A short digest of the AST: enough to tell two queries apart, never reversible to the text. */
export function queryFingerprint(query: QueryNode): string {
  return createHash('sha256').update(JSON.stringify(query)).digest('base64url').slice(0, 16);
}

export function encodeCursor(sort: SortOrder, fingerprint: string, last: CursorKey): string {
  const body = { v: VERSION, s: sort, q: fingerprint, k: last.key, id: last.id };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

function badCursor(why: string): SteleError {
  return new SteleError('bad_request', `invalid cursor: ${why}`, { details: { field: 'cursor' } });
}

export function decodeCursor(cursor: string, sort: SortOrder, fingerprint: string): CursorKey {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor('not a cursor returned by search');
  }
  const c = body as { v?: unknown; s?: unknown; q?: unknown; k?: unknown; id?: unknown } | null;
  if (!c || typeof c !== 'object' || c.v !== VERSION || typeof c.k !== 'number' || !Number.isFinite(c.k) ||
      typeof c.id !== 'string') {
    throw badCursor('not a cursor returned by search');
  }
  if (c.s !== sort) throw badCursor(`it continues a ${String(c.s)} search, not ${sort}`);
  if (c.q !== fingerprint) throw badCursor('it continues a different query');
  return { key: c.k, id: c.id };
}
