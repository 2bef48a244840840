// The indexer keeps the search index a projection of the ledger and the vault (invariant 7).
// It tails the ledger from the index's watermark: new messages are parsed in full (in the
// worker pool) and added, further journal copies merge their envelopes, destroyed messages
// leave. Live ingest hands it the raw bytes it just stored so the vault is not read back;
// after a restart, or for `stele reindex`, it reads them from the vault (opened in a worker).
//
// Parsing runs ahead of writing: a bounded window of messages is read and parsed in ledger
// order while the main thread writes the batch before it, so the workers never wait for
// add() and add() rarely waits for the slowest message of a page.
import { isSteleError } from '../core/errors.ts';
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

/** Ledger entries read per query. */
const PAGE = 256;
/** Raw bytes kept for the indexer between ack and indexing; past this it reads the vault. */
const MAX_CACHED_BYTES = 64 * 1024 * 1024;
const RETRY_MS = 2_000;
/** While messages are being acknowledged, indexing steps back this long every PAGE documents. */
const YIELD_MS = 50;
/**
 * Messages read and parsed ahead of the writer, per parse worker: enough that a worker that
 * finishes finds its next message queued while the main thread is busy in add().
 */
const AHEAD_PER_WORKER = 4;
/** Raw bytes read ahead of the writer at most (one message is always allowed, however big). */
const MAX_AHEAD_BYTES = 64 * 1024 * 1024;
/**
 * Documents per add(). A batch is written at MAX_BATCH, or at MIN_BATCH when the next message
 * is still being parsed (the writer would wait anyway). FTS5 turns each transaction into a new
 * segment, so batches much smaller than this cost more merging later.
 */
const MAX_BATCH = 128;
const MIN_BATCH = 32;

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
  /**
   * The retention catalog's current state of a message (Retention.recordOf), null when not
   * catalogued yet. Holds and extensions placed after ingest are not in message.ingested:
   * without this a reindex, or indexing that trails a release, would bring back the old state.
   */
  retentionOf?: (sha256: string) => { category: string; retainUntil: string; holds: readonly string[] } | null;
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

/** One ledger entry on its way to the index; `doc` is set for messages to add. */
interface Pending {
  entry: LedgerEntry;
  doc: Promise<IndexDocument> | null;
  settled: boolean;
  bytes: number;
}

/**
 * Reads ledger entries in order and starts each message's document (vault read, parse) as soon
 * as it enters the window; the window is bounded in messages and in raw bytes, so memory stays
 * flat however far behind the index is.
 */
class ReadAhead {
  private readonly queue: Pending[] = [];
  private page: LedgerEntry[] = [];
  private end = false;
  private inFlight = 0;
  private inFlightBytes = 0;

  constructor(
    private readonly ledger: Ledger,
    private afterSeq: number,
    private readonly window: number,
    private readonly start: (e: LedgerEntry) => { doc: Promise<IndexDocument>; bytes: number } | null,
  ) {}

  /** The next entry in ledger order without taking it; undefined once the ledger is read to its end. */
  peek(): Pending | undefined {
    this.fill();
    return this.queue[0];
  }

  take(): Pending {
    const p = this.queue.shift()!;
    if (p.doc) (this.inFlight--, (this.inFlightBytes -= p.bytes));
    this.fill();
    return p;
  }

  private fill(): void {
    while (this.inFlight < this.window && (this.inFlightBytes < MAX_AHEAD_BYTES || this.inFlight === 0) && this.queue.length < PAGE * 2) {
      if (this.page.length === 0) {
        if (this.end) return;
        this.page = this.ledger.query({ afterSeq: this.afterSeq, limit: PAGE });
        if (this.page.length === 0) return void (this.end = true);
        this.afterSeq = this.page[this.page.length - 1].seq;
      }
      const entry = this.page.shift()!;
      const started = this.start(entry);
      const p: Pending = { entry, doc: started?.doc ?? null, settled: !started, bytes: started?.bytes ?? 0 };
      // Settling marks the promise handled too: if the writer stops at an earlier failure, a later
      // rejection is not an unhandled one.
      p.doc?.then(() => (p.settled = true), () => (p.settled = true));
      if (p.doc) (this.inFlight++, (this.inFlightBytes += p.bytes));
      this.queue.push(p);
    }
  }
}

