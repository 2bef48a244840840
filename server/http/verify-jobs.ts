// `stele verify` run from the API as a background job: one at a time, with progress to poll, a
// result per region, and its start and outcome on the ledger. The checks are vault/verify.ts's.
import { randomBytes } from 'node:crypto';
import { describe as describeError } from '../../core/errors.ts';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import { MESSAGE_EVENTS, verifyArchive, type Finding, type Ledger, type Sodium, type Vault, type VerifyReport } from '../../vault/index.ts';

export const VERIFY_COMPLETED = 'verify.completed';
export const VERIFY_FAILED = 'verify.failed';

export const FINDING_KINDS = ['missing', 'mismatch', 'orphan', 'chain_break', 'checkpoint_invalid'] as const;
/** Finished jobs kept in memory for the screen; the ledger keeps every outcome for good. */
const KEEP_JOBS = 10;
/** Findings listed in an answer; the counts per region always cover all of them. */
const MAX_LISTED_FINDINGS = 500;

export interface RegionResult {
  region: string;
  /** Archived messages expected in this region (every one is read and hashed). */
  objectsChecked: number;
  /** Of those, copies that opened and hashed to their address. */
  objectsIntact: number;
  findings: Record<(typeof FINDING_KINDS)[number], number>;
  /** No chain_break in this region's copy of the ledger. */
  chainIntact: boolean;
  /** No invalid or missing checkpoint in this region. */
  checkpointsValid: boolean;
}

export interface VerifyResult {
  ok: boolean;
  ledger: { entries: number; headSeq: number; headHash: string };
  regions: RegionResult[];
  findings: Finding[];
  findingsTotal: number;
  objects: number;
  bytes: number;
  seconds: number;
}

export interface VerifyJob {
  id: string;
  status: 'running' | 'done' | 'failed';
  startedBy: string;
  startedAt: string;
  finishedAt: string | null;
  /** 'ledger' while chains and checkpoints are read, 'objects' while messages are, 'confirming' on a second pass. */
  phase: 'ledger' | 'objects' | 'confirming' | 'finished';
  progress: { done: number; total: number };
  result: VerifyResult | null;
  error: string | null;
}

export interface VerifyJobsDeps {
  vault: Vault;
  sodium: Sodium;
  ledger: Ledger;
  log: Logger;
  clock: Clock;
}

/** Runs verify jobs in this process; a second request while one runs gets the running one. */
export class VerifyJobs {
  private readonly jobs: VerifyJob[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly deps: VerifyJobsDeps) {}

  list(): VerifyJob[] {
    return [...this.jobs].reverse();
  }

  get(id: string): VerifyJob | undefined {
    return this.jobs.find((j) => j.id === id);
  }

  current(): VerifyJob | undefined {
    return this.jobs.find((j) => j.status === 'running');
  }

  /**
   * Starts a job once `announce` (the audit of who started it) is durable, so the start is on
   * the record before the pass reads the ledger; `data` (address, session) goes with its outcome.
   */
  async start(startedBy: string, data: Record<string, unknown>, announce: (id: string) => Promise<void>): Promise<VerifyJob> {
    const job: VerifyJob = {
      id: `verify-${randomBytes(6).toString('hex')}`, status: 'running', startedBy, startedAt: this.deps.clock.now().toISOString(),
      finishedAt: null, phase: 'ledger', progress: { done: 0, total: 0 }, result: null, error: null,
    };
    this.jobs.push(job); // current() now answers it, so a second request cannot start another
    try {
      await announce(job.id);
    } catch (err) {
      this.jobs.splice(this.jobs.indexOf(job), 1);
      throw err;
    }
    while (this.jobs.length > KEEP_JOBS) this.jobs.shift();
    this.running = this.run(job, data).finally(() => (this.running = null));
    return job;
  }

  /** Waits for a running job (the service stopping). */
  async close(): Promise<void> {
    await this.running;
  }

