// The `fs` vault adapter: one directory root is one region. Objects are written durably
// (temp file, fsync, read-only, hard link to the final name so an existing key is never
// replaced, fsync of the directory) and deletes are checked against retain-until and holds.
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { writeDurably } from './durable-write.ts';
import { dirname, join } from 'node:path';
import { SteleError, isSteleError, storageError } from '../../core/errors.ts';
import { systemClock, type Clock } from '../../core/clock.ts';
import { isValidKey, type ObjectInfo, type ObjectStore, type PutOptions } from '../port.ts';
import { DirSyncer } from './dir-sync.ts';
import { decodeObjectFile, encodeObjectHeader, type LockState } from './object-file.ts';

export interface FsStoreOptions {
  region: string;
  root: string;
  clock?: Clock;
}

export async function createFsStore(opts: FsStoreOptions): Promise<ObjectStore> {
  const store = new FsStore(opts);
  await store.init();
  return store;
}

class FsStore implements ObjectStore {
  readonly region: string;
  readonly address: string;
  private readonly root: string;
  private readonly objects: string;
  private readonly locks: string;
  private readonly clock: Clock;
  private readonly dirs = new DirSyncer();
  private readonly knownDirs = new Set<string>();
  private tmpSeq = 0;

  constructor(opts: FsStoreOptions) {
    this.region = opts.region;
    this.address = `fs:${opts.root}`;
    this.root = opts.root;
    this.objects = join(opts.root, 'objects');
    this.locks = join(opts.root, 'locks');
    this.clock = opts.clock ?? systemClock;
  }

  async init(): Promise<void> {
    await this.io('init', async () => {
      await mkdir(this.objects, { recursive: true });
      await mkdir(this.locks, { recursive: true });
    });
  }

  async put(key: string, body: Buffer, opts: PutOptions): Promise<void> {
    const path = this.objectPath(key);
    const dir = dirname(path);
    const tmp = this.tmpName(dir);
    await this.io(`put ${key}`, async () => {
      await this.ensureDir(dir);
      const header = encodeObjectHeader({ retainUntil: opts.retainUntil, legalHold: opts.legalHold ?? false });
      // Created read-only: the open descriptor may still write, nothing later can.
      await writeDurably(tmp, [header, body], 0o444);
      try {
        await link(tmp, path); // fails with EEXIST instead of replacing, unlike rename
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw exists_(key);
        throw err;
      } finally {
        await unlink(tmp).catch(() => {});
      }
      await this.dirs.sync(dir);
    });
  }

