// The ledger: an append-only, hash-chained log of every event, stored as sealed blocks in
// every region, with periodic Ed25519-signed checkpoints (invariant 6). Appends are group
// committed: events that arrive while a block is being written go into the next block, so
// many concurrent ingests share one durable write per region.
import { SteleError } from '../../core/errors.ts';
import { systemClock, type Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import { PERMANENT } from '../port.ts';
import type { Vault } from '../regions.ts';
import type { Sodium } from '../sodium.ts';
import { GENESIS, checkRun, makeEntry, signCheckpoint, type LedgerEntry, type LedgerEvent } from './chain.ts';
import { blockKey, checkpointKey, decodeBlock, encodeBlock, encodeCheckpoint, listAcrossRegions, BLOCK_PREFIX, CHECKPOINT_PREFIX, seqOfKey } from './blocks.ts';
import { LedgerMirror, type EntryFilter } from './mirror.ts';

/** Bounded so one block stays small however many ingests are waiting. */
const MAX_BLOCK_ENTRIES = 512;

interface Waiter {
  event: LedgerEvent;
  resolve(e: LedgerEntry): void;
  reject(err: unknown): void;
}

interface Block {
  key: string;
  sealed: Buffer;
  entries: LedgerEntry[];
}

export interface LedgerOptions {
  vault: Vault;
  sodium: Sodium;
  mirrorPath: string;
  clock?: Clock;
  log: Logger;
  /** Sign a checkpoint when this many entries have been added since the last one. */
  checkpointEvery?: number;
}

export class Ledger {
  private readonly vault: Vault;
  private readonly sodium: Sodium;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly mirror: LedgerMirror;
  private readonly checkpointEvery: number;
  private head = { seq: 0, hash: GENESIS };
  private lastCheckpointSeq = 0;
  private queue: Waiter[] = [];
  private flushing: Promise<void> | null = null;
  /** A block written to some regions but not all: it must land everywhere before the next. */
  private pending: Block | null = null;

  constructor(opts: LedgerOptions) {
    this.vault = opts.vault;
    this.sodium = opts.sodium;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log;
    this.mirror = new LedgerMirror(opts.mirrorPath);
    this.checkpointEvery = opts.checkpointEvery ?? 1000;
  }

  /** Brings the mirror up to date with the blocks in the vault, copying any block a region lacks. */
  async open(): Promise<void> {
    const mirrored = this.mirror.head();
    if (mirrored) this.head = mirrored;
    const blocks = await listAcrossRegions(this.vault, BLOCK_PREFIX);
    for (const [key, regions] of blocks) {
      if (regions.size < this.vault.regions.length) await this.copyToMissing(key, regions);
      if (seqOfKey(key) <= this.head.seq) continue;
      const entries = decodeBlock(this.vault, key, await this.readAny(key, regions));
      const { problems, head } = checkRun(entries, this.head);
      if (problems.length) {
        throw new SteleError('integrity', `ledger block ${key} does not continue the chain (${problems[0].kind} at ${problems[0].seq}); run stele verify`);
      }
      this.mirror.insert(entries);
      this.head = head;
    }
    // A checkpoint interrupted between regions is completed the same way.
    for (const [key, regions] of await listAcrossRegions(this.vault, CHECKPOINT_PREFIX)) {
      if (regions.size < this.vault.regions.length) await this.copyToMissing(key, regions, false);
    }
    this.lastCheckpointSeq = this.head.seq;
  }

  /** Appends one event; resolves once its block is durable in every region. */
  append(event: LedgerEvent): Promise<LedgerEntry> {
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.startFlushing();
    });
  }

  private startFlushing(): void {
    if (this.flushing) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = null;
      // Events that arrived during the last await (a checkpoint, say) must not wait for the next append.
      if (this.queue.length) this.startFlushing();
    });
  }

  /** False while a block is written to some regions but not all (appends fail until it lands). */
  get healthy(): boolean {
    return this.pending === null;
  }

  headInfo(): { seq: number; hash: string } {
    return { ...this.head };
  }

  first(type: string, subject: string): LedgerEntry | null {
    return this.mirror.first(type, subject);
  }

  query(filter: EntryFilter): LedgerEntry[] {
    return this.mirror.query(filter);
  }

  /** Signs and stores a checkpoint of the current head in every region. */
  async checkpoint(): Promise<void> {
    if (this.head.seq === 0 || this.head.seq === this.lastCheckpointSeq) return;
    const { publicKey, secretKey } = this.vault.keyring.signing;
    const cp = signCheckpoint(this.sodium, secretKey, publicKey, this.head, this.clock.now());
    await this.vault.putAll(checkpointKey(cp.seq), encodeCheckpoint(cp), { retainUntil: PERMANENT });
    this.lastCheckpointSeq = cp.seq;
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.checkpoint().catch((err) => this.log.warn('final checkpoint failed', { err }));
    this.mirror.close();
  }

  private async flushLoop(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, MAX_BLOCK_ENTRIES);
      try {
        const entries = await this.commit(batch.map((w) => w.event));
        batch.forEach((w, i) => w.resolve(entries[i]));
      } catch (err) {
        batch.forEach((w) => w.reject(err));
      }
    }
    if (this.head.seq - this.lastCheckpointSeq >= this.checkpointEvery) {
      await this.checkpoint().catch((err) => this.log.warn('checkpoint failed; will retry', { err }));
    }
  }

  private async commit(events: LedgerEvent[]): Promise<LedgerEntry[]> {
    if (this.pending) await this.land(this.pending);
    const now = this.clock.now();
    const entries: LedgerEntry[] = [];
    let prev = this.head;
    for (const ev of events) {
      const e = makeEntry(ev, prev.seq + 1, prev.hash, now);
      entries.push(e);
      prev = e;
    }
    const block = { key: blockKey(entries[0].seq), sealed: encodeBlock(this.vault, entries), entries };
    this.pending = block;
    await this.land(block);
    return entries;
  }

  private async land(block: Block): Promise<void> {
    await this.vault.putAll(block.key, block.sealed, { retainUntil: PERMANENT });
    this.mirror.insert(block.entries);
    const last = block.entries[block.entries.length - 1];
    this.head = { seq: last.seq, hash: last.hash };
    this.pending = null;
  }

  private async readAny(key: string, regions: Set<string>, sealed = true): Promise<Buffer> {
    for (const store of this.vault.regions) {
      if (!regions.has(store.region)) continue;
      try {
        const bytes = await store.get(key);
        if (sealed) decodeBlock(this.vault, key, bytes); // proves it opens
        return bytes;
      } catch (err) {
        this.log.warn('ledger block unreadable in a region', { key, region: store.region, err });
      }
    }
    throw new SteleError('integrity', `ledger object ${key} is unreadable in every region`);
  }

  private async copyToMissing(key: string, regions: Set<string>, sealed = true): Promise<void> {
    const bytes = await this.readAny(key, regions, sealed);
    for (const store of this.vault.regions) {
      if (regions.has(store.region)) continue;
      await store.put(key, bytes, { retainUntil: PERMANENT });
      this.log.info('copied a ledger object to a region that lacked it', { key, region: store.region });
    }
  }
}
