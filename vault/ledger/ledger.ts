// The ledger: an append-only, hash-chained log of every event, stored as sealed blocks in
// every region, with periodic Ed25519-signed checkpoints (invariant 6). Appends are group
// committed: events that arrive while a block is being written go into the next block, so
// many concurrent ingests share one durable write per region.
import { SteleError, isSteleError } from '../../core/errors.ts';
import { systemClock, type Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import { PERMANENT } from '../port.ts';
import type { Vault } from '../regions.ts';
import { VAULT_REPAIRED } from '../replication.ts';
import type { Sodium } from '../sodium.ts';
import { GENESIS, checkRun, checkpointSignatureValid, makeEntry, signCheckpoint, type LedgerEntry, type LedgerEvent } from './chain.ts';
import { blockKey, checkpointKey, decodeBlock, decodeCheckpoint, encodeBlock, encodeCheckpoint, listAcrossRegions, BLOCK_PREFIX, CHECKPOINT_PREFIX, seqOfKey } from './blocks.ts';
import { LedgerMirror, type EntryFilter } from './mirror.ts';

/** Bounded so one block stays small however many ingests are waiting. */
const MAX_BLOCK_ENTRIES = 512;

const BLOCK_INTERRUPTED = 'newest ledger block absent in this region at start-up, as a write interrupted between regions leaves it';
const CHECKPOINT_INTERRUPTED = 'checkpoint absent in this region at start-up, as a write interrupted or failed in this region leaves it';

/** A ledger object `open()` copied to a region that lacked it. */
export interface LedgerRecovery {
  key: string;
  /** The region that lacked it. */
  region: string;
  /** The region the copy came from. */
  from: string;
  reason: string;
}

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
  private readonly recoveredCopies: LedgerRecovery[] = [];

  constructor(opts: LedgerOptions) {
    this.vault = opts.vault;
    this.sodium = opts.sodium;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log;
    this.mirror = new LedgerMirror(opts.mirrorPath);
    this.checkpointEvery = opts.checkpointEvery ?? 1000;
  }

  /**
   * Brings the mirror up to date with the blocks in the vault, and completes what an interrupted
   * write leaves in some regions only: the newest block (a block must land everywhere before the
   * next is written, so no older one can be partial) and any checkpoint whose signature verifies
   * (a checkpoint that failed in a region is retried at a later seq). Each copy is a
   * `vault.repaired` event and is listed in `recovered`; an older block absent in a region is
   * left for `stele verify`, which reports it and restores it with --repair.
   */
  async open(): Promise<void> {
    const mirrored = this.mirror.head();
    if (mirrored) this.head = mirrored;
    const blocks = await listAcrossRegions(this.vault, BLOCK_PREFIX);
    const newest = [...blocks.keys()].pop();
    for (const [key, regions] of blocks) {
      if (regions.size < this.vault.regions.length) {
        if (key === newest) await this.copyToMissing(key, regions, BLOCK_INTERRUPTED, (b) => void decodeBlock(this.vault, key, b));
        else this.log.warn('a ledger block is absent in some region; stele verify reports it and --repair restores it', { key });
      }
      if (seqOfKey(key) <= this.head.seq) continue;
      const entries = decodeBlock(this.vault, key, (await this.readAny(key, regions, (b) => void decodeBlock(this.vault, key, b))).bytes);
      const { problems, head } = checkRun(entries, this.head);
      if (problems.length) {
        throw new SteleError('integrity', `ledger block ${key} does not continue the chain (${problems[0].kind} at ${problems[0].seq}); run stele verify`);
      }
      this.mirror.insert(entries);
      this.head = head;
    }
    for (const [key, regions] of await listAcrossRegions(this.vault, CHECKPOINT_PREFIX)) {
      if (regions.size < this.vault.regions.length) await this.copyToMissing(key, regions, CHECKPOINT_INTERRUPTED, (b) => this.assertSigned(b));
    }
    this.lastCheckpointSeq = this.head.seq;
    // On the ledger, so that an insider who deletes a copy leaves a trace even when it is put back.
    for (const r of this.recoveredCopies) {
      await this.append({ type: VAULT_REPAIRED, actor: 'system:ledger', subject: r.key, data: { region: r.region, from: r.from, finding: 'missing', detail: r.reason, at: 'open' } });
    }
  }

  /** The copies `open()` put back in regions that lacked them. */
  get recovered(): readonly LedgerRecovery[] {
    return this.recoveredCopies;
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

  /** Bytes of `key` from the first region holding a copy that passes `check`. */
  private async readAny(key: string, regions: Set<string>, check: (bytes: Buffer) => void): Promise<{ bytes: Buffer; region: string }> {
    for (const store of this.vault.regions) {
      if (!regions.has(store.region)) continue;
      try {
        const bytes = await store.get(key);
        check(bytes);
        return { bytes, region: store.region };
      } catch (err) {
        this.log.warn('ledger object unusable in a region', { key, region: store.region, err });
      }
    }
    throw new SteleError('integrity', `ledger object ${key} is unreadable in every region`);
  }

  private assertSigned(bytes: Buffer): void {
    if (!checkpointSignatureValid(this.sodium, decodeCheckpoint(bytes), this.vault.keyring.signing.publicKey)) {
      throw new SteleError('integrity', 'checkpoint signature does not verify with the archive key');
    }
  }

  private async copyToMissing(key: string, regions: Set<string>, reason: string, check: (bytes: Buffer) => void): Promise<void> {
    let good: { bytes: Buffer; region: string };
    try {
      good = await this.readAny(key, regions, check);
    } catch (err) {
      // Never spread a copy that does not verify (a forged checkpoint, say): verify reports it.
      if (key.startsWith(CHECKPOINT_PREFIX) && isSteleError(err, 'integrity')) return;
      throw err;
    }
    for (const store of this.vault.regions) {
      if (regions.has(store.region)) continue;
      await store.put(key, good.bytes, { retainUntil: PERMANENT });
      this.recoveredCopies.push({ key, region: store.region, from: good.region, reason });
      this.log.warn('copied a ledger object to a region that lacked it', { key, region: store.region, from: good.region });
    }
  }
}
