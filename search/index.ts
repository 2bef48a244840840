// The search capability's public API: the query language, the index port and its adapters.
// Callers outside search/ import from here only (contract.ts and fixtures.ts are for tests).
export type {
  Address,
  AttachmentDoc,
  Facets,
  IndexDocument,
  QueryNode,
  SearchHit,
  SearchIndex,
  SearchOptions,
  SearchResult,
  SortOrder,
  TextField,
} from './port.ts';
export { parseQuery, MAX_QUERY_CHARS } from './query/parse.ts';
export { createSqliteIndex, type SqliteIndexOptions } from './sqlite/sqlite-index.ts';
export { createElasticsearchIndex, type ElasticsearchIndexOptions } from './elasticsearch/elasticsearch-index.ts';
export { openIndex, SUPPORTED_INDEX_SCHEMES } from './open-index.ts';
