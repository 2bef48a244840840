// The ingest pipeline every receiver and importer feeds: hash -> dedup -> read headers ->
// classify -> seal -> vault (every region) -> ledger -> acknowledge. A caller may acknowledge
// the sender only when ingest() resolves (invariant 1). Full parsing and indexing follow at
// once, off this path, in the Indexer (docs/adr/0002): ack waits on durability, not on search.
import { createHash } from 'node:crypto';
import { SteleError } from '../core/errors.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import type { Logger } from '../core/log.ts';
import type { Ledger } from '../vault/ledger/ledger.ts';
import type { Vault } from '../vault/regions.ts';
import type { IngestMetrics } from './metrics.ts';
import { readSummary } from './parse/headers.ts';
import type { WorkerPool } from './parse/pool.ts';
import { ReceiveBudget } from './read-capped.ts';
import type { Classify, IngestRequest, IngestResult } from './types.ts';

import { MESSAGE_DUPLICATE, MESSAGE_INGESTED, messageKey } from '../vault/messages.ts';

export { MESSAGE_DUPLICATE, MESSAGE_INGESTED, messageKey };

/**
 * Small messages seal inline (cheaper than the hand-off); larger ones go to a worker, so the
 * event loop that speaks SMTP and waits on fsyncs stays free and the second core does the work.
 */
const SEAL_INLINE_MAX_BYTES = 32 * 1024;

export interface PipelineDeps {
  vault: Vault;
  ledger: Ledger;
  pool: WorkerPool;
  classify: Classify;
  metrics: IngestMetrics;
  log: Logger;
  maxMessageBytes: number;
  /** Bytes all receivers may hold at once (default: 4 messages of the largest size, at least 256 MiB). */
  receiveBufferBytes?: number;
  /** Called once a message (or a further copy) is on the ledger: the indexer takes it from here. */
  afterCommit(sha256: string, raw: Buffer | null): void;
  clock?: Clock;
}

export class IngestPipeline {
  private readonly inflight = new Map<string, Promise<IngestResult>>();

  /** Messages between receipt and acknowledgement right now. */
  get busy(): boolean {
    return this.inflight.size > 0;
  }
  private readonly clock: Clock;
  /** Shared by the SMTP and HTTP receivers (ingest/read-capped.ts says why). */
  readonly receiveBudget: ReceiveBudget;

  constructor(private readonly deps: PipelineDeps) {
    this.clock = deps.clock ?? systemClock;
    this.receiveBudget = new ReceiveBudget(deps.receiveBufferBytes ?? Math.max(256 * 1024 * 1024, 4 * deps.maxMessageBytes));
  }

  async ingest(req: IngestRequest): Promise<IngestResult> {
    const started = process.hrtime.bigint();
    if (req.raw.length > this.deps.maxMessageBytes) {
      this.deps.metrics.refused.inc({ reason: 'too_large' });
      throw new SteleError('too_large', `message of ${req.raw.length} bytes is over the ${this.deps.maxMessageBytes}-byte limit`);
    }
    const sha256 = createHash('sha256').update(req.raw).digest('hex');
    // Copies of one message arriving together are archived once; the others become duplicates.
    for (let prior = this.inflight.get(sha256); prior; prior = this.inflight.get(sha256)) await prior.catch(() => {});
    const work = this.ingestOnce(sha256, req);
    this.inflight.set(sha256, work);
    try {
      const result = await work;
      this.deps.metrics.observe(req, result, started);
      return result;
    } catch (err) {
      this.deps.metrics.failed.inc({ source: req.source });
      throw err;
    } finally {
      this.inflight.delete(sha256);
    }
  }

  private async ingestOnce(sha256: string, req: IngestRequest): Promise<IngestResult> {
    if (this.deps.ledger.first(MESSAGE_INGESTED, sha256)) return this.recordDuplicate(sha256, req);
    const key = messageKey(sha256);
    const summary = readSummary(req.raw);
    const receivedAt = this.clock.now();
    const c = await this.deps.classify(summary, { receivedAt, envelope: req.envelope, size: req.raw.length });
    const sealed = req.raw.length > SEAL_INLINE_MAX_BYTES ? await this.deps.pool.seal(req.raw, key) : this.deps.vault.seal(key, req.raw);
    await this.deps.vault.putAll(key, sealed, { retainUntil: c.retainUntil, legalHold: c.holds.length > 0 });
    await this.deps.ledger.append({
      type: MESSAGE_INGESTED,
      actor: req.actor,
      subject: sha256,
      data: {
        sha256, size: req.raw.length, source: req.source, envelope: req.envelope,
        receivedAt: receivedAt.toISOString(), category: c.category, rule: c.rule,
        retainUntil: c.retainUntil.toISOString(), holds: c.holds, flags: summary.flags,
        messageId: summary.messageId,
      },
    });
    this.deps.afterCommit(sha256, req.raw);
    return { id: sha256, sha256, duplicate: false };
  }

  private async recordDuplicate(sha256: string, req: IngestRequest): Promise<IngestResult> {
    await this.deps.ledger.append({
      type: MESSAGE_DUPLICATE,
      actor: req.actor,
      subject: sha256,
      data: { sha256, source: req.source, envelope: req.envelope, receivedAt: this.clock.now().toISOString() },
    });
    this.deps.afterCommit(sha256, null);
    return { id: sha256, sha256, duplicate: true };
  }
}
