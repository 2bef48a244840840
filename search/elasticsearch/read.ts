// The read side of the Elasticsearch index: exact totals, search_after pages in a stable order
// (ties by id), snippets mapped back to the original spelling, facets as aggregations, threads.
import type { Client } from '@elastic/elasticsearch';
import type { estypes } from '@elastic/elasticsearch';
import { SteleError } from '../../core/errors.ts';
import { decodeCursor, encodeCursor, queryFingerprint } from '../cursor.ts';
import type { Facets, IndexDocument, QueryNode, SearchHit, SearchOptions, SearchResult, SortOrder } from '../port.ts';
import { compileFilter, scoringQuery } from './compile.ts';
import { columnSources, TEXT_COLUMNS, type EsDocument, type TextColumn } from './document.ts';
import { buildSnippet, MARK_CLOSE, MARK_OPEN, originalRanges, prepareText } from './text.ts';

type AggregationsAggregationContainer = estypes.AggregationsAggregationContainer;
type AggregationsStringTermsBucket = estypes.AggregationsStringTermsBucket;
type EsHit<T> = estypes.SearchHit<T>;
type SearchRequest = estypes.SearchRequest;
type Sort = estypes.Sort;
type SortResults = estypes.SortResults;

/** Same page rules as the sqlite adapter (search/port.ts): 50 by default, at most 1000. */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;
/** Facet lists are for a sidebar; a long tail of domains helps no one there. */
const MAX_FACET_VALUES = 100;
/** Years since the first e-mail fit easily; listed in full as sqlite does. */
const MAX_YEARS = 1000;
/** Upper bound on a thread, against a pathological References header joining everything. */
const MAX_THREAD = 10_000;
/** Elasticsearch refuses a terms query over 65,536 values (index.max_terms_count). */
const MAX_THREAD_IDS = 65_000;
/** Highlight at most this many characters of a field: bounds the work on a giant body. */
const MAX_HIGHLIGHT_CHARS = 1_000_000;
/** Only what a hit shows; the whole document is fetched only when snippets need its text. */
const HIT_SOURCE = ['id', 'doc.date', 'doc.subject', 'doc.from', 'doc.size', 'doc.flags'];

const SORTS: Record<SortOrder, Sort> = {
  date_desc: [{ date: 'desc' }, { id: 'asc' }],
  date_asc: [{ date: 'asc' }, { id: 'asc' }],
  relevance: [{ _score: { order: 'desc' } }, { id: 'asc' }],
};

type Source = Pick<EsDocument, 'id'> & { doc: IndexDocument };

function checkOptions(opts: SearchOptions): { sort: SortOrder; limit: number } {
  const sort = opts.sort ?? 'date_desc';
  if (!Object.hasOwn(SORTS, sort)) throw new SteleError('bad_request', `unknown sort ${String(sort)}`, { details: { field: 'sort' } });
  const limit = opts.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) {
    throw new SteleError('bad_request', `limit must be an integer from 0 to ${MAX_LIMIT}`, { details: { field: 'limit' } });
  }
  return { sort, limit };
}

const FACET_AGGS: Record<keyof Facets, AggregationsAggregationContainer> = {
  domain: { terms: { field: 'from_domain', size: MAX_FACET_VALUES, order: [{ _count: 'desc' }, { _key: 'asc' }] } },
  year: { terms: { field: 'year', size: MAX_YEARS, order: { _key: 'asc' } } },
  category: { terms: { field: 'category', size: MAX_FACET_VALUES, order: [{ _count: 'desc' }, { _key: 'asc' }] } },
};

export async function search(client: Client, index: string, query: QueryNode, opts: SearchOptions): Promise<SearchResult> {
  const { sort, limit } = checkOptions(opts);
  const fingerprint = queryFingerprint(query);
  const after = opts.cursor ? decodeCursor(opts.cursor, sort, fingerprint) : null;
  const scoring = scoringQuery(query);
  const request: SearchRequest = {
    index,
    query: { bool: { filter: [compileFilter(query)], ...(scoring ? { should: [scoring] } : {}) } },
    sort: SORTS[sort],
    size: limit === 0 ? 0 : limit + 1,
    track_total_hits: true,
    _source: scoring ? ['id', 'doc'] : HIT_SOURCE,
    // Same shard copies for every page, so relevance scores cannot shift between pages.
    preference: `stele-${fingerprint}`, // a leading _ would be a reserved preference
  };
  if (after) request.search_after = [after.key, after.id];
  if (scoring && limit > 0) request.highlight = highlightFor(scoring);
  if (opts.facets) request.aggs = FACET_AGGS;
  const res = await client.search<Source>(request);
  const total = typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? 0);
  const rows = res.hits.hits;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const result: SearchResult = {
    total,
    hits: page.map((h) => toHit(h, sort)),
    nextCursor: rows.length > limit && last ? encodeCursor(sort, fingerprint, cursorKey(last)) : null,
  };
  if (opts.facets) result.facets = facetsOf(res.aggregations);
  return result;
}

