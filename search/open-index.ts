// Chooses a SearchIndex adapter by URL scheme (one registry, as restic does for backends):
// `sqlite:./data/index.db`, `sqlite::memory:`; `http(s)://` for Elasticsearch comes later.
import { SteleError } from '../core/errors.ts';
import { stripPassword } from '../core/log.ts';
import type { SearchIndex } from './port.ts';
import { createSqliteIndex } from './sqlite/sqlite-index.ts';

export const SUPPORTED_INDEX_SCHEMES = ['sqlite:'] as const;

/** `sqlite:<path>`; `sqlite:///abs/path` and `sqlite://./rel` are accepted for URL habit. */
function sqlitePath(url: string): string {
  let path = url.slice('sqlite:'.length);
  if (path.startsWith('//')) path = path.slice(2);
  if (path === '') throw new SteleError('bad_request', 'index URL sqlite: needs a path, e.g. sqlite:./data/index.db');
  return path;
}

export async function openIndex(url: string): Promise<SearchIndex> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') return createSqliteIndex({ path: sqlitePath(url) });
  throw new SteleError(
    'bad_request',
    `unsupported index URL ${JSON.stringify(stripPassword(url))}: expected one of ${SUPPORTED_INDEX_SCHEMES.join(', ')} (e.g. sqlite:./data/index.db)`,
    { details: { field: 'index', scheme: scheme ?? null } },
  );
}
