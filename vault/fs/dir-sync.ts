// Group commit for directory fsyncs: every rename into a directory needs an fsync of that
// directory to be durable, and one fsync covers every rename done before it started. Callers
// that arrive while a sync is running share the next one instead of queuing their own.
import { open } from 'node:fs/promises';

interface Pending {
  promise: Promise<void>;
}

export class DirSyncer {
  private readonly running = new Map<string, Promise<void>>();
  private readonly next = new Map<string, Pending>();

  /** Resolves once an fsync of `dir` that started after this call has completed. */
  sync(dir: string): Promise<void> {
    const queued = this.next.get(dir);
    if (queued) return queued.promise;
    const current = this.running.get(dir);
    if (!current) return this.start(dir);
    const pending: Pending = {
      promise: current.catch(() => {}).then(() => {
        this.next.delete(dir);
        return this.start(dir);
      }),
    };
    this.next.set(dir, pending);
    return pending.promise;
  }

  private start(dir: string): Promise<void> {
    const p = fsyncDir(dir).finally(() => {
      if (this.running.get(dir) === p) this.running.delete(dir);
    });
    this.running.set(dir, p);
    return p;
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
