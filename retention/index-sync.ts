// Keeps the search index's copy of each message's retention state (holds, category,
// retain-until) in step with the catalog, which is its source of truth. Every catalog change
// queues the message in the index_sync outbox in the same transaction; this sends the queue to
// the index in batches (SearchIndex.setRetention) and empties it. A failed send stays queued
// and is sent again by the next change or the sweep, so the index is never left behind for good.
import type { RetentionChange } from '../search/port.ts';
import type { RetentionContext } from './context.ts';
import type { MessageRow } from './model.ts';
import type { RetentionStore } from './sqlite/store.ts';

/** Messages per setRetention call: one bulk request (Elasticsearch) or one transaction (SQLite). */
export const INDEX_SYNC_BATCH = 500;

/** What the catalog says about one message's retention now. */
export interface RetentionRecord {
  category: string;
  retainUntil: string;
  /** Ids of every hold covering it, active ones only (a released hold is unlinked). */
  holds: string[];
  status: MessageRow['status'];
}

/** Null when the catalog has not catalogued the message (yet): callers fall back to what the index has. */
export function retentionRecord(store: RetentionStore, sha256: string): RetentionRecord | null {
  const m = store.message(sha256);
  if (!m) return null;
  return { category: m.category, retainUntil: m.retainUntil, holds: store.holdsOf(sha256), status: m.status };
}

/** The change that makes the index agree with the catalog; null for destroyed mail (gone from the index). */
function changeFor(store: RetentionStore, sha256: string): RetentionChange | null {
  const m = store.message(sha256);
  if (m?.status === 'destroyed') return null;
  const holds = store.holdsOf(sha256);
  // Not catalogued yet (the projection lags the ledger): the holds are known, the rest is left as indexed.
  return m ? { id: sha256, holds, category: m.category, retainUntil: m.retainUntil } : { id: sha256, holds };
}

/** One send at a time per catalog, so an older state can never overwrite a newer one in the index. */
const sending = new WeakMap<RetentionStore, Promise<unknown>>();

/**
 * Sends everything queued to the index. Never throws: retention decisions are already durable
 * in the catalog and on the ledger, so an index failure is logged and retried later rather than
 * turning a placed hold into an error. Returns how many messages were sent.
 */
export function syncIndex(ctx: RetentionContext): Promise<number> {
  const previous = sending.get(ctx.store) ?? Promise.resolve();
  const run = previous.then(() => drain(ctx)).catch((err: unknown) => {
    ctx.log.error('retention state not yet in the search index; will retry', { pending: ctx.store.indexSyncPending(), err });
    return 0;
  });
  sending.set(ctx.store, run);
  return run;
}

async function drain(ctx: RetentionContext): Promise<number> {
  let sent = 0;
  for (;;) {
    const entries = ctx.store.indexSyncQueue(INDEX_SYNC_BATCH);
    if (entries.length === 0) return sent;
    const changes = entries.map((e) => changeFor(ctx.store, e.sha256)).filter((c): c is RetentionChange => c !== null);
    if (changes.length) await ctx.index.setRetention(changes);
    ctx.store.indexSynced(entries);
    sent += changes.length;
  }
}
