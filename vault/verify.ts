// `stele verify`: proves the ledger chain and its signed checkpoints in every region, and
// re-reads every archived object in every region (it must open and hash to its address).
// Reports typed findings, as restic's checker does, and with `repair` restores missing,
// damaged, forged or edited copies from a region whose copy verifies, recording each on the ledger.
import { createHash } from 'node:crypto';
import { isSteleError } from '../core/errors.ts';
import type { ObjectStore } from './port.ts';
import { PERMANENT } from './port.ts';
import type { Vault } from './regions.ts';
import type { Sodium } from './sodium.ts';
import type { LedgerEntry } from './ledger/chain.ts';
import { BLOCK_PREFIX, CHECKPOINT_PREFIX } from './ledger/blocks.ts';
import { checkLedger, digestOf, type LedgerCheck, type LedgerCopy } from './ledger/check.ts';
import type { LedgerRecovery } from './ledger/ledger.ts';

/** Messages checked at once: enough to keep reads and CPU busy, few enough to bound memory (each holds its sealed and opened bytes). */
const VERIFY_CONCURRENCY = 4;

export type FindingKind = 'missing' | 'mismatch' | 'orphan' | 'chain_break' | 'checkpoint_invalid';

export interface Finding {
  kind: FindingKind;
  region: string;
  /** The object concerned; for a chain_break, the block the break was seen in. */
  key?: string;
  seq?: number;
  detail: string;
  repaired?: boolean;
}

export interface VerifyReport {
  ok: boolean;
  findings: Finding[];
  entries: number;
  objects: number;
  bytes: number;
  seconds: number;
}

/** What the archive's messages look like on the ledger (message events are defined in ingest/). */
export interface MessageEvents {
  /** Types whose subject is a message that must be in the vault. */
  stored: string[];
  /** Types whose subject is a message that was lawfully destroyed. */
  destroyed: string[];
  keyOf(sha256: string): string;
  objectPrefix: string;
}

export interface VerifyOptions {
  vault: Vault;
  sodium: Sodium;
  messages: MessageEvents;
  repair?: boolean;
  /** Called for every repair so it is on the ledger; absent in read-only checks. */
  recordRepair?: (f: Finding, from: string) => Promise<void>;
  onProgress?: (done: number, total: number) => void;
  /** What `Ledger.open()` copied back before this check (its `recovered`): reported as repaired `missing` findings. */
  recovered?: readonly LedgerRecovery[];
}

export async function verifyArchive(opts: VerifyOptions): Promise<VerifyReport> {
  const started = Date.now();
  const findings: Finding[] = (opts.recovered ?? []).map(recoveredFinding);
  const ledger = await checkLedger(opts.vault, opts.sodium, findings);
  const { objects, bytes } = await verifyMessages(opts, ledger.entries, findings);
  if (opts.repair) await repair(opts, findings, ledger);
  return {
    ok: findings.every((f) => f.repaired),
    findings,
    entries: ledger.entries.length,
    objects,
    bytes,
    seconds: (Date.now() - started) / 1000,
  };
}

/** A copy the ledger put back at start-up is reported, so a removal never heals unseen. */
function recoveredFinding(r: LedgerRecovery): Finding {
  return { kind: 'missing', region: r.region, key: r.key, detail: `${r.reason}; copied from region ${r.from} when the ledger was opened (vault.repaired on the ledger)`, repaired: true };
}

async function verifyMessages(opts: VerifyOptions, entries: LedgerEntry[], findings: Finding[]): Promise<{ objects: number; bytes: number }> {
  const expected = new Set<string>();
  for (const e of entries) {
    if (!e.subject) continue;
    if (opts.messages.stored.includes(e.type)) expected.add(e.subject);
    else if (opts.messages.destroyed.includes(e.type)) expected.delete(e.subject);
  }
  let objects = 0;
  let bytes = 0;
  let done = 0;
  // A few messages at once, so one object's read overlaps another's opening and hashing
  // (one at a time left the CPU idle on every read); results keep the ledger's order.
  const shas = [...expected];
  const results: Array<Array<Finding | { size: number }>> = new Array(shas.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(VERIFY_CONCURRENCY, shas.length) }, async () => {
    for (let i = next++; i < shas.length; i = next++) {
      const key = opts.messages.keyOf(shas[i]);
      const perRegion: Array<Finding | { size: number }> = [];
      for (const store of opts.vault.regions) perRegion.push(await checkObject(opts, store, key, shas[i]));
      results[i] = perRegion;
      opts.onProgress?.(++done, shas.length);
    }
  }));
  for (const perRegion of results) {
    for (const result of perRegion) {
      if ('kind' in result) findings.push(result);
      else (objects++, (bytes += result.size));
    }
  }
  for (const store of opts.vault.regions) {
    for await (const key of store.list(opts.messages.objectPrefix)) {
      const sha = key.slice(key.lastIndexOf('/') + 1);
      if (!expected.has(sha)) findings.push({ kind: 'orphan', region: store.region, key, detail: 'object not on the ledger (an ingest that was never acknowledged, or foreign data)' });
    }
  }
  return { objects, bytes };
}