export class Indexer {
  private watermark = -1;
  private running: Promise<unknown> | null = null;
  private again = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly cache = new Map<string, Buffer>();
  private cachedBytes = 0;
  private waiters: Array<{ seq: number; resolve(): void }> = [];
  private catalogWarned = false;

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
    this.running = this.drain().finally(() => this.settle());
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
    while (this.running) await this.running; // a catch-up in progress must not write into the new index
    const head = this.deps.ledger.headInfo().seq;
    const run = (async () => {
      await this.deps.index.clear();
      this.watermark = 0;
      return this.pump((seq) => onProgress?.(seq, head));
    })();
    this.running = run.then(() => undefined, () => undefined).finally(() => this.settle());
    return { indexed: await run };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    while (this.running) await this.running;
  }

  private settle(): void {
    this.running = null;
    if (this.again) (this.again = false), this.notify();
  }

  private async currentWatermark(): Promise<number> {
    if (this.watermark < 0) this.watermark = await this.deps.index.getWatermark();
    return this.watermark;
  }

  private async drain(): Promise<void> {
    try {
      await this.pump();
    } catch (err) {
      // The watermark did not move past what failed: the same entries are tried again, nothing is skipped.
      this.deps.log.error('indexing failed; retrying', { err });
      if (!this.closed) this.retryTimer = setTimeout(() => this.notify(), RETRY_MS);
      return;
    }
    this.resolveWaiters();
  }

  private resolveWaiters(): void {
    this.waiters = this.waiters.filter((w) => (w.seq <= this.watermark ? (w.resolve(), false) : true));
  }

  /**
   * Read right before add(): on SQLite nothing can interleave between this read and the write.
   * At shutdown the catalog closes before the indexer finishes its last pass (its jobs wait on the
   * indexer); the ingest-time state then stands, which is what the ledger says for new mail.
   */
  private withRetention(doc: IndexDocument): IndexDocument {
    let r: ReturnType<NonNullable<IndexerDeps['retentionOf']>> = null;
    try {
      r = this.deps.retentionOf?.(doc.sha256) ?? null;
    } catch (err) {
      if (!this.catalogWarned) this.deps.log.warn('retention catalog unavailable; indexing the ingest-time retention state', { id: doc.sha256, err });
      this.catalogWarned = true;
    }
    return r ? { ...doc, category: r.category, retainUntil: r.retainUntil, holds: [...r.holds] } : doc;
  }

  /**
   * Applies the ledger from the watermark to its end, in order; returns how many messages were
   * added. The watermark moves only past entries whose effect is committed to the index.
   */
  private async pump(onProgress?: (seq: number) => void): Promise<number> {
    const ahead = new ReadAhead(this.deps.ledger, await this.currentWatermark(), Math.max(1, this.deps.pool.size) * AHEAD_PER_WORKER, (e) => this.start(e));
    let batch: IndexDocument[] = [];
    let through = this.watermark; // the last entry taken; its effect is committed once batch is
    let indexed = 0;
    let sinceYield = 0;
    const flush = async () => {
      if (batch.length) await this.deps.index.add(batch.map((d) => this.withRetention(d)));
      if (through > this.watermark) await this.deps.index.setWatermark(through);
      this.watermark = through;
      for (const d of batch) this.forget(d.sha256);
      indexed += batch.length;
      sinceYield += batch.length;
      batch = [];
      this.resolveWaiters();
      onProgress?.(through);
      if (sinceYield >= PAGE && this.deps.ingestBusy?.()) (sinceYield = 0), await new Promise((r) => setTimeout(r, YIELD_MS));
    };
    for (;;) {
      const next = ahead.peek();
      const full = batch.length >= MAX_BATCH || (next !== undefined && !next.settled && batch.length >= MIN_BATCH);
      if (!next || full || through - this.watermark >= PAGE) {
        if (batch.length || through > this.watermark) await flush();
        if (!next) return indexed;
      }
      const { entry: e, doc } = ahead.take();
      if (doc) batch.push(await doc);
      else if (e.type === MESSAGE_DUPLICATE && e.subject) {
        await flush();
        await mergeEnvelope(this.deps.index, e.subject, (e.data as { envelope: Envelope }).envelope);
      } else if (this.deps.removedBy.includes(e.type) && e.subject) {
        await flush();
        await this.deps.index.delete([e.subject]);
      }
      through = e.seq;
    }
  }

  /** Starts reading and parsing a message entry's document; null for every other entry. */
  private start(e: LedgerEntry): { doc: Promise<IndexDocument>; bytes: number } | null {
    if (e.type !== MESSAGE_INGESTED || !e.subject) return null;
    return { doc: this.documentFor(e), bytes: (e.data as unknown as IngestedData).size ?? 0 };
  }

  private async documentFor(e: LedgerEntry): Promise<IndexDocument> {
    const d = e.data as unknown as IngestedData;
    return buildDocument(await this.parsedMessage(d.sha256), {
      sha256: d.sha256, size: d.size, receivedAt: e.time, category: d.category, retainUntil: d.retainUntil,
      holds: d.holds ?? [], envelopes: [d.envelope], flags: d.flags,
    });
  }

  /**
   * The message parsed: from the bytes ingest kept, or else opened and parsed in a worker straight
   * from the first region's sealed copy, so the main thread only reads the file. A copy that cannot
   * be read or opened takes the vault's own path, which falls back to the other region and reports
   * the faulty one.
   */
  private async parsedMessage(sha256: string): Promise<ParsedMessage> {
    const cached = this.cache.get(sha256);
    if (cached) return this.parseOrLenient(cached, sha256);
    const key = messageKey(sha256);
    const sealed = await this.deps.vault.regions[0].get(key).catch(() => null);
    if (sealed) {
      try {
        return await this.deps.pool.openAndParse(sealed, key);
      } catch (err) {
        if (!isSteleError(err, 'integrity')) return this.lenient(await this.deps.vault.getOpened(key), sha256, err);
      }
    }
    return this.parseOrLenient(await this.deps.vault.getOpened(key), sha256);
  }

  private async parseOrLenient(raw: Buffer, sha256: string): Promise<ParsedMessage> {
    try {
      return await this.deps.pool.parse(raw);
    } catch (err) {
      return this.lenient(raw, sha256, err);
    }
  }

  private lenient(raw: Buffer, sha256: string, err: unknown): ParsedMessage {
    this.deps.log.warn('parser failed; indexing what could be read', { id: sha256, err });
    return parseLeniently(raw, 'unparsed');
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
