// `stele verify`: proves the ledger chain and its signed checkpoints in every region, and
// re-reads every archived object in every region (it must open and hash to its address).
// Reports typed findings, as restic's checker does, and with `repair` restores damaged or
// missing copies from a healthy region, recording each repair on the ledger.
import { createHash } from 'node:crypto';
import { isSteleError } from '../core/errors.ts';
import type { ObjectStore } from './port.ts';
import { PERMANENT } from './port.ts';
import type { Vault } from './regions.ts';
import type { Sodium } from './sodium.ts';
import { GENESIS, checkRun, checkpointSignatureValid, type LedgerEntry } from './ledger/chain.ts';
import { BLOCK_PREFIX, CHECKPOINT_PREFIX, decodeBlock, decodeCheckpoint, listAcrossRegions } from './ledger/blocks.ts';

/** Messages checked at once: enough to keep reads and CPU busy, few enough to bound memory (each holds its sealed and opened bytes). */
const VERIFY_CONCURRENCY = 4;

export type FindingKind = 'missing' | 'mismatch' | 'orphan' | 'chain_break' | 'checkpoint_invalid';

export interface Finding {
  kind: FindingKind;
  region: string;
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
}

export async function verifyArchive(opts: VerifyOptions): Promise<VerifyReport> {
  const started = Date.now();
  const findings: Finding[] = [];
  const { entries, goodBlocks } = await verifyLedger(opts, findings);
  await verifyCheckpoints(opts, entries, findings);
  const { objects, bytes } = await verifyMessages(opts, entries, findings);
  if (opts.repair) await repair(opts, findings, goodBlocks);
  return {
    ok: findings.every((f) => f.repaired),
    findings,
    entries: entries.length,
    objects,
    bytes,
    seconds: (Date.now() - started) / 1000,
  };
}

/** Reads every region's chain on its own; returns the entries of the best region. */
async function verifyLedger(opts: VerifyOptions, findings: Finding[]): Promise<{ entries: LedgerEntry[]; goodBlocks: Map<string, string> }> {
  const blocks = await listAcrossRegions(opts.vault, BLOCK_PREFIX);
  const goodBlocks = new Map<string, string>(); // key -> a region with an intact copy
  let best: LedgerEntry[] = [];
  for (const store of opts.vault.regions) {
    const entries: LedgerEntry[] = [];
    for (const [key, regions] of blocks) {
      if (!regions.has(store.region)) {
        findings.push({ kind: 'missing', region: store.region, key, detail: 'ledger block absent in this region' });
        continue;
      }
      try {
        entries.push(...decodeBlock(opts.vault, key, await store.get(key)));
        if (!goodBlocks.has(key)) goodBlocks.set(key, store.region);
      } catch (err) {
        findings.push({ kind: 'mismatch', region: store.region, key, detail: `ledger block unreadable: ${(err as Error).message}` });
      }
    }
    const { problems } = checkRun(entries, { seq: 0, hash: GENESIS });
    for (const p of problems) {
      findings.push({ kind: 'chain_break', region: store.region, seq: p.seq, detail: p.kind === 'gap' ? `entries missing before seq ${p.seq}` : p.kind === 'bad_hash' ? `entry ${p.seq} was altered` : `entry ${p.seq} does not link to its predecessor` });
    }
    if (problems.length === 0 && entries.length >= best.length) best = entries;
  }
  return { entries: best, goodBlocks };
}

async function verifyCheckpoints(opts: VerifyOptions, entries: LedgerEntry[], findings: Finding[]): Promise<void> {
  const bySeq = new Map(entries.map((e) => [e.seq, e.hash]));
  const head = entries.length ? entries[entries.length - 1].seq : 0;
  const cps = await listAcrossRegions(opts.vault, CHECKPOINT_PREFIX);
  for (const [key, regions] of cps) {
    for (const store of opts.vault.regions) {
      if (!regions.has(store.region)) {
        findings.push({ kind: 'missing', region: store.region, key, detail: 'checkpoint absent in this region' });
        continue;
      }
      const cp = decodeCheckpoint(await store.get(key));
      if (!checkpointSignatureValid(opts.sodium, cp, opts.vault.keyring.signing.publicKey)) {
        findings.push({ kind: 'checkpoint_invalid', region: store.region, key, seq: cp.seq, detail: 'signature does not verify with the archive key' });
      } else if (cp.seq > head) {
        findings.push({ kind: 'chain_break', region: store.region, seq: cp.seq, detail: `ledger ends at ${head} but a signed checkpoint covers ${cp.seq}: entries were removed` });
      } else if (bySeq.get(cp.seq) !== cp.hash) {
        findings.push({ kind: 'checkpoint_invalid', region: store.region, key, seq: cp.seq, detail: 'checkpoint hash differs from the ledger' });
      }
    }
  }
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

/** Copies intact bytes over missing or damaged ones; orphans and chain breaks need a person. */
async function repair(opts: VerifyOptions, findings: Finding[], goodBlocks: Map<string, string>): Promise<void> {
  for (const f of findings) {
    if ((f.kind !== 'missing' && f.kind !== 'mismatch') || !f.key) continue;
    const source = await findHealthy(opts, f, goodBlocks);
    if (!source) continue;
    const target = opts.vault.regions.find((r) => r.region === f.region)!;
    const info = await source.store.head(f.key);
    const lock = { retainUntil: info?.retainUntil ?? PERMANENT, legalHold: info?.legalHold ?? false };
    if (f.kind === 'missing') await target.put(f.key, source.bytes, lock);
    else await target.restore(f.key, source.bytes, lock);
    f.repaired = true;
    await opts.recordRepair?.(f, source.store.region);
  }
}

async function findHealthy(opts: VerifyOptions, f: Finding, goodBlocks: Map<string, string>): Promise<{ store: ObjectStore; bytes: Buffer } | null> {
  for (const store of opts.vault.regions) {
    if (store.region === f.region) continue;
    try {
      const bytes = await store.get(f.key!);
      if (f.key!.startsWith(BLOCK_PREFIX) || f.key!.startsWith(CHECKPOINT_PREFIX)) {
        if (f.key!.startsWith(BLOCK_PREFIX) && goodBlocks.get(f.key!) !== store.region) decodeBlock(opts.vault, f.key!, bytes);
        return { store, bytes };
      }
      const sha = f.key!.slice(f.key!.lastIndexOf('/') + 1);
      if (!('kind' in (await checkObject(opts, store, f.key!, sha)))) return { store, bytes };
    } catch {
      // this region has no good copy either; try the next
    }
  }
  return null;
}
