// Chooses a SearchIndex adapter by URL scheme (one registry, as restic does for backends):
// `sqlite:./data/index.db`, `sqlite::memory:`; `http(s)://[user:pass@]host:9200[/index]` for
// Elasticsearch (the path, when given, names the index).
import { SteleError } from '../core/errors.ts';
import { stripPassword } from '../core/log.ts';
import { createElasticsearchIndex } from './elasticsearch/elasticsearch-index.ts';
import type { SearchIndex } from './port.ts';
import { createSqliteIndex } from './sqlite/sqlite-index.ts';

export const SUPPORTED_INDEX_SCHEMES = ['sqlite:', 'http:', 'https:'] as const;

/** `sqlite:<path>`; `sqlite:///abs/path` and `sqlite://./rel` are accepted for URL habit. */
function sqlitePath(url: string): string {
  let path = url.slice('sqlite:'.length);
  if (path.startsWith('//')) path = path.slice(2);
  if (path === '') throw new SteleError('bad_request', 'index URL sqlite: needs a path, e.g. sqlite:./data/index.db');
  return path;
}

/** `http://es:9200` -> the default index; `http://es:9200/archive` -> index `archive` on that node. */
function elasticsearchTarget(url: string): { url: string; index?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SteleError('bad_request', `invalid index URL ${JSON.stringify(stripPassword(url))}`, { details: { field: 'index' } });
  }
  const index = parsed.pathname.replace(/^\/+|\/+$/g, '');
  parsed.pathname = '/';
  parsed.search = '';
  parsed.hash = '';
  return index === '' ? { url: parsed.toString() } : { url: parsed.toString(), index };
}

export async function openIndex(url: string): Promise<SearchIndex> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') return createSqliteIndex({ path: sqlitePath(url) });
  if (scheme === 'http' || scheme === 'https') return createElasticsearchIndex(elasticsearchTarget(url));
  throw new SteleError(
    'bad_request',
    `unsupported index URL ${JSON.stringify(stripPassword(url))}: expected one of ${SUPPORTED_INDEX_SCHEMES.join(', ')} (e.g. sqlite:./data/index.db or http://localhost:9200)`,
    { details: { field: 'index', scheme: scheme ?? null } },
  );
}