  private async run(job: VerifyJob, data: Record<string, unknown>): Promise<void> {
    let result: VerifyResult | null = null;
    let error: string | null = null;
    try {
      result = await this.check(job);
    } catch (err) {
      error = describeError(err);
      this.deps.log.warn('verify job failed', { id: job.id, error });
    }
    // The outcome is on the ledger before anyone polling sees the job finished.
    await this.record(job, result, error, data);
    Object.assign(job, { result, error, status: result ? 'done' : 'failed', phase: 'finished', finishedAt: this.deps.clock.now().toISOString() });
  }

  private async check(job: VerifyJob): Promise<VerifyResult> {
    let expected = 0;
    const pass = () =>
      verifyArchive({
        vault: this.deps.vault, sodium: this.deps.sodium, messages: MESSAGE_EVENTS,
        onProgress: (done, total) => {
          if (job.phase === 'ledger') job.phase = 'objects';
          job.progress = { done, total };
          expected = total;
        },
      });
    let report = await pass();
    // The service keeps writing while we read: a ledger block or message landing in one region
    // but not yet the other looks missing or orphaned for a moment. Only findings a second pass
    // sees again are reported.
    if (report.findings.length > 0) {
      job.phase = 'confirming';
      const again = await pass();
      const seen = new Set(again.findings.map(findingId));
      report = { ...again, findings: report.findings.filter((f) => seen.has(findingId(f))) };
      report.ok = report.findings.length === 0;
    }
    return summarise(report, expected, this.deps.vault.regions.map((r) => r.region), this.deps.ledger.headInfo());
  }

  private async record(job: VerifyJob, r: VerifyResult | null, error: string | null, data: Record<string, unknown>): Promise<void> {
    const summary = r
      ? { ok: r.ok, entries: r.ledger.entries, objects: r.objects, findings: r.findingsTotal, regions: Object.fromEntries(r.regions.map((x) => [x.region, x.findings])), seconds: r.seconds }
      : { error };
    try {
      await this.deps.ledger.append({ type: r ? VERIFY_COMPLETED : VERIFY_FAILED, actor: job.startedBy, subject: job.id, data: { ...summary, ...data } });
    } catch (err) {
      this.deps.log.error('could not record a verify outcome on the ledger', { id: job.id, error: describeError(err) });
    }
  }
}

const findingId = (f: Finding) => `${f.kind} ${f.region} ${f.key ?? ''} ${f.seq ?? ''}`;

/** Per-region counts from vault/verify.ts's flat list of typed findings. */
export function summarise(report: VerifyReport, expected: number, regions: string[], head: { seq: number; hash: string }): VerifyResult {
  const perRegion = regions.map((region): RegionResult => {
    const mine = report.findings.filter((f) => f.region === region);
    const findings = Object.fromEntries(FINDING_KINDS.map((k) => [k, mine.filter((f) => f.kind === k).length])) as RegionResult['findings'];
    const badObjects = mine.filter((f) => (f.kind === 'missing' || f.kind === 'mismatch') && f.key?.startsWith(MESSAGE_EVENTS.objectPrefix)).length;
    const checkpointProblems = mine.filter((f) => f.kind === 'checkpoint_invalid' || (f.kind === 'missing' && f.key?.startsWith('ledger/checkpoints'))).length;
    return {
      region, objectsChecked: expected, objectsIntact: expected - badObjects, findings,
      chainIntact: findings.chain_break === 0, checkpointsValid: checkpointProblems === 0,
    };
  });
  return {
    ok: report.ok,
    ledger: { entries: report.entries, headSeq: head.seq, headHash: head.hash },
    regions: perRegion,
    findings: report.findings.slice(0, MAX_LISTED_FINDINGS),
    findingsTotal: report.findings.length,
    objects: report.objects,
    bytes: report.bytes,
    seconds: report.seconds,
  };
}
