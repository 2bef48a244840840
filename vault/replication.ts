// The replication checker: walks every region's object list side by side, finds copies that are
// missing (or, by size or a full re-read, damaged) in a region, and copies them from a healthy
// region, recording each repair on the ledger. Separate from ingest; see docs/scale.md.
import { createHash } from 'node:crypto';
import { SteleError, describe as describeError, isSteleError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { BLOCK_PREFIX, CHECKPOINT_PREFIX, decodeBlock, decodeCheckpoint } from './ledger/blocks.ts';
import type { Ledger } from './ledger/ledger.ts';
import { MESSAGE_DESTROYED, MESSAGE_EVENTS, MESSAGE_INGESTED } from './messages.ts';
import { PERMANENT, type ObjectStore, type PutOptions } from './port.ts';
import type { Vault } from './regions.ts';

/** The ledger event of a repaired copy; the same one `stele verify --repair` writes. */
export const VAULT_REPAIRED = 'vault.repaired';

/** Everything the archive keeps in the vault: messages, ledger blocks, checkpoints. */
export const REPLICATED_PREFIXES: readonly string[] = [MESSAGE_EVENTS.objectPrefix, BLOCK_PREFIX, CHECKPOINT_PREFIX];

/**
 * missing: absent in this region while another has it; damaged: this copy does not open or hash
 * to its address (found by a size difference or a re-read); unacknowledged: present in some
 * regions only but not (or no longer) on the ledger, so it is not copied (an ingest that got a
 * 451, one still in flight, or a destruction half done); unrepairable: no region has a good copy.
 */
export type ReplicationFindingKind = 'missing' | 'damaged' | 'unacknowledged' | 'unrepairable';

export interface ReplicationFinding {
  kind: ReplicationFindingKind;
  key: string;
  region: string;
  detail: string;
  /** The region the good copy came from, once repaired. */
  from?: string;
  repaired?: boolean;
}

export interface ReplicationReport {
  /** False when a missing or damaged copy is left unrepaired. */
  ok: boolean;
  /** Distinct keys seen in any region. */
  objects: number;
  rehashed: boolean;
  findings: ReplicationFinding[];
  seconds: number;
}

export interface ReplicationOptions {
  vault: Vault;
  prefixes?: readonly string[];
  /** Re-read and check every copy, not only compare lists and sizes (slow: reads everything). */
  rehash?: boolean;
  /** Copy good bytes over missing and damaged copies; false only reports. */
  repair?: boolean;
  /** Whether a key present in some regions only may be copied to the others. */
  mayCopy: (key: string) => boolean;
  /** Called after each repair so it is on the ledger. */
  recordRepair?: (f: ReplicationFinding) => Promise<void>;
  /** Checked between keys so a stopping service need not wait for a whole pass. */
  shouldStop?: () => boolean;
  /** Keys checked at once (each costs a HEAD per region). */
  concurrency?: number;
}

const DEFAULT_CONCURRENCY = 8;

/** Pause between passes: a lost copy is found within this, long after any ingest has settled. */
export const DEFAULT_REPLICATION_INTERVAL_MS = 15 * 60_000;
/** With the default interval, a full re-read about once a day (96 passes of 15 minutes). */
export const DEFAULT_REHASH_EVERY = 96;

/** One pass over every region. Throws (retryable) when a region cannot be listed at all. */
export async function checkReplication(opts: ReplicationOptions): Promise<ReplicationReport> {
  const started = Date.now();
  const findings: ReplicationFinding[] = [];
  let objects = 0;
  const width = opts.concurrency ?? DEFAULT_CONCURRENCY;
  for (const prefix of opts.prefixes ?? REPLICATED_PREFIXES) {
    let batch: Array<{ key: string; present: ObjectStore[] }> = [];
    const flush = async () => {
      const results = await Promise.all(batch.map((b) => checkKey(opts, b.key, b.present)));
      for (const r of results) findings.push(...r);
      batch = [];
    };
    for await (const entry of mergeListings(opts.vault.regions, prefix)) {
      if (opts.shouldStop?.()) break;
      objects++;
      batch.push(entry);
      if (batch.length >= width) await flush();
    }
    await flush();
    if (opts.shouldStop?.()) break;
  }
  return {
    ok: findings.every((f) => f.repaired || f.kind === 'unacknowledged'),
    objects,
    rehashed: !!opts.rehash,
    findings,
    seconds: (Date.now() - started) / 1000,
  };
}

/** Merges the regions' sorted listings: each key once, with the regions that have it. */
async function* mergeListings(stores: readonly ObjectStore[], prefix: string): AsyncGenerator<{ key: string; present: ObjectStore[] }> {
  const iterators = stores.map((s) => s.list(prefix)[Symbol.asyncIterator]());
  const heads = await Promise.all(iterators.map((it) => it.next()));
  for (;;) {
    let min: string | undefined;
    for (const h of heads) if (!h.done && (min === undefined || h.value < min)) min = h.value;
    if (min === undefined) return;
    const present: ObjectStore[] = [];
    await Promise.all(
      heads.map(async (h, i) => {
        if (h.done || h.value !== min) return;
        present.push(stores[i]);
        heads[i] = await iterators[i].next();
      }),
    );
    yield { key: min, present: stores.filter((s) => present.includes(s)) };
  }
}

async function checkKey(opts: ReplicationOptions, key: string, present: ObjectStore[]): Promise<ReplicationFinding[]> {
  const absent = opts.vault.regions.filter((s) => !present.includes(s));
  if (absent.length > 0) {
    if (!opts.mayCopy(key)) {
      return absent.map((s) => ({ kind: 'unacknowledged' as const, key, region: s.region, detail: `only in ${present.map((p) => p.region).join(', ')} and not live on the ledger: not copied` }));
    }
    const found = absent.map((s) => ({ kind: 'missing' as const, key, region: s.region, detail: `absent; present in ${present.map((p) => p.region).join(', ')}` }));
    return opts.repair ? repairCopies(opts, key, present, absent, found) : found;
  }
  const suspects = await findDamaged(opts, key, present);
  if (suspects.length === 0) return [];
  const found = suspects.map((s) => ({ kind: 'damaged' as const, key, region: s.store.region, detail: s.why }));
  const damaged = suspects.map((s) => s.store);
  return opts.repair ? repairCopies(opts, key, present.filter((s) => !damaged.includes(s)), damaged, found) : found;
}

/**
 * Copies that do not open or hash to their address. Sizes are compared first (one HEAD per
 * region); every copy is read only when the sizes differ or a full re-read was asked for.
 */
async function findDamaged(opts: ReplicationOptions, key: string, stores: ObjectStore[]): Promise<Array<{ store: ObjectStore; why: string }>> {
  let why = 'content does not open or hash to its address (re-read)';
  if (!opts.rehash) {
    // A copy whose metadata cannot even be read (fs: a damaged header) counts as a size of -1.
    const sizes = await Promise.all(stores.map((s) => s.head(key).then((h) => h?.size ?? -1, (err: unknown) => {
      if (isSteleError(err, 'storage_unavailable')) throw err;
      return -1;
    })));
    if (sizes.every((n) => n === sizes[0])) return [];
    why = `size differs between regions (${stores.map((s, i) => `${s.region}: ${sizes[i]}`).join(', ')}) and this copy does not open`;
  }
  const out: Array<{ store: ObjectStore; why: string }> = [];
  for (const store of stores) {
    const good = await store.get(key).then((b) => intact(opts.vault, key, b), (err: unknown) => {
      if (isSteleError(err, 'storage_unavailable')) throw err; // a region down is not damage
      return false;
    });
    if (!good) out.push({ store, why });
  }
  return out;
}

/** Whether bytes are a good copy of `key`: messages open and hash to their address, blocks open. */
export function intact(vault: Vault, key: string, bytes: Buffer): boolean {
  try {
    if (key.startsWith(MESSAGE_EVENTS.objectPrefix)) {
      const sha = key.slice(key.lastIndexOf('/') + 1);
      return createHash('sha256').update(vault.unseal(key, bytes)).digest('hex') === sha;
    }
    if (key.startsWith(BLOCK_PREFIX)) return decodeBlock(vault, key, bytes).length > 0;
    if (key.startsWith(CHECKPOINT_PREFIX)) return decodeCheckpoint(bytes).seq > 0;
    return true;
  } catch {
    return false;
  }
}

/** Copies a verified good copy from `sources` to every target, carrying its lock state over. */
async function repairCopies(opts: ReplicationOptions, key: string, sources: ObjectStore[], targets: ObjectStore[], found: ReplicationFinding[]): Promise<ReplicationFinding[]> {
  const good = await goodCopy(opts.vault, key, sources);
  if (!good) return found.map((f) => ({ ...f, kind: 'unrepairable' as const, detail: `${f.detail}; no region has a good copy` }));
  for (const [i, target] of targets.entries()) {
    const f = found[i];
    try {
      if (f.kind === 'missing') await target.put(key, good.bytes, good.lock);
      else await target.restore(key, good.bytes, good.lock);
    } catch (err) {
      // Written meanwhile by the ingest that owns it (put-once): nothing left to repair.
      if (f.kind === 'missing' && isSteleError(err, 'object_exists')) {
        found[i] = { ...f, repaired: true, from: good.store.region, detail: `${f.detail}; written meanwhile` };
        continue;
      }
      throw err;
    }
    found[i] = { ...f, repaired: true, from: good.store.region };
    await opts.recordRepair?.(found[i]);
  }
  return found;
}

async function goodCopy(vault: Vault, key: string, sources: ObjectStore[]): Promise<{ store: ObjectStore; bytes: Buffer; lock: PutOptions } | null> {
  for (const store of sources) {
    try {
      const bytes = await store.get(key);
      if (!intact(vault, key, bytes)) continue;
      const info = await store.head(key);
      return { store, bytes, lock: { retainUntil: info?.retainUntil ?? PERMANENT, legalHold: info?.legalHold ?? false } };
    } catch (err) {
      if (!isSteleError(err, 'not_found')) throw err; // gone meanwhile (a lawful destruction): try the next
    }
  }
  return null;
}

/**
 * What may be copied, read from the ledger: a message only while it is ingested and not
 * destroyed (never resurrect a message whose destruction is half done, never spread the leftovers
 * of an ingest that was refused); ledger blocks and checkpoints always (the ledger copies them the
 * same way when it opens).
 */
export function liveOnLedger(ledger: Pick<Ledger, 'first'>): (key: string) => boolean {
  return (key) => {
    if (key.startsWith(BLOCK_PREFIX) || key.startsWith(CHECKPOINT_PREFIX)) return true;
    if (!key.startsWith(MESSAGE_EVENTS.objectPrefix)) return false;
    const sha = key.slice(key.lastIndexOf('/') + 1);
    return ledger.first(MESSAGE_INGESTED, sha) !== null && ledger.first(MESSAGE_DESTROYED, sha) === null;
  };
}

/** What a replication job needs of the composition root (server/stele.ts's Core fits). */
export interface ReplicationHost {
  vault: Vault;
  ledger: Ledger;
  log: Logger;
}

export interface ReplicationJobOptions {
  /** Pause between the end of one pass and the start of the next. */
  intervalMs: number;
  /** Every Nth pass re-reads every copy (0: never). */
  rehashEvery?: number;
  /** Who the ledger names as the repairer. */
  actor?: string;
  onReport?: (r: ReplicationReport) => void;
}

export interface ReplicationJob {
  /** Runs one pass now (waiting for a running one first); rejects when a region is down. */
  runOnce(opts?: { rehash?: boolean }): Promise<ReplicationReport>;
  readonly lastReport: ReplicationReport | null;
  /** Stops the schedule and waits for a running pass to end (it ends early, between keys). */
  stop(): Promise<void>;
}

/**
 * Runs the checker on a schedule in the process that owns the ledger (the ledger has one
 * writer: server/process-lock.ts), so repairs are appended by that writer. Passes never overlap.
 */
export function startReplicationJob(host: ReplicationHost, opts: ReplicationJobOptions): ReplicationJob {
  if (!(opts.intervalMs > 0)) throw new SteleError('bad_request', 'replication interval must be positive');
  let stopped = false;
  let passes = 0;
  let running: Promise<ReplicationReport> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let lastReport: ReplicationReport | null = null;
  const actor = opts.actor ?? 'system:replicate';

  const pass = (rehash: boolean): Promise<ReplicationReport> =>
    checkReplication({
      vault: host.vault, repair: true, rehash, mayCopy: liveOnLedger(host.ledger), shouldStop: () => stopped,
      recordRepair: async (f) => {
        await host.ledger.append({ type: VAULT_REPAIRED, actor, subject: f.key, data: { region: f.region, from: f.from, finding: f.kind, detail: f.detail } });
        host.log.warn('replication repaired a copy', { key: f.key, region: f.region, from: f.from, finding: f.kind });
      },
    });
  const runOnce = async (o: { rehash?: boolean } = {}): Promise<ReplicationReport> => {
    while (running) await running.catch(() => {});
    running = pass(!!o.rehash);
    try {
      lastReport = await running;
      opts.onReport?.(lastReport);
      return lastReport;
    } finally {
      running = null;
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(async () => {
      const rehash = !!opts.rehashEvery && ++passes % opts.rehashEvery === 0;
      try {
        const r = await runOnce({ rehash });
        if (!r.ok) host.log.error('replication left copies unrepaired', { findings: r.findings.filter((f) => !f.repaired && f.kind !== 'unacknowledged').length });
      } catch (err) {
        // A region down: the next pass retries; ingest answers 451 meanwhile, so nothing acked is at risk.
        host.log.warn('replication pass failed; will retry', { error: describeError(err) });
      }
      schedule();
    }, opts.intervalMs);
    timer.unref();
  };
  schedule();
  return {
    runOnce,
    get lastReport() {
      return lastReport;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      while (running) await running.catch(() => {});
    },
  };
}
