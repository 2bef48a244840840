// The embedded SearchIndex adapter: SQLite FTS5 through better-sqlite3, one database file
// (or ':memory:'). Calls are synchronous underneath; the port is async so that the
// Elasticsearch adapter fits the same shape.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SteleError, storageError } from '../../core/errors.ts';
import type { IndexDocument, QueryNode, RetentionChange, SearchIndex, SearchOptions } from '../port.ts';
import { search, thread } from './read.ts';
import { createRetentionWriter } from './retention.ts';
import { applySchema } from './schema.ts';
import { createWriter } from './write.ts';

export interface SqliteIndexOptions {
  /** A file path, or ':memory:' for tests. Parent directories are created. */
  path: string;
}

export async function createSqliteIndex(opts: SqliteIndexOptions): Promise<SearchIndex> {
  const path = opts.path;
  let db: Database.Database;
  try {
    if (path !== ':memory:' && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
  } catch (err) {
    throw storageError(`open search index ${path}`, err);
  }
  try {
    applySchema(db, path);
  } catch (err) {
    db.close();
    throw storageError(`prepare search index ${path}`, err);
  }
  const writer = createWriter(db);
  const setRetention = createRetentionWriter(db);
  const getDoc = db.prepare('SELECT doc FROM docs WHERE id = ?');
  const getMeta = db.prepare('SELECT value FROM meta WHERE key = ?');
  const setMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');

  /** SteleErrors pass through; a SQLite failure (busy, disk full, closed) becomes a retryable storage error. */
  const guard = async <T>(what: string, fn: () => T): Promise<T> => {
    try {
      return fn();
    } catch (err) {
      throw storageError(`search index ${what}`, err);
    }
  };

  return {
    backend: 'sqlite',
    add: (docs: IndexDocument[]) => guard('add', () => writer.add(docs)),
    delete: (ids: string[]) => guard('delete', () => writer.delete(ids)),
    setRetention: (changes: RetentionChange[]) => guard('set retention', () => setRetention(changes)),
    get: (id: string) =>
      guard('get', () => {
        const row = getDoc.get(id) as { doc: string } | undefined;
        return row ? (JSON.parse(row.doc) as IndexDocument) : null;
      }),
    search: (query: QueryNode, options: SearchOptions = {}) => guard('search', () => search(db, query, options)),
    thread: (id: string) => guard('thread', () => thread(db, id)),
    getWatermark: () =>
      guard('read watermark', () => Number((getMeta.get('watermark') as { value: string } | undefined)?.value ?? 0)),
    setWatermark: (seq: number) =>
      guard('write watermark', () => {
        if (!Number.isSafeInteger(seq) || seq < 0) {
          throw new SteleError('bad_request', 'watermark must be a non-negative integer', { details: { seq } });
        }
        setMeta.run('watermark', String(seq));
      }),
    clear: () => guard('clear', () => writer.clear()),
    close: () => guard('close', () => void db.close()),
  };
}
