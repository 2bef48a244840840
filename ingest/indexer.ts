// The indexer keeps the search index a projection of the ledger and the vault (invariant 7).
// It tails the ledger from the index's watermark: new messages are parsed in full (in the
// worker pool) and added, further journal copies merge their envelopes, destroyed messages
// leave. Live ingest hands it the raw bytes it just stored so the vault is not read back;
// after a restart, or for `stele reindex`, it reads them from the vault.
import type { Logger } from '../core/log.ts';
import type { IndexDocument, SearchIndex } from '../search/port.ts';
import type { Ledger } from '../vault/ledger/ledger.ts';
import type { LedgerEntry } from '../vault/ledger/chain.ts';
import type { Vault } from '../vault/regions.ts';
import { buildDocument } from './document.ts';
import { parseLeniently, type ParsedMessage } from './parse/parse-message.ts';
import type { WorkerPool } from './parse/pool.ts';
import { MESSAGE_DUPLICATE, MESSAGE_INGESTED, messageKey } from './pipeline.ts';
import type { Envelope } from './types.ts';

const PAGE = 256;
/** Raw bytes kept for the indexer between ack and indexing; past this it reads the vault. */
const MAX_CACHED_BYTES = 64 * 1024 * 1024;
const RETRY_MS = 2_000;
/** While messages are being acknowledged, indexing steps back this long between pages. */
const YIELD_MS = 50;

export interface IndexerDeps {
  ledger: Ledger;
  vault: Vault;
  index: SearchIndex;
  pool: WorkerPool;
  log: Logger;
  /** Ledger event types that remove a message from the index (e.g. its destruction). */
  removedBy: string[];
  /** True while ingest is acknowledging messages: indexing then yields to it. */
  ingestBusy?: () => boolean;
}

interface IngestedData {
  sha256: string;
  size: number;
  category: string;
  retainUntil: string;
  holds?: string[];
  envelope: Envelope;
  flags?: string[];
}

export class Indexer {
  private watermark = -1;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly cache = new Map<string, Buffer>();
  private cachedBytes = 0;
  private waiters: Array<{ seq: number; resolve(): void }> = [];

  constructor(private readonly deps: IndexerDeps) {}

  /** Keeps a just-stored message's bytes for indexing, within a memory bound. */
  remember(sha256: string, raw: Buffer): void {
    if (this.cachedBytes + raw.length > MAX_CACHED_BYTES || this.cache.has(sha256)) return;
    this.cache.set(sha256, raw);
    this.cachedBytes += raw.length;
  }

  /** Something new is on the ledger: index it soon. */
  notify(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.again) (this.again = false), this.notify();
    });
  }

  /** Resolves once every ledger entry that exists now is reflected in the index. */
  async caughtUp(): Promise<void> {
    const target = this.deps.ledger.headInfo().seq;
    if ((await this.currentWatermark()) >= target) return;
    const done = new Promise<void>((resolve) => this.waiters.push({ seq: target, resolve }));
    this.notify();
    await done;
  }

  /** How many ledger entries the index is behind, for health and metrics. */
  async lag(): Promise<number> {
    return Math.max(0, this.deps.ledger.headInfo().seq - (await this.currentWatermark()));
  }

  /** Drops the index and rebuilds it from the whole ledger (`stele reindex`). */
  async rebuild(onProgress?: (seq: number, head: number) => void): Promise<{ indexed: number }> {
    await this.deps.index.clear();
    this.watermark = 0;
    let indexed = 0;
    const head = this.deps.ledger.headInfo().seq;
    for (;;) {
      const page = this.deps.ledger.query({ afterSeq: this.watermark, limit: PAGE });
      if (page.length === 0) return { indexed };
      indexed += await this.apply(page);
      onProgress?.(this.watermark, head);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    while (this.running) await this.running;
  }

  private async currentWatermark(): Promise<number> {
    if (this.watermark < 0) this.watermark = await this.deps.index.getWatermark();
    return this.watermark;
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        if (this.deps.ingestBusy?.()) await new Promise((r) => setTimeout(r, YIELD_MS));
        const page = this.deps.ledger.query({ afterSeq: await this.currentWatermark(), limit: PAGE });
        if (page.length === 0) break;
        await this.apply(page);
        this.resolveWaiters();
      }
    } catch (err) {
      // The watermark did not move: the same entries are tried again, nothing is skipped.
      this.deps.log.error('indexing failed; retrying', { err });
      if (!this.closed) this.retryTimer = setTimeout(() => this.notify(), RETRY_MS);
      return;
    }
    this.resolveWaiters();
  }

  private resolveWaiters(): void {
    this.waiters = this.waiters.filter((w) => (w.seq <= this.watermark ? (w.resolve(), false) : true));
  }

  /** Applies one page of ledger entries in order; returns how many messages were added. */
  private async apply(entries: LedgerEntry[]): Promise<number> {
    const docs = await Promise.all(entries.map((e) => (e.type === MESSAGE_INGESTED && e.subject ? this.documentFor(e) : null)));
    let batch: IndexDocument[] = [];
    const flush = async () => {
      if (batch.length) await this.deps.index.add(batch);
      batch = [];
    };
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (docs[i]) batch.push(docs[i]!);
      else if (e.type === MESSAGE_DUPLICATE && e.subject) {
        await flush();
        await mergeEnvelope(this.deps.index, e.subject, (e.data as { envelope: Envelope }).envelope);
      } else if (this.deps.removedBy.includes(e.type) && e.subject) {
        await flush();
        await this.deps.index.delete([e.subject]);
      }
    }
    await flush();
    this.watermark = entries[entries.length - 1].seq;
    await this.deps.index.setWatermark(this.watermark);
    for (const d of docs) if (d) this.forget(d.sha256);
    return docs.filter(Boolean).length;
  }

  private async documentFor(e: LedgerEntry): Promise<IndexDocument> {
    const d = e.data as unknown as IngestedData;
    const raw = this.cache.get(d.sha256) ?? (await this.deps.vault.getOpened(messageKey(d.sha256)));
    let parsed: ParsedMessage;
    try {
      parsed = await this.deps.pool.parse(raw);
    } catch (err) {
      this.deps.log.warn('parser failed; indexing what could be read', { id: d.sha256, err });
      parsed = parseLeniently(raw, 'unparsed');
    }
    return buildDocument(parsed, {
      sha256: d.sha256, size: d.size, receivedAt: e.time, category: d.category, retainUntil: d.retainUntil,
      holds: d.holds ?? [], envelopes: [d.envelope], flags: d.flags,
    });
  }

  private forget(sha256: string): void {
    const raw = this.cache.get(sha256);
    if (raw) (this.cache.delete(sha256), (this.cachedBytes -= raw.length));
  }
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
