// A small pool of worker threads with a time limit per task: a message that hangs or crashes
// its parser costs that worker (it is replaced), never the process.
import { Worker } from 'node:worker_threads';
import { SteleError } from '../../core/errors.ts';
import type { Keyring } from '../../vault/keyring.ts';
import { keyringToTransfer } from '../../vault/keyring.ts';
import type { ParsedMessage } from './parse-message.ts';

interface Job {
  id: number;
  op: 'parse' | 'open-parse' | 'seal';
  raw: Buffer;
  objectKey?: string;
  resolve(r: unknown): void;
  reject(e: unknown): void;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

/** Generous for big mail, short enough that a hostile message cannot stall a worker for long. */
function timeLimitMs(bytes: number): number {
  return 15_000 + Math.ceil(bytes / 1_048_576) * 2_000;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  /** Seals sit on the acknowledgement path; parses (for the index) wait behind them. */
  private readonly urgent: Job[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    size: number,
    private readonly keyring: Keyring,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /** Worker threads in the pool (callers size their read-ahead by it). */
  get size(): number {
    return this.slots.length;
  }

  /** Full MIME parse of a message (for the index). */
  parse(raw: Buffer): Promise<ParsedMessage> {
    return this.submit<ParsedMessage>('parse', raw);
  }

  /**
   * Opens a sealed object and parses the message in it, both off the main thread. A failure to
   * open it rejects with code `integrity` (read it again from another region); a parser failure
   * with `internal`, as parse() does.
   */
  openAndParse(sealed: Buffer, objectKey: string): Promise<ParsedMessage> {
    return this.submit<ParsedMessage>('open-parse', sealed, objectKey);
  }

  /** Seals a message off the main thread (worth it for large ones). */
  async seal(raw: Buffer, objectKey: string): Promise<Buffer> {
    const out = await this.submit<Uint8Array>('seal', raw, objectKey);
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  }

  private submit<T>(op: Job['op'], raw: Buffer, objectKey?: string): Promise<T> {
    if (this.closed) return Promise.reject(new SteleError('storage_unavailable', 'worker pool is closed'));
    return new Promise<T>((resolve, reject) => {
      (op === 'seal' ? this.urgent : this.queue).push({ id: this.nextId++, op, raw, objectKey, resolve: resolve as (r: unknown) => void, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of [...this.urgent.splice(0), ...this.queue.splice(0)]) job.reject(new SteleError('storage_unavailable', 'shutting down'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
      workerData: { entry: new URL('./worker.ts', import.meta.url).href, keyring: keyringToTransfer(this.keyring) },
    });
    const slot: Slot = { worker, job: null, timer: null, ready: Promise.resolve() };
    slot.ready = new Promise<void>((resolve) => {
      const onReady = (m: { ready?: boolean }) => {
        if (m.ready) (worker.off('message', onReady), resolve());
      };
      worker.on('message', onReady);
    });
    worker.on('message', (m: { id?: number; result?: unknown; error?: string; opening?: boolean }) => {
      if (m.id === undefined || !slot.job || slot.job.id !== m.id) return;
      const job = this.finish(slot);
      if (m.error !== undefined) job.reject(new SteleError(m.opening ? 'integrity' : 'internal', `worker ${job.op}: ${m.error}`));
      else job.resolve(m.result);
      this.dispatch();
    });
    worker.on('error', (err) => this.replace(slot, new SteleError('internal', `parse worker crashed: ${err.message}`)));
    worker.on('exit', () => {
      if (!this.closed && this.slots.includes(slot)) this.replace(slot, new SteleError('internal', 'parse worker exited'));
    });
    worker.unref();
    return slot;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job || this.urgent.length + this.queue.length === 0) continue;
      const job = (this.urgent.shift() ?? this.queue.shift())!;
      slot.job = job;
      slot.timer = setTimeout(() => this.replace(slot, new SteleError('internal', 'parse time limit exceeded')), timeLimitMs(job.raw.length));
      void slot.ready.then(() => {
        if (slot.job === job) slot.worker.postMessage({ id: job.id, op: job.op, raw: job.raw, objectKey: job.objectKey });
      });
    }
  }

  private finish(slot: Slot): Job {
    const job = slot.job!;
    if (slot.timer) clearTimeout(slot.timer);
    slot.job = null;
    slot.timer = null;
    return job;
  }

  /** Fails the slot's job, kills its worker and starts a fresh one. */
  private replace(slot: Slot, err: SteleError): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    if (slot.job) this.finish(slot).reject(err);
    this.slots.splice(i, 1);
    void slot.worker.terminate();
    if (!this.closed) this.slots.push(this.spawn());
    this.dispatch();
  }
}
