// Group commit for directory fsyncs: every new name in a directory needs an fsync of that
// directory to be durable, and one fsync covers every change made before it started. Callers
// that arrive while a sync is running share the next one instead of queuing their own. The
// directory stays open, so a sync costs one system call.
import { open, type FileHandle } from 'node:fs/promises';

export class DirSyncer {
  private readonly handles = new Map<string, Promise<FileHandle>>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly next = new Map<string, Promise<void>>();

  /** Resolves once an fsync of `dir` that started after this call has completed. */
  sync(dir: string): Promise<void> {
    const queued = this.next.get(dir);
    if (queued) return queued;
    const current = this.running.get(dir);
    if (!current) return this.start(dir);
    const pending = current.catch(() => {}).then(() => {
      this.next.delete(dir);
      return this.start(dir);
    });
    this.next.set(dir, pending);
    return pending;
  }

  async close(): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(handles.map(async (h) => (await h.catch(() => null))?.close()));
  }

  private start(dir: string): Promise<void> {
    const p = this.fsync(dir).finally(() => {
      if (this.running.get(dir) === p) this.running.delete(dir);
    });
    this.running.set(dir, p);
    return p;
  }

  private async fsync(dir: string): Promise<void> {
    let handle = this.handles.get(dir);
    if (!handle) {
      handle = open(dir, 'r');
      this.handles.set(dir, handle);
    }
    try {
      await (await handle).sync();
    } catch (err) {
      // A directory that failed (gone, replaced) is reopened next time, not trusted again.
      this.handles.delete(dir);
      await handle.then((h) => h.close()).catch(() => {});
      throw err;
    }
  }
}
