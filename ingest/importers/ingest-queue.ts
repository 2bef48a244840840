// Bounded-concurrency feeding of the ingest pipeline for importers: a few ingests in flight (so
// disk and workers stay busy without reading a whole mailbox ahead), retries of transient
// storage faults, and the counts a summary reports.
import { describe, isSteleError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import type { IngestRequest, IngestResult } from '../types.ts';

export type IngestFn = (req: IngestRequest) => Promise<IngestResult>;

export interface ImportCounts {
  imported: number;
  duplicates: number;
  failed: number;
}

export interface Outcome {
  kind: 'imported' | 'duplicate' | 'failed';
  id?: string;
  /** For a failure: the stable error code and a message without content. */
  code?: string;
  error?: string;
  /**
   * A failure that will not change on retry (over the size cap, refused as malformed): a resumed
   * import may pass it. Any other failure holds the resume point so a re-run tries it again.
   */
  permanent?: boolean;
}

export interface Failure {
  where: string;
  code: string;
  error: string;
}

/** Backoff for storage faults; after the last one the import stops (the archive is unwell). */
export const DEFAULT_RETRY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000];
const MAX_FAILURES_KEPT = 50;
/** Refusals that depend on the bytes alone: a retry gives the same answer. */
const PERMANENT_CODES = new Set(['too_large', 'bad_request']);

export class IngestQueue {
  readonly counts: ImportCounts = { imported: 0, duplicates: 0, failed: 0 };
  readonly failures: Failure[] = [];
  messages = 0;
  bytes = 0;
  /** Set when a transient fault outlasted every retry: sources stop reading. */
  fatal: Error | null = null;
  private inFlight = 0;
  private slotWaiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly opts: {
      ingest: IngestFn;
      actor: string;
      concurrency: number;
      retryDelaysMs?: number[];
      log?: Logger;
      signal?: AbortSignal;
      onOutcome?: (where: string, outcome: Outcome, size: number) => void;
    },
  ) {}

  /** Nothing more is started once the import is interrupted or the archive keeps failing. */
  get stopped(): boolean {
    return this.fatal !== null || !!this.opts.signal?.aborted;
  }

  /**
   * Waits for a free slot, then starts the ingest; resolves once started, with its outcome to
   * come, or with null when the import stopped meanwhile (the message was not attempted).
   */
  async submit(raw: Buffer, where: string): Promise<{ done: Promise<Outcome> } | null> {
    while (this.inFlight >= this.opts.concurrency) await new Promise<void>((r) => this.slotWaiters.push(r));
    if (this.stopped) {
      this.slotWaiters.shift()?.(); // pass the slot on: the others stop too
      return null;
    }
    this.inFlight++;
    const done = this.run(raw, where)
      .then((o) => {
        this.record(where, o, raw.length);
        return o;
      })
      .finally(() => this.release());
    return { done };
  }

  /** A message refused before the pipeline (read over the size cap). */
  refuse(where: string, size: number, code: string, error: string): Outcome {
    const o: Outcome = { kind: 'failed', code, error, permanent: PERMANENT_CODES.has(code) };
    this.record(where, o, size);
    return o;
  }

  /** Resolves when nothing is in flight. */
  async idle(): Promise<void> {
    while (this.inFlight > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private async run(raw: Buffer, where: string): Promise<Outcome> {
    const delays = this.opts.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.opts.ingest({ raw, source: 'import', actor: this.opts.actor, envelope: { rcptTo: [] } });
        return { kind: r.duplicate ? 'duplicate' : 'imported', id: r.id };
      } catch (err) {
        const retryable = isSteleError(err) ? err.retryable : false;
        if (retryable && attempt < delays.length && !this.fatal) {
          this.opts.log?.warn('import: transient failure, retrying', { where, attempt: attempt + 1, error: describe(err) });
          await new Promise((r) => setTimeout(r, delays[attempt]));
          continue;
        }
        if (retryable) this.fatal ??= err as Error;
        const code = isSteleError(err) ? err.code : 'internal';
        return { kind: 'failed', code, error: describe(err), permanent: PERMANENT_CODES.has(code) };
      }
    }
  }

  private record(where: string, o: Outcome, size: number): void {
    this.messages++;
    this.bytes += size;
    if (o.kind === 'imported') this.counts.imported++;
    else if (o.kind === 'duplicate') this.counts.duplicates++;
    else {
      this.counts.failed++;
      if (this.failures.length < MAX_FAILURES_KEPT) this.failures.push({ where, code: o.code ?? 'internal', error: o.error ?? '' });
      this.opts.log?.warn('import: message not archived', { where, code: o.code, error: o.error });
    }
    this.opts.onOutcome?.(where, o, size);
  }

  private release(): void {
    this.inFlight--;
    this.slotWaiters.shift()?.();
    if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}

/** Completion in submission order: the resume point is just past the last message done in a row. */
export class Checkpoints<T> {
  private readonly entries: Array<{ value: T; state: 'pending' | 'done' | 'blocked' }> = [];
  private head = 0;
  private blocked = false;

  constructor(private readonly onPass: (value: T) => void) {}

  /** Registers the next unit; call the returned function once it is finished. */
  register(value: T): (passable: boolean) => void {
    if (this.blocked) return () => {}; // nothing after a blocked unit can become the resume point
    const entry = { value, state: 'pending' as 'pending' | 'done' | 'blocked' };
    this.entries.push(entry);
    return (passable) => {
      entry.state = passable ? 'done' : 'blocked';
      this.advance();
    };
  }

  private advance(): void {
    while (!this.blocked && this.head < this.entries.length && this.entries[this.head]!.state !== 'pending') {
      const e = this.entries[this.head]!;
      if (e.state === 'blocked') {
        this.blocked = true; // a failure to retry: the resume point stays before it for this run
        break;
      }
      this.onPass(e.value);
      this.head++;
    }
    if (this.head > 1024) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }
}
