// The retention capability assembled: one object the composition root builds, injects into
// the pipeline (classify), mounts behind routes, and whose node-cron jobs it starts and stops.
import cron, { type ScheduledTask } from 'node-cron';
import { systemClock, type Clock } from '../core/clock.ts';
import { SteleError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { messageKey } from '../vault/messages.ts';
import type { Classify } from '../ingest/types.ts';
import type { SearchIndex } from '../search/port.ts';
import type { Ledger } from '../vault/ledger/ledger.ts';
import type { Vault } from '../vault/regions.ts';
import type { Sodium } from '../vault/sodium.ts';
import { verifyCertificate, type Certificate } from './certificate.ts';
import { checkArchivedCertificate, type CertificateVerification } from './certificate-check.ts';
import { DEFAULT_OPTIONS, type RetentionContext, type RetentionOptions } from './context.ts';
import * as disposition from './disposition.ts';
import * as holds from './holds.ts';
import { retentionRecord, type RetentionRecord } from './index-sync.ts';
import type { Batch, Category, CategoryInput, Hold, HoldChange, HoldInput, Job, Rule, RuleInput } from './model.ts';
import * as policy from './policy.ts';
import { syncFromLedger } from './projection.ts';
import * as stats from './sqlite/stats.ts';
import { RetentionStore } from './sqlite/store.ts';

export interface RetentionDeps {
  vault: Vault;
  sodium: Sodium;
  ledger: Ledger;
  index: SearchIndex;
  log: Logger;
  /** The catalog file, e.g. <dataDir>/retention.db. */
  dbPath: string;
  clock?: Clock;
  /** Indexer.caughtUp: query-scoped holds and content rules are read from the index. */
  indexCaughtUp?: () => Promise<void>;
  options?: Partial<RetentionOptions>;
}

export interface RetentionStats {
  now: string;
  months: number;
  /** First instant after the charted months (exclusive). */
  until: string;
  volume: stats.VolumeRow[];
  due: stats.DueRow[];
  overdue: stats.OverdueRow[];
}

/** Builds the retention service. Call start() to run the schedules, close() on shutdown. */
export function createRetention(deps: RetentionDeps): Retention {
  return new Retention(deps);
}

export class Retention {
  /** The classifier for IngestPipeline's `classify`. */
  readonly classify: Classify;
  readonly options: RetentionOptions;
  private readonly ctx: RetentionContext;
  private readonly store: RetentionStore;
  private readonly tasks: ScheduledTask[] = [];
  /** One mutation at a time: a sweep, a proposal and a hold change never interleave catalog writes. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: RetentionDeps) {
    this.options = { ...DEFAULT_OPTIONS, ...deps.options };
    for (const [name, expr] of [['dispositionSchedule', this.options.dispositionSchedule], ['sweepSchedule', this.options.sweepSchedule]]) {
      if (!cron.validate(expr)) throw new SteleError('bad_request', `retention ${name}: ${JSON.stringify(expr)} is not a cron expression`);
    }
    this.store = new RetentionStore(deps.dbPath);
    this.ctx = {
      store: this.store, vault: deps.vault, sodium: deps.sodium, ledger: deps.ledger, index: deps.index, log: deps.log,
      clock: deps.clock ?? systemClock, options: this.options, messageKey, indexCaughtUp: deps.indexCaughtUp ?? (async () => {}), running: new Map(),
    };
    policy.ensureDefaults(this.ctx);
    this.classify = policy.createClassifier(this.ctx);
  }

  /** Starts the sweep and the disposition schedules (node-cron, in the configured time zone). */
  start(): void {
    const opts = { timezone: this.options.timezone, noOverlap: true };
    this.tasks.push(cron.schedule(this.options.sweepSchedule, () => this.logged('sweep', () => disposition.refresh(this.ctx)), opts));
    this.tasks.push(cron.schedule(this.options.dispositionSchedule, () => this.logged('disposition', () => this.scheduledRun()), opts));
  }

  /** What the daily schedule does: finish interrupted destructions, then propose new batches. */
  async scheduledRun(): Promise<Batch[]> {
    await disposition.resumeApproved(this.ctx);
    const batches = await disposition.proposeBatches(this.ctx);
    if (batches.length) this.deps.log.info('disposition batches proposed', { batches: batches.map((b) => ({ id: b.id, category: b.category, count: b.count })) });
    return batches;
  }

  // categories and rules
  categories(): Category[] { return [...this.store.categories().values()]; }
  putCategory(name: string, input: CategoryInput, actor: string) { return this.serial(() => policy.putCategory(this.ctx, name, input, actor)); }
  rules(): Rule[] { return this.store.rules(); }
  putRule(id: string | null, input: RuleInput, actor: string) { return this.serial(() => policy.putRule(this.ctx, id, input, actor)); }
  deleteRule(id: string, actor: string, reason: string) { return this.serial(() => policy.deleteRule(this.ctx, id, actor, reason)); }
  dryRun(proposal: { rules?: Rule[]; categories?: Category[] }) { return policy.dryRun(this.ctx, proposal); }
  job(id: string): Job | null { return this.store.job(id); }
  waitForJobs(id?: string) { return policy.waitForJobs(this.ctx, id); }

  // holds
  holds(status?: Hold['status']): Hold[] { return this.store.holds(status); }
  /** The holds with how many messages each covers now (the list screen shows both). */
  holdsWithCounts(status?: Hold['status']): Array<Hold & { messages: number }> {
    const counts = this.store.heldCounts();
    return this.store.holds(status).map((h) => ({ ...h, messages: counts.get(h.id) ?? 0 }));
  }
  hold(id: string): Hold & { messages: number } {
    const h = this.store.hold(id);
    if (!h) throw new SteleError('not_found', `no hold ${id}`);
    return { ...h, messages: this.store.heldBy(id).length };
  }
  placeHold(input: HoldInput, actor: string) { return this.serial(async () => (await syncFromLedger(this.ctx), holds.placeHold(this.ctx, input, actor))); }
  changeHold(id: string, change: HoldChange, actor: string) { return this.serial(async () => (await syncFromLedger(this.ctx), holds.changeHold(this.ctx, id, change, actor))); }
  releaseHold(id: string, actor: string, reason: string) { return this.serial(async () => (await syncFromLedger(this.ctx), holds.releaseHold(this.ctx, id, actor, reason))); }
  holdCount(sha256: string): number { return this.store.holdCount(sha256); }

  // disposition
  refresh() { return this.serial(() => disposition.refresh(this.ctx)); }
  propose(actor?: string) { return this.serial(() => disposition.proposeBatches(this.ctx, actor)); }
  batches(status?: Batch['status']): Batch[] { return this.store.batches(status); }
  review(id: string, opts?: { query?: string; sample?: number }) { return disposition.reviewBatch(this.ctx, id, opts); }
  approve(id: string, actor: string, reason: string) { return this.serial(() => disposition.approveBatch(this.ctx, id, actor, reason)); }
  reject(id: string, actor: string, reason: string) { return this.serial(() => disposition.rejectBatch(this.ctx, id, actor, reason)); }
  message(sha256: string) { return this.store.message(sha256); }
  /**
   * A message's category, retain-until and holds as the catalog has them now (the source of
   * truth: the index keeps an eventually consistent copy); null when not catalogued yet.
   */
  recordOf(sha256: string): RetentionRecord | null { return retentionRecord(this.store, sha256); }

  /** The charts' figures, aggregated by SQLite: volume per category and year, what falls due per month. */
  async stats(months: number): Promise<RetentionStats> {
    // The projection follows the ledger lazily: catch up first, so mail just journaled counts.
    await this.serial(() => syncFromLedger(this.ctx));
    const now = this.ctx.clock.now();
    const until = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + months, 1)).toISOString();
    const at = now.toISOString();
    return {
      now: at, months, until,
      volume: stats.volumeByCategoryAndYear(this.store.db),
      due: stats.dueByCategoryAndMonth(this.store.db, at, until),
      overdue: stats.overdueByCategory(this.store.db, at),
    };
  }

  /** Due mail of a batch's category that holds keep (out of the batch, or inside it since the proposal). */
  batchExclusions(id: string): { held: number; holds: stats.HeldExclusion[] } {
    const b = this.store.batch(id);
    if (!b) throw new SteleError('not_found', `no disposition batch ${id}`);
    return {
      held: stats.heldDueCount(this.store.db, id, b.category, b.createdAt),
      holds: stats.heldExclusions(this.store.db, id, b.category, b.createdAt),
    };
  }

  // certificates
  certificates() { return this.store.certificates(); }
  /** The signed file exactly as stored (what `stele certificate verify` checks). */
  certificateBytes(id: string): Buffer {
    const b = this.store.certificateBody(id);
    if (!b) throw new SteleError('not_found', `no certificate ${id}`);
    return b;
  }
  /** The parsed certificate, re-verified against the archive's key before it is shown. */
  certificate(id: string): { certificate: Certificate; sha256: string } {
    const check = verifyCertificate(this.deps.sodium, this.certificateBytes(id), this.deps.vault.keyring.signing.publicKey);
    if (!check.ok) throw new SteleError('integrity', `certificate ${id}: ${check.reason}`);
    return { certificate: check.certificate, sha256: check.sha256 };
  }
  /** Signature, stored copies in every region, and the ledger, checked for the records manager. */
  verifyCertificate(id: string): Promise<CertificateVerification> {
    return checkArchivedCertificate(this.ctx, id, this.certificateBytes(id));
  }
  publicKey(): string { return Buffer.from(this.deps.vault.keyring.signing.publicKey).toString('base64'); }

  async close(): Promise<void> {
    for (const t of this.tasks) await t.stop();
    await this.chain;
    await policy.waitForJobs(this.ctx);
    this.store.close();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  private async logged(what: string, fn: () => Promise<unknown>): Promise<void> {
    await this.serial(fn).catch((err) => this.deps.log.error(`retention ${what} failed`, { err }));
  }
}
