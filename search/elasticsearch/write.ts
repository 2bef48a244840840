// The write side of the Elasticsearch index: validated bulk upserts and deletes by id, the
// watermark document, and clear(). Bulk requests are not atomic, so validation comes first.
import type { Client, estypes } from '@elastic/elasticsearch';
import { SteleError } from '../../core/errors.ts';
import type { IndexDocument, RetentionChange } from '../port.ts';
import { validateRetentionChanges } from '../retention-change.ts';
import { retentionPatch, toEsDocument, validateDocument, type EsDocument, type EsRetentionPatch } from './document.ts';
import { metaIndexName, recreateIndex } from './mappings.ts';

/** Documents per bulk request: keeps one request well under http.max_content_length (100 MB). */
const BULK_DOCS = 500;
const WATERMARK_ID = 'watermark';
/** A concurrent write to the same document makes an update retry on the fresh version. */
const RETRY_ON_CONFLICT = 3;

export interface Writer {
  add(docs: IndexDocument[]): Promise<void>;
  delete(ids: string[]): Promise<void>;
  setRetention(changes: RetentionChange[]): Promise<void>;
  getWatermark(): Promise<number>;
  setWatermark(seq: number): Promise<void>;
  clear(): Promise<void>;
}

/** A partial update of a document that is not in the index (port: unknown ids are ignored). */
const isMissing = (op: estypes.BulkResponseItem) => op.status === 404 && op.error?.type === 'document_missing_exception';

function firstBulkError(res: estypes.BulkResponse): { status: number; reason: string } | null {
  if (!res.errors) return null;
  for (const item of res.items) {
    const op = Object.values(item)[0];
    if (op?.error && !isMissing(op)) return { status: op.status, reason: `${op.error.type}: ${op.error.reason ?? ''} (id ${op._id ?? '?'})` };
  }
  return null;
}

export function createWriter(client: Client, index: string, refresh: true | 'wait_for'): Writer {
  type Operation = estypes.BulkOperationContainer | estypes.BulkUpdateAction<EsDocument, EsRetentionPatch> | EsDocument;
  async function bulk(operations: Operation[]): Promise<void> {
    const res = await client.bulk({ operations, refresh });
    const failed = firstBulkError(res);
    if (failed) {
      // Overload or a sick node is worth a retry (add is idempotent); anything else is our bug.
      throw new SteleError(failed.status === 429 || failed.status >= 500 ? 'storage_unavailable' : 'internal',
        `search index bulk write: ${failed.reason}`);
    }
  }
  const setSeq = (seq: number) => client.index({ index: metaIndexName(index), id: WATERMARK_ID, document: { seq } });

  return {
    async add(docs) {
      // Validate the whole batch first: an invalid document must write none of it.
      const prepared = docs.map((d) => toEsDocument(d, validateDocument(d)));
      for (let i = 0; i < prepared.length; i += BULK_DOCS) {
        await bulk(prepared.slice(i, i + BULK_DOCS).flatMap((d) => [{ index: { _index: index, _id: d.id } }, d]));
      }
    },
    async delete(ids) {
      // A missing id answers 404 "not_found" without an error: unknown ids are ignored.
      for (let i = 0; i < ids.length; i += BULK_DOCS) {
        await bulk(ids.slice(i, i + BULK_DOCS).map((id) => ({ delete: { _index: index, _id: id } })));
      }
    },
    async setRetention(changes) {
      validateRetentionChanges(changes);
      // Partial updates merge into _source (the kept `doc` object too) without a script, which a
      // core-only node lacks; retry_on_conflict covers an add() of the same id racing this one.
      for (let i = 0; i < changes.length; i += BULK_DOCS) {
        await bulk(changes.slice(i, i + BULK_DOCS).flatMap((c) => [
          { update: { _index: index, _id: c.id, retry_on_conflict: RETRY_ON_CONFLICT } },
          { doc: retentionPatch(c) },
        ]));
      }
    },
    async getWatermark() {
      const res = await client.get<{ seq: number }>({ index: metaIndexName(index), id: WATERMARK_ID }, { ignore: [404] });
      return res.found ? Number(res._source?.seq ?? 0) : 0;
    },
    async setWatermark(seq) {
      if (!Number.isSafeInteger(seq) || seq < 0) {
        throw new SteleError('bad_request', 'watermark must be a non-negative integer', { details: { seq } });
      }
      await setSeq(seq); // get() is real-time, so the watermark needs no refresh to be read back
    },
    async clear() {
      await recreateIndex(client, index);
      await setSeq(0);
    },
  };
}