async function checkObject(opts: VerifyOptions, store: ObjectStore, key: string, sha: string): Promise<Finding | { size: number }> {
  let sealed: Buffer;
  try {
    sealed = await store.get(key);
  } catch (err) {
    if (isSteleError(err, 'not_found')) return { kind: 'missing', region: store.region, key, detail: 'archived message absent in this region' };
    return { kind: 'mismatch', region: store.region, key, detail: (err as Error).message };
  }
  try {
    const plain = opts.vault.unseal(key, sealed);
    if (createHash('sha256').update(plain).digest('hex') !== sha) {
      return { kind: 'mismatch', region: store.region, key, detail: 'content does not hash to its address' };
    }
  } catch (err) {
    return { kind: 'mismatch', region: store.region, key, detail: (err as Error).message };
  }
  return { size: sealed.length };
}

/** Where a repair takes its bytes from: a region whose copy was proven good. */
interface Source {
  store: ObjectStore;
  bytes: Buffer;
}

/**
 * Copies proven-good bytes over missing, damaged, forged or edited copies, one ledger event per
 * copy written. Orphans, and damage no region holds a good copy of, are left for a person.
 */
async function repair(opts: VerifyOptions, findings: Finding[], ledger: LedgerCheck): Promise<void> {
  const restored = new Set<string>(); // `${region} ${key}` written in this pass
  // Copies first: a chain break is often just a block missing or unreadable in that region.
  const breaks = findings.filter((f) => f.kind === 'chain_break');
  for (const f of findings) {
    if (f.repaired || !f.key || f.kind === 'orphan' || f.kind === 'chain_break') continue;
    const source = isLedgerKey(f.key) ? await goodLedgerCopy(opts, f.key, f.region, ledger) : await healthyMessage(opts, f.key, f.region);
    if (!source) continue;
    await writeCopy(opts, f.key, f.region, source, f.kind === 'missing');
    restored.add(`${f.region} ${f.key}`);
    f.repaired = true;
    await opts.recordRepair?.(f, source.store.region);
  }
  for (const f of breaks) await mendChain(opts, f, ledger, restored);
}

/** Restores the blocks a chain break may lie in, where this region's copy differs from a good one. */
async function mendChain(opts: VerifyOptions, f: Finding, ledger: LedgerCheck, restored: Set<string>): Promise<void> {
  for (const key of ledger.suspects.get(f) ?? []) {
    if (restored.has(`${f.region} ${key}`)) {
      f.repaired = true;
      continue;
    }
    const mine = ledger.copies.get(key)?.get(f.region);
    if (!mine || mine.good) continue; // absent or unreadable: its own finding; good: not here
    const source = await goodLedgerCopy(opts, key, f.region, ledger);
    if (!source) continue;
    await writeCopy(opts, key, f.region, source, false);
    restored.add(`${f.region} ${key}`);
    f.repaired = true;
    await opts.recordRepair?.({ ...f, key }, source.store.region);
  }
}

const isLedgerKey = (key: string) => key.startsWith(BLOCK_PREFIX) || key.startsWith(CHECKPOINT_PREFIX);

/** A copy of a block or checkpoint that verified in another region and differs from the target's. */
async function goodLedgerCopy(opts: VerifyOptions, key: string, target: string, ledger: LedgerCheck): Promise<Source | null> {
  const copies = ledger.copies.get(key) ?? new Map<string, LedgerCopy>();
  const mine = copies.get(target);
  for (const [region, copy] of copies) {
    if (region === target || !copy.good || copy.digest === mine?.digest) continue;
    const store = opts.vault.regions.find((r) => r.region === region)!;
    try {
      const bytes = await store.get(key);
      if (digestOf(bytes) === copy.digest) return { store, bytes }; // unchanged since it was checked
    } catch {
      // unreadable now; try the next region
    }
  }
  return null;
}

async function healthyMessage(opts: VerifyOptions, key: string, target: string): Promise<Source | null> {
  const sha = key.slice(key.lastIndexOf('/') + 1);
  for (const store of opts.vault.regions) {
    if (store.region === target) continue;
    try {
      const bytes = await store.get(key);
      if (!('kind' in (await checkObject(opts, store, key, sha)))) return { store, bytes };
    } catch {
      // this region has no good copy either; try the next
    }
  }
  return null;
}

/** Writes the good copy with the source's lock state; restore() keeps the damaged bytes aside. */
async function writeCopy(opts: VerifyOptions, key: string, region: string, source: Source, missing: boolean): Promise<void> {
  const target = opts.vault.regions.find((r) => r.region === region)!;
  const info = await source.store.head(key);
  const lock = { retainUntil: info?.retainUntil ?? PERMANENT, legalHold: info?.legalHold ?? false };
  if (missing) await target.put(key, source.bytes, lock);
  else await target.restore(key, source.bytes, lock);
}
