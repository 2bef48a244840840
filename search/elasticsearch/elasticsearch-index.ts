// The at-scale SearchIndex adapter: Elasticsearch 8 through @elastic/elasticsearch. Works on a
// core-only node (no analysis-common, reindex, painless or ingest): folding happens in JS, clear()
// re-creates the index, deletes go by id. See search/elasticsearch/README.md.
import { Client, errors } from '@elastic/elasticsearch';
import { describe, SteleError } from '../../core/errors.ts';
import { stripPassword } from '../../core/log.ts';
import type { IndexDocument, QueryNode, RetentionChange, SearchIndex, SearchOptions } from '../port.ts';
import { applyMappings, checkIndexName } from './mappings.ts';
import { search, thread } from './read.ts';
import { createWriter } from './write.ts';

export interface ElasticsearchIndexOptions {
  /** http(s)://[user:password@]host:port of any node; the password never reaches a message. */
  url: string;
  /** Index name; `<index>-meta` holds the watermark. Default 'stele-messages'. */
  index?: string;
  /**
   * true (default): every write forces a refresh, so it is searchable at once. false: a write
   * waits for the next scheduled refresh (`wait_for`, about a second), cheaper under sustained
   * ingest. Either way a document is searchable when add() resolves (the port's contract).
   */
  refresh?: boolean;
}

export const DEFAULT_INDEX = 'stele-messages';

/**
 * Connection failures, overload (429) and server errors are retryable storage errors; any other
 * refusal means we sent something wrong, which retrying cannot fix.
 */
export function toSteleError(what: string, err: unknown, url: string): SteleError {
  if (err instanceof SteleError) return err;
  const message = `search index ${what}: ${stripPassword(describe(err)).replaceAll(url, stripPassword(url))}`;
  const unreachable = err instanceof errors.ConnectionError || err instanceof errors.TimeoutError ||
    err instanceof errors.NoLivingConnectionsError;
  const status = err instanceof errors.ResponseError ? (err.statusCode ?? 0) : 0;
  if (unreachable || status === 429 || status >= 500) return new SteleError('storage_unavailable', message, { cause: err });
  return new SteleError('internal', message, { cause: err });
}

export async function createElasticsearchIndex(opts: ElasticsearchIndexOptions): Promise<SearchIndex> {
  const index = opts.index ?? DEFAULT_INDEX;
  checkIndexName(index);
  const safeUrl = stripPassword(opts.url);
  let client: Client;
  try {
    client = new Client({ node: opts.url });
  } catch {
    throw new SteleError('bad_request', `invalid Elasticsearch URL ${JSON.stringify(safeUrl)}`, { details: { field: 'index' } });
  }
  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toSteleError(what, err, opts.url);
    }
  };
  await guard(`prepare ${index} on ${safeUrl}`, () => applyMappings(client, index)).catch(async (err) => {
    await client.close();
    throw err;
  });

  const writer = createWriter(client, index, opts.refresh === false ? 'wait_for' : true);

  return {
    backend: 'elasticsearch',
    add: (docs: IndexDocument[]) => guard('add', () => writer.add(docs)),
    delete: (ids: string[]) => guard('delete', () => writer.delete(ids)),
    setRetention: (changes: RetentionChange[]) => guard('set retention', () => writer.setRetention(changes)),
    get: (id: string) =>
      guard('get', async () => {
        const res = await client.get<{ doc: IndexDocument }>({ index, id, _source_includes: ['doc'] }, { ignore: [404] });
        return res.found && res._source ? res._source.doc : null;
      }),
    search: (query: QueryNode, options: SearchOptions = {}) => guard('search', () => search(client, index, query, options)),
    thread: (id: string) => guard('thread', () => thread(client, index, id)),
    getWatermark: () => guard('read watermark', () => writer.getWatermark()),
    setWatermark: (seq: number) => guard('write watermark', () => writer.setWatermark(seq)),
    clear: () => guard('clear', () => writer.clear()),
    close: () => guard('close', () => client.close()),
  };
}
