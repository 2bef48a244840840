// The Elasticsearch index layout: an index template (so an index re-created by clear(), or
// auto-created by a stray write, always gets these mappings) plus the index itself, applied at
// every start-up and safe to re-run. An index with another schema version is refused with a
// pointer to `stele reindex` (the index is a projection, invariant 7).
import type { Client } from '@elastic/elasticsearch';
import type { estypes } from '@elastic/elasticsearch';
import { SteleError } from '../../core/errors.ts';
import { ROLES, TEXT_COLUMNS } from './document.ts';

type IndicesIndexSettings = estypes.IndicesIndexSettings;
type MappingTypeMapping = estypes.MappingTypeMapping;

export const SCHEMA_VERSION = '1';

/**
 * Folding and splitting happen in JS (search/elasticsearch/text.ts): the node may lack
 * analysis-common, so the only analyzer we can rely on is the built-in `whitespace` one.
 * Offsets in the postings make the unified highlighter exact and cheap on long bodies.
 */
const TEXT = { type: 'text', analyzer: 'whitespace', index_options: 'offsets' } as const;
const KEYWORD = { type: 'keyword' } as const;

const MAPPINGS: MappingTypeMapping = {
  // A field we did not declare is a bug in document.ts, not something to guess a type for.
  dynamic: 'strict',
  _meta: { schema: SCHEMA_VERSION },
  properties: {
    id: KEYWORD,
    date: { type: 'date', format: 'epoch_millis' },
    year: { type: 'integer' },
    size: { type: 'long' },
    // Facets show the category as written; queries match it case-insensitively (`lc`).
    category: { type: 'keyword', fields: { lc: { type: 'keyword', normalizer: 'stele_lowercase' } } },
    att_count: { type: 'integer' },
    flags: KEYWORD,
    custodians: KEYWORD,
    holds: KEYWORD,
    message_id: KEYWORD,
    links: KEYWORD,
    from_domain: KEYWORD,
    addr: { properties: Object.fromEntries(ROLES.map((r) => [r, KEYWORD])) },
    dom: { properties: Object.fromEntries(ROLES.map((r) => [r, KEYWORD])) },
    t: { properties: Object.fromEntries(TEXT_COLUMNS.map((c) => [c, TEXT])) },
    // The original document, returned by get() and used to show snippets in the original spelling.
    doc: { type: 'object', enabled: false },
  },
};

const SETTINGS: IndicesIndexSettings = {
  // One shard: relevance scores and facet counts are exact, and search_after pages stay stable.
  number_of_shards: 1,
  // A replica where there is a second node, none on a single test node (so health is green).
  auto_expand_replicas: '0-1',
  analysis: { normalizer: { stele_lowercase: { type: 'custom', filter: ['lowercase'] } } },
};

const META_MAPPINGS: MappingTypeMapping = { dynamic: 'strict', properties: { seq: { type: 'long' } } };

export const metaIndexName = (index: string) => `${index}-meta`;

/** Lower-case letters, digits and . _ - as Elasticsearch requires; not starting with - _ +. */
export function checkIndexName(index: string): void {
  if (!/^[a-z0-9][a-z0-9._-]{0,200}$/.test(index) || index === '.' || index === '..') {
    throw new SteleError('bad_request', `invalid Elasticsearch index name ${JSON.stringify(index)}: use a-z, 0-9, '.', '_', '-'`, {
      details: { field: 'index' },
    });
  }
}

const isAlreadyExists = (err: unknown) =>
  (err as { body?: { error?: { type?: string } } })?.body?.error?.type === 'resource_already_exists_exception';

/** Creates an index unless it exists (two Stele processes starting at once both succeed). */
async function createIfMissing(client: Client, index: string, body: { mappings?: MappingTypeMapping; settings?: IndicesIndexSettings }) {
  if (await client.indices.exists({ index })) return false;
  try {
    await client.indices.create({ index, ...body });
    return true;
  } catch (err) {
    if (isAlreadyExists(err)) return false;
    throw err;
  }
}

export async function applyMappings(client: Client, index: string): Promise<void> {
  await client.indices.putIndexTemplate({
    name: index,
    index_patterns: [index],
    priority: 200,
    template: { settings: SETTINGS, mappings: MAPPINGS },
    _meta: { owner: 'stele', schema: SCHEMA_VERSION },
  });
  const created = await createIfMissing(client, index, {});
  if (!created) await checkSchema(client, index);
  await createIfMissing(client, metaIndexName(index), { mappings: META_MAPPINGS, settings: { number_of_shards: 1, auto_expand_replicas: '0-1' } });
}

async function checkSchema(client: Client, index: string): Promise<void> {
  const res = await client.indices.getMapping({ index });
  const found = Object.values(res)[0]?.mappings?._meta?.schema;
  if (found !== SCHEMA_VERSION) {
    throw new SteleError(
      'conflict',
      `Elasticsearch index ${index} has schema ${String(found)}, this version needs ${SCHEMA_VERSION}: delete it and run stele reindex`,
    );
  }
}

/** Drops the index and lets the template re-create it empty (no delete-by-query on core-only nodes). */
export async function recreateIndex(client: Client, index: string): Promise<void> {
  await client.indices.delete({ index }, { ignore: [404] });
  await createIfMissing(client, index, {});
}