function cursorKey(hit: EsHit<Source>): { key: number; id: string } {
  const [key, id] = hit.sort as SortResults;
  return { key: Number(key), id: String(id) };
}

function highlightFor(scoring: NonNullable<ReturnType<typeof scoringQuery>>): SearchRequest['highlight'] {
  return {
    type: 'unified',
    // The whole field comes back marked; the snippet is cut in JS, in the original text.
    number_of_fragments: 0,
    pre_tags: [MARK_OPEN],
    post_tags: [MARK_CLOSE],
    encoder: 'default',
    highlight_query: scoring,
    max_analyzed_offset: MAX_HIGHLIGHT_CHARS,
    fields: Object.fromEntries(TEXT_COLUMNS.map((c) => [`t.${c}`, {}])),
  };
}

/** The column with the most marks (ties: subject first), cut around its first mark. */
function snippetOf(doc: IndexDocument, highlight: Record<string, string[]> | undefined): string | undefined {
  if (!highlight) return undefined;
  let best: { column: TextColumn; marked: string; count: number } | undefined;
  for (const column of TEXT_COLUMNS) {
    const marked = highlight[`t.${column}`]?.join(' ');
    if (!marked) continue;
    const count = marked.split(MARK_OPEN).length - 1;
    if (!best || count > best.count) best = { column, marked, count };
  }
  if (!best) return undefined;
  const original = columnSources(doc)[best.column];
  return buildSnippet(original, originalRanges(prepareText(original), best.marked));
}

function toHit(h: EsHit<Source>, sort: SortOrder): SearchHit {
  const doc = h._source!.doc;
  const hit: SearchHit = { id: h._source!.id, date: doc.date, subject: doc.subject, from: doc.from, size: doc.size, flags: doc.flags };
  const snippet = snippetOf(doc, h.highlight);
  if (snippet !== undefined) hit.snippet = snippet;
  if (sort === 'relevance') hit.score = Number(h.sort?.[0] ?? 0);
  return hit;
}

function facetsOf(aggs: Record<string, unknown> | undefined): Facets {
  const list = (name: keyof Facets) =>
    ((aggs?.[name] as { buckets?: AggregationsStringTermsBucket[] } | undefined)?.buckets ?? []).map((b) => ({
      value: String(b.key_as_string ?? b.key),
      count: b.doc_count,
    }));
  return { domain: list('domain'), year: list('year'), category: list('category') };
}

/** Walks Message-ID links to a fixpoint: each round finds the messages sharing any known id. */
export async function thread(client: Client, index: string, id: string): Promise<SearchHit[]> {
  const seed = await client.search<Pick<EsDocument, 'links'>>({ index, query: { term: { id } }, size: 1, _source: ['links'] });
  const first = seed.hits.hits[0];
  if (!first) return [];
  const mids = new Set(first._source?.links ?? []);
  let hits: Array<EsHit<Source & Pick<EsDocument, 'links'>>> = [];
  for (let grown = true; grown; ) {
    const res = await client.search<Source & Pick<EsDocument, 'links'>>({
      index,
      query: { bool: { should: [{ term: { id } }, { terms: { links: [...mids].slice(0, MAX_THREAD_IDS) } }], minimum_should_match: 1 } },
      sort: SORTS.date_asc,
      size: MAX_THREAD,
      _source: [...HIT_SOURCE, 'links'],
    });
    hits = res.hits.hits;
    const before = mids.size;
    for (const h of hits) for (const mid of h._source?.links ?? []) mids.add(mid);
    grown = mids.size > before && mids.size <= MAX_THREAD_IDS && hits.length < MAX_THREAD;
  }
  return hits.map((h) => toHit(h, 'date_asc'));
}
