// The read side of the SQLite index: exact totals, keyset-paged hits in a stable order,
// snippets, facets over the whole result set, and threads.
import type Database from 'better-sqlite3';
import { SteleError } from '../../core/errors.ts';
import { decodeCursor, encodeCursor, queryFingerprint, type CursorKey } from '../cursor.ts';
import type { Facets, QueryNode, SearchHit, SearchOptions, SearchResult, SortOrder } from '../port.ts';
import { compileWhere, highlightExpression, type Compiled } from './compile.ts';
import { BM25_WEIGHTS, cleanSnippet } from './fts-text.ts';

export const DEFAULT_LIMIT = 50;
/** A page is rendered by a person or streamed by an export; bigger pages only cost memory. */
export const MAX_LIMIT = 1000;
/** Facet lists are for a sidebar; a long tail of domains helps no one there. */
const MAX_FACET_VALUES = 100;
/** FTS5 counts snippet length in tokens; CJK characters are one token each, so allow some room. */
const SNIPPET_TOKENS = 24;
/** Upper bound on a thread, against a pathological References header joining everything. */
const MAX_THREAD = 10_000;

interface Row {
  r: number;
  id: string;
  date_ms: number;
  size: number;
  flags: string;
  hit: string;
  score?: number;
}

const ORDER: Record<SortOrder, { by: string; after: string; key: (r: Row) => number }> = {
  date_desc: { by: 'date_ms DESC, id ASC', after: '(date_ms < ? OR (date_ms = ? AND id > ?))', key: (r) => r.date_ms },
  date_asc: { by: 'date_ms ASC, id ASC', after: '(date_ms > ? OR (date_ms = ? AND id > ?))', key: (r) => r.date_ms },
  // bm25() is negative and lower is better; non-text hits score 0 and come last.
  relevance: { by: 'score ASC, id ASC', after: '(score > ? OR (score = ? AND id > ?))', key: (r) => r.score ?? 0 },
};

function checkOptions(opts: SearchOptions): { sort: SortOrder; limit: number } {
  const sort = opts.sort ?? 'date_desc';
  if (!Object.hasOwn(ORDER, sort)) throw new SteleError('bad_request', `unknown sort ${String(sort)}`, { details: { field: 'sort' } });
  const limit = opts.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) {
    throw new SteleError('bad_request', `limit must be an integer from 0 to ${MAX_LIMIT}`, { details: { field: 'limit' } });
  }
  return { sort, limit };
}

export function search(db: Database.Database, query: QueryNode, opts: SearchOptions): SearchResult {
  const { sort, limit } = checkOptions(opts);
  const fingerprint = queryFingerprint(query);
  const after = opts.cursor ? decodeCursor(opts.cursor, sort, fingerprint) : null;
  const filter = compileWhere(query);
  const highlight = highlightExpression(query);
  const total = (db.prepare(`SELECT count(*) AS n FROM docs d WHERE ${filter.where}`).get(...filter.params) as { n: number }).n;
  const rows = limit === 0 ? [] : pageRows(db, filter, highlight, sort, after, limit + 1);
  const page = rows.slice(0, limit);
  const snippets = highlight && page.length ? snippetsFor(db, highlight, page) : new Map<number, string>();
  const last = page.at(-1);
  const result: SearchResult = {
    total,
    hits: page.map((r) => toHit(r, snippets.get(r.r), sort)),
    nextCursor: rows.length > limit && last ? encodeCursor(sort, fingerprint, { key: ORDER[sort].key(last), id: last.id }) : null,
  };
  if (opts.facets) result.facets = facets(db, filter);
  return result;
}

