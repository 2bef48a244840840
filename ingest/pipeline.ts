// The ingest pipeline every receiver and importer feeds: hash -> dedup -> parse + seal (in a
// worker) -> classify -> vault (every region) -> ledger -> index -> acknowledge. A caller may
// acknowledge the sender only when ingest() resolves (invariant 1).
import { createHash } from 'node:crypto';
import { SteleError } from '../core/errors.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import type { Logger } from '../core/log.ts';
import type { Ledger } from '../vault/ledger/ledger.ts';
import type { Vault } from '../vault/regions.ts';
import { buildDocument } from './document.ts';
import type { IngestMetrics } from './metrics.ts';
import { parseLeniently, type ParsedMessage } from './parse/parse-message.ts';
import type { ParsePool } from './parse/pool.ts';
import type { ArchiveHooks, Classify, IngestRequest, IngestResult } from './types.ts';

export const MESSAGE_INGESTED = 'message.ingested';
export const MESSAGE_DUPLICATE = 'message.duplicate';

export const messageKey = (sha256: string) => `messages/${sha256.slice(0, 2)}/${sha256}`;

export interface PipelineDeps {
  vault: Vault;
  ledger: Ledger;
  pool: ParsePool;
  classify: Classify;
  hooks: ArchiveHooks;
  metrics: IngestMetrics;
  log: Logger;
  maxMessageBytes: number;
  clock?: Clock;
}

export class IngestPipeline {
  private readonly inflight = new Map<string, Promise<IngestResult>>();
  private readonly clock: Clock;

  constructor(private readonly deps: PipelineDeps) {
    this.clock = deps.clock ?? systemClock;
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
    const { parsed, sealed, extraFlags } = await this.parseAndSeal(req.raw, key);
    const receivedAt = this.clock.now();
    const c = await this.deps.classify(parsed, { receivedAt, envelope: req.envelope, size: req.raw.length });
    await this.deps.vault.putAll(key, sealed, { retainUntil: c.retainUntil, legalHold: c.holds.length > 0 });
    const flags = [...new Set([...parsed.flags, ...extraFlags])];
    const entry = await this.deps.ledger.append({
      type: MESSAGE_INGESTED,
      actor: req.actor,
      subject: sha256,
      data: {
        sha256, size: req.raw.length, source: req.source, envelope: req.envelope,
        receivedAt: receivedAt.toISOString(), category: c.category, rule: c.rule,
        retainUntil: c.retainUntil.toISOString(), holds: c.holds, flags,
      },
    });
    const doc = buildDocument(parsed, {
      sha256, size: req.raw.length, receivedAt: entry.time, category: c.category,
      retainUntil: c.retainUntil.toISOString(), holds: c.holds, envelopes: [req.envelope], flags: extraFlags,
    });
    // The message is durable now; an index failure is caught up later, never un-acks it.
    await this.deps.hooks.onArchived(doc).catch((err) => this.indexLag(sha256, err));
    return { id: sha256, sha256, duplicate: false };
  }

  private async recordDuplicate(sha256: string, req: IngestRequest): Promise<IngestResult> {
    await this.deps.ledger.append({
      type: MESSAGE_DUPLICATE,
      actor: req.actor,
      subject: sha256,
      data: { sha256, source: req.source, envelope: req.envelope, receivedAt: this.clock.now().toISOString() },
    });
    await this.deps.hooks.onDuplicate(sha256, req.envelope).catch((err) => this.indexLag(sha256, err));
    return { id: sha256, sha256, duplicate: true };
  }

  /** Parses in a worker; if the parser hangs or crashes, the message is still archived, flagged. */
  private async parseAndSeal(raw: Buffer, key: string): Promise<{ parsed: ParsedMessage; sealed: Buffer; extraFlags: string[] }> {
    try {
      const r = await this.deps.pool.run(raw, key);
      return { ...r, extraFlags: [] };
    } catch (err) {
      if (err instanceof SteleError && err.code === 'storage_unavailable') throw err;
      this.deps.log.warn('parser failed; archiving raw', { key, err });
      this.deps.metrics.unparsed.inc();
      return { parsed: parseLeniently(raw, 'unparsed'), sealed: this.deps.vault.seal(key, raw), extraFlags: ['unparsed', 'parser-failed'] };
    }
  }

  private indexLag(sha256: string, err: unknown): void {
    this.deps.metrics.indexErrors.inc();
    this.deps.log.error('indexing failed; the index will catch up from the ledger', { id: sha256, err });
  }
}