  async get(key: string): Promise<Buffer> {
    const path = this.objectPath(key);
    const file = await this.io(`get ${key}`, () => readFile(path).catch(notFoundAs(key)));
    return decodeObjectFile(file, key).body;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const path = this.objectPath(key);
    return this.io(`head ${key}`, async () => {
      let fh;
      try {
        fh = await open(path, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
      try {
        const { size } = await fh.stat();
        const buf = Buffer.alloc(Math.min(size, 4096));
        await fh.read(buf, 0, buf.length, 0);
        const { state, headerBytes } = decodeObjectFile(buf, key, { headerOnly: true });
        const lock = (await this.readLock(key)) ?? state;
        return { key, size: size - headerBytes, retainUntil: lock.retainUntil, legalHold: lock.legalHold };
      } finally {
        await fh.close();
      }
    });
  }

  async *list(prefix: string): AsyncIterable<string> {
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? '' : prefix.slice(0, slash);
    yield* this.walk(base, prefix);
  }

  private async *walk(rel: string, prefix: string): AsyncIterable<string> {
    let entries;
    try {
      entries = await readdir(join(this.objects, rel), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw storageError(`list ${rel}`, err);
    }
    // Sorting "name/" for directories keeps the output in lexicographic order of whole keys.
    const named = entries
      .filter((e) => !e.name.startsWith('.'))
      .map((e) => ({ e, sortKey: e.isDirectory() ? `${e.name}/` : e.name }))
      .sort((x, y) => (x.sortKey < y.sortKey ? -1 : x.sortKey > y.sortKey ? 1 : 0));
    for (const { e } of named) {
      const key = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.walk(key, prefix);
      } else if (key.startsWith(prefix)) {
        yield key;
      }
    }
  }

  async setLegalHold(key: string, on: boolean): Promise<void> {
    const info = await this.mustHead(key);
    if (info.legalHold === on) return;
    await this.writeLock(key, { retainUntil: info.retainUntil, legalHold: on });
  }

  async extendRetention(key: string, until: Date): Promise<void> {
    const info = await this.mustHead(key);
    if (until.getTime() < info.retainUntil.getTime()) {
      throw new SteleError('retention_shorten', `retain-until of ${key} can only grow`);
    }
    if (until.getTime() === info.retainUntil.getTime()) return;
    await this.writeLock(key, { retainUntil: until, legalHold: info.legalHold });
  }

  async delete(key: string): Promise<void> {
    const info = await this.mustHead(key);
    if (info.legalHold) throw new SteleError('legal_hold', `${key} is under a legal hold`);
    if (this.clock.now().getTime() < info.retainUntil.getTime()) {
      throw new SteleError('retention_active', `${key} is retained until ${info.retainUntil.toISOString()}`);
    }
    const path = this.objectPath(key);
    await this.io(`delete ${key}`, async () => {
      await unlink(path);
      await unlink(this.lockPath(key)).catch(() => {});
      await this.dirs.sync(dirname(path));
    });
  }

  async restore(key: string, body: Buffer, opts: PutOptions): Promise<void> {
    let old: LockState | null = null;
    let present = false;
    try {
      old = await this.head(key);
      present = old !== null;
    } catch (err) {
      // The damaged copy's own header may be what is damaged: keep any later lock state.
      if (!isSteleError(err, 'integrity')) throw err;
      present = true;
      old = await this.readLock(key);
    }
    if (present) {
      const aside = join(this.root, 'quarantine', `${key}.${Date.now()}`);
      await this.io(`quarantine ${key}`, async () => {
        await this.ensureDir(dirname(aside));
        await rename(this.objectPath(key), aside);
        await this.dirs.sync(dirname(this.objectPath(key)));
      });
    }
    const retainUntil = old && old.retainUntil > opts.retainUntil ? old.retainUntil : opts.retainUntil;
    await this.put(key, body, { retainUntil, legalHold: (old?.legalHold ?? false) || (opts.legalHold ?? false) });
    if (old) await this.writeLock(key, { retainUntil, legalHold: old.legalHold || (opts.legalHold ?? false) });
  }

  async ping(): Promise<void> {
    await this.io('ping', async () => {
      const probe = join(this.objects, `.ping-${randomBytes(4).toString('hex')}`);
      await writeFile(probe, 'ok');
      await unlink(probe);
    });
  }

  async close(): Promise<void> {
    await this.dirs.close();
  }

  /** Unique per process and call; 'wx' refuses a name another process happens to hold. */
  private tmpName(dir: string): string {
    return join(dir, `.tmp-${process.pid}-${++this.tmpSeq}`);
  }

  private objectPath(key: string): string {
    if (!isValidKey(key)) throw new SteleError('bad_request', `invalid object key: ${JSON.stringify(key)}`);
    return join(this.objects, key);
  }

  private lockPath(key: string): string {
    return join(this.locks, `${key}.json`);
  }

  private async mustHead(key: string): Promise<ObjectInfo> {
    const info = await this.head(key);
    if (!info) throw new SteleError('not_found', `no object ${key} in region ${this.region}`);
    return info;
  }

  private async readLock(key: string): Promise<LockState | null> {
    try {
      const raw = JSON.parse(await readFile(this.lockPath(key), 'utf8')) as { retainUntil: string; legalHold: boolean };
      return { retainUntil: new Date(raw.retainUntil), legalHold: raw.legalHold };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Lock state changes replace a small side file atomically (temp, fsync, rename, fsync dir). */
  private async writeLock(key: string, state: LockState): Promise<void> {
    const path = this.lockPath(key);
    const dir = dirname(path);
    const tmp = this.tmpName(dir);
    await this.io(`lock ${key}`, async () => {
      await this.ensureDir(dir);
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(JSON.stringify({ retainUntil: state.retainUntil.toISOString(), legalHold: state.legalHold }));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
      await this.dirs.sync(dir);
    });
  }

  /** Creates a directory and makes its entry durable in its parent. */
  private async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    const first = await mkdir(dir, { recursive: true });
    if (first) {
      for (let d = dir; d.length >= first.length; d = dirname(d)) await this.dirs.sync(dirname(d));
    }
    this.knownDirs.add(dir);
  }

  private async io<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof SteleError)) {
        // The disk misbehaved: forget cached directories and handles, so a region that comes
        // back (remounted, recreated) is opened afresh rather than trusted through old handles.
        this.knownDirs.clear();
        await this.dirs.close().catch(() => {});
      }
      throw storageError(`region ${this.region}: ${what}`, err);
    }
  }
}

function exists_(key: string): SteleError {
  return new SteleError('object_exists', `${key} already exists and is never overwritten`);
}

function notFoundAs(key: string) {
  return (err: NodeJS.ErrnoException): never => {
    if (err.code === 'ENOENT') throw new SteleError('not_found', `no object ${key}`);
    throw err;
  };
}