function pageRows(
  db: Database.Database, filter: Compiled, highlight: string | null, sort: SortOrder, after: CursorKey | null, take: number,
): Row[] {
  const params: unknown[] = [];
  let score = '';
  let join = '';
  let scores = '';
  if (sort === 'relevance' && highlight) {
    // MATERIALIZED: otherwise SQLite re-runs the FTS query per candidate row (seconds per page at 50k docs).
    scores = `WITH s AS MATERIALIZED (SELECT rowid AS r, bm25(fts, ${BM25_WEIGHTS.join(', ')}) AS score FROM fts WHERE fts MATCH ?)`;
    score = `, COALESCE(s.score, 0.0) AS score`;
    join = 'LEFT JOIN s ON s.r = d.rowid';
    params.push(highlight);
  } else if (sort === 'relevance') {
    score = ', 0.0 AS score';
  }
  params.push(...filter.params);
  const inner = `SELECT d.rowid AS r, d.id, d.date_ms, d.size, d.flags, d.hit${score} FROM docs d ${join} WHERE ${filter.where}`;
  const order = ORDER[sort];
  let keyset = '';
  if (after) {
    keyset = `WHERE ${order.after}`;
    params.push(after.key, after.key, after.id);
  }
  params.push(take);
  return db.prepare(`${scores} SELECT * FROM (${inner}) ${keyset} ORDER BY ${order.by} LIMIT ?`).all(...params) as Row[];
}

function snippetsFor(db: Database.Database, highlight: string, page: Row[]): Map<number, string> {
  const rows = db.prepare(`SELECT rowid AS r, snippet(fts, -1, ?, ?, ?, ${SNIPPET_TOKENS}) AS s FROM fts
    WHERE fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))`)
    .all('\u0002', '\u0003', '…', highlight, JSON.stringify(page.map((p) => p.r))) as Array<{ r: number; s: string }>;
  return new Map(rows.filter((x) => x.s.includes('\u0002')).map((x) => [x.r, cleanSnippet(x.s)]));
}

function toHit(r: Row, snippet: string | undefined, sort: SortOrder): SearchHit {
  const stored = JSON.parse(r.hit) as Pick<SearchHit, 'date' | 'subject' | 'from'>;
  const hit: SearchHit = { id: r.id, date: stored.date, subject: stored.subject, from: stored.from, size: r.size, flags: JSON.parse(r.flags) };
  if (snippet !== undefined) hit.snippet = snippet;
  // bm25 is "lower is better"; callers get the conventional "higher is better".
  if (sort === 'relevance') hit.score = r.score ? -r.score : 0;
  return hit;
}

function facets(db: Database.Database, filter: Compiled): Facets {
  const inResult = `SELECT d.rowid FROM docs d WHERE ${filter.where}`;
  const domain = db.prepare(`SELECT a.domain AS value, count(DISTINCT a.doc) AS count FROM addrs a
    WHERE a.role = ? AND a.domain <> '' AND a.doc IN (${inResult})
    GROUP BY a.domain ORDER BY count DESC, value ASC LIMIT ?`).all('from', ...filter.params, MAX_FACET_VALUES);
  const year = db.prepare(`SELECT CAST(d.year AS TEXT) AS value, count(*) AS count FROM docs d WHERE ${filter.where}
    GROUP BY d.year ORDER BY d.year ASC`).all(...filter.params);
  const category = db.prepare(`SELECT d.category AS value, count(*) AS count FROM docs d WHERE ${filter.where}
    GROUP BY d.category ORDER BY count DESC, value ASC LIMIT ?`).all(...filter.params, MAX_FACET_VALUES);
  return { domain, year, category } as Facets;
}

/** Walks Message-ID links to a fixpoint (UNION de-duplicates, so the recursion ends). */
export function thread(db: Database.Database, id: string): SearchHit[] {
  const rows = db.prepare(`
    WITH RECURSIVE ids(mid) AS (
      SELECT l.mid FROM links l JOIN docs d ON d.rowid = l.doc WHERE d.id = ?
      UNION
      SELECT l2.mid FROM ids JOIN links l1 ON l1.mid = ids.mid JOIN links l2 ON l2.doc = l1.doc
    )
    SELECT d.rowid AS r, d.id, d.date_ms, d.size, d.flags, d.hit FROM docs d
    WHERE d.id = ? OR d.rowid IN (SELECT l.doc FROM links l WHERE l.mid IN (SELECT mid FROM ids))
    ORDER BY d.date_ms ASC, d.id ASC LIMIT ?`).all(id, id, MAX_THREAD) as Row[];
  return rows.map((r) => toHit(r, undefined, 'date_asc'));
}
