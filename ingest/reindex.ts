// The index is a projection (invariant 7): this rebuilds it from the ledger and the vault
// alone. Used at start-up to catch up on what the index missed, and by `stele reindex`.
import type { SearchIndex, IndexDocument } from '../search/port.ts';
import type { Ledger } from '../vault/ledger/ledger.ts';
import type { LedgerEntry } from '../vault/ledger/chain.ts';
import type { Vault } from '../vault/regions.ts';
import { buildDocument } from './document.ts';
import { parseMessage } from './parse/parse-message.ts';
import type { ParsePool } from './parse/pool.ts';
import { MESSAGE_DUPLICATE, MESSAGE_INGESTED, messageKey } from './pipeline.ts';
import type { Envelope } from './types.ts';

const PAGE = 500;

export interface ReindexOptions {
  ledger: Ledger;
  vault: Vault;
  index: SearchIndex;
  pool?: ParsePool;
  /** Start after this ledger sequence (the index watermark); 0 rebuilds everything. */
  afterSeq: number;
  /** Types of ledger events that remove a message from the index. */
  removedBy?: string[];
  onProgress?: (seq: number, head: number) => void;
}

export async function reindexFromLedger(opts: ReindexOptions): Promise<{ indexed: number; merged: number; removed: number }> {
  const head = opts.ledger.headInfo().seq;
  const removedBy = opts.removedBy ?? [];
  const counts = { indexed: 0, merged: 0, removed: 0 };
  let after = opts.afterSeq;
  for (;;) {
    const entries = opts.ledger.query({ afterSeq: after, limit: PAGE });
    if (entries.length === 0) break;
    for (const e of entries) {
      if (!e.subject) continue;
      if (e.type === MESSAGE_INGESTED && !(await opts.index.get(e.subject))) {
        await opts.index.add([await documentFromVault(opts, e)]);
        counts.indexed++;
      } else if (e.type === MESSAGE_DUPLICATE) {
        if (await mergeEnvelope(opts.index, e.subject, (e.data as { envelope: Envelope }).envelope)) counts.merged++;
      } else if (removedBy.includes(e.type)) {
        await opts.index.delete([e.subject]);
        counts.removed++;
      }
    }
    after = entries[entries.length - 1].seq;
    await opts.index.setWatermark(after);
    opts.onProgress?.(after, head);
  }
  return counts;
}

async function documentFromVault(opts: ReindexOptions, e: LedgerEntry): Promise<IndexDocument> {
  const d = e.data as { sha256: string; size: number; receivedAt: string; category: string; retainUntil: string; holds: string[]; envelope: Envelope; flags: string[] };
  const key = messageKey(d.sha256);
  const raw = await opts.vault.getOpened(key);
  const parsed = opts.pool ? (await opts.pool.run(raw, key)).parsed : await parseMessage(raw);
  return buildDocument(parsed, {
    sha256: d.sha256, size: d.size, receivedAt: e.time, category: d.category, retainUntil: d.retainUntil,
    holds: d.holds ?? [], envelopes: [d.envelope], flags: d.flags.filter((f) => !parsed.flags.includes(f)),
  });
}

/** Adds a further journal copy's envelope recipients to an indexed message. */
export async function mergeEnvelope(index: SearchIndex, id: string, envelope: Envelope): Promise<boolean> {
  const doc = await index.get(id);
  if (!doc) return false;
  const to = new Set(doc.envelopeTo);
  const custodians = new Set(doc.custodians);
  for (const r of envelope.rcptTo) (to.add(r.toLowerCase()), custodians.add(r.toLowerCase()));
  await index.add([{ ...doc, envelopeTo: [...to], custodians: [...custodians] }]);
  return true;
}
