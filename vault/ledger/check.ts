// `stele verify`'s ledger half: every region's chain of blocks and its signed checkpoints are
// checked on their own, and each copy that verifies is noted, so a repair takes its bytes only
// from a copy proven good (chain hashes, links, signature) and never from the one that differs.
import { createHash } from 'node:crypto';
import type { Vault } from '../regions.ts';
import type { Sodium } from '../sodium.ts';
import type { Finding } from '../verify.ts';
import { GENESIS, checkRun, checkpointSignatureValid, type ChainProblem, type LedgerEntry } from './chain.ts';
import { BLOCK_PREFIX, CHECKPOINT_PREFIX, decodeBlock, decodeCheckpoint, listAcrossRegions, seqOfKey } from './blocks.ts';

/** One region's readable copy of a ledger object: a digest of its bytes, and whether it verifies. */
export interface LedgerCopy {
  digest: string;
  good: boolean;
}

export interface LedgerCheck {
  /** The entries of the longest region whose chain has no problem (empty if none). */
  entries: LedgerEntry[];
  /** key -> region -> that region's readable copy (absent and unreadable copies are not listed). */
  copies: Map<string, Map<string, LedgerCopy>>;
  /** For each chain_break finding in a block, the blocks of its region it may lie in. */
  suspects: Map<Finding, string[]>;
}

export const digestOf = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function noteCopy(copies: LedgerCheck['copies'], key: string, region: string, copy: LedgerCopy): void {
  let perRegion = copies.get(key);
  if (!perRegion) copies.set(key, (perRegion = new Map()));
  perRegion.set(region, copy);
}

/** Checks the chain in every region, then the checkpoints against the best chain. */
export async function checkLedger(vault: Vault, sodium: Sodium, findings: Finding[]): Promise<LedgerCheck> {
  const check: LedgerCheck = { entries: [], copies: new Map(), suspects: new Map() };
  check.entries = await checkBlocks(vault, findings, check);
  await checkCheckpoints(vault, sodium, findings, check);
  return check;
}

async function checkBlocks(vault: Vault, findings: Finding[], check: LedgerCheck): Promise<LedgerEntry[]> {
  const blocks = await listAcrossRegions(vault, BLOCK_PREFIX);
  const keys = [...blocks.keys()];
  let best: LedgerEntry[] = [];
  for (const store of vault.regions) {
    const entries: LedgerEntry[] = [];
    const mine = new Map<string, string>(); // key -> digest of this region's readable copy
    for (const [key, regions] of blocks) {
      if (!regions.has(store.region)) {
        findings.push({ kind: 'missing', region: store.region, key, detail: 'ledger block absent in this region' });
        continue;
      }
      try {
        const bytes = await store.get(key);
        entries.push(...decodeBlock(vault, key, bytes));
        mine.set(key, digestOf(bytes));
      } catch (err) {
        findings.push({ kind: 'mismatch', region: store.region, key, detail: `ledger block unreadable: ${(err as Error).message}` });
      }
    }
    const { problems } = checkRun(entries, { seq: 0, hash: GENESIS });
    const suspect = new Set<string>();
    for (const p of problems) {
      const f = chainBreak(store.region, p, keys);
      findings.push(f);
      const where = suspectBlocks(p, keys);
      where.forEach((k) => suspect.add(k));
      check.suspects.set(f, where);
    }
    for (const [key, digest] of mine) noteCopy(check.copies, key, store.region, { digest, good: !suspect.has(key) });
    if (problems.length === 0 && entries.length >= best.length) best = entries;
  }
  return best;
}

/** Where a problem is seen: a gap at the entry it expected, anything else at the entry itself. */
const anchorOf = (p: ChainProblem) => (p.kind === 'gap' ? p.expected : p.seq);

/** The block that holds (or should hold) seq: the last one starting at or before it. */
function blockOf(keys: readonly string[], seq: number): string | undefined {
  let found = keys[0];
  for (const k of keys) {
    if (seqOfKey(k) > seq) break;
    found = k;
  }
  return found;
}

function chainBreak(region: string, p: ChainProblem, keys: readonly string[]): Finding {
  const detail = p.kind === 'gap' ? `entries missing before seq ${p.seq}` : p.kind === 'bad_hash' ? `entry ${p.seq} was altered` : `entry ${p.seq} does not link to its predecessor`;
  return { kind: 'chain_break', region, seq: p.seq, key: blockOf(keys, anchorOf(p)), detail };
}

/**
 * A problem at a block's first entry may be that block's fault or the previous one's (its last
 * entry altered with a recomputed hash, or cut off): both are suspect; elsewhere only its own.
 */
function suspectBlocks(p: ChainProblem, keys: readonly string[]): string[] {
  const key = blockOf(keys, anchorOf(p));
  if (!key) return [];
  const i = keys.indexOf(key);
  return seqOfKey(key) === anchorOf(p) && i > 0 ? [key, keys[i - 1]] : [key];
}

async function checkCheckpoints(vault: Vault, sodium: Sodium, findings: Finding[], check: LedgerCheck): Promise<void> {
  const bySeq = new Map(check.entries.map((e) => [e.seq, e.hash]));
  const head = check.entries.length ? check.entries[check.entries.length - 1].seq : 0;
  const trusted = vault.keyring.signing.publicKey;
  for (const [key, regions] of await listAcrossRegions(vault, CHECKPOINT_PREFIX)) {
    for (const store of vault.regions) {
      if (!regions.has(store.region)) {
        findings.push({ kind: 'missing', region: store.region, key, detail: 'checkpoint absent in this region' });
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = await store.get(key);
      } catch (err) {
        findings.push({ kind: 'mismatch', region: store.region, key, detail: `checkpoint unreadable: ${(err as Error).message}` });
        continue;
      }
      const problem = judgeCheckpoint(sodium, trusted, bytes, head, bySeq);
      // A checkpoint past the ledger's end is the chain's problem, not this copy's: no key to repair.
      if (problem) findings.push(problem.kind === 'chain_break' ? { ...problem, region: store.region } : { ...problem, region: store.region, key });
      noteCopy(check.copies, key, store.region, { digest: digestOf(bytes), good: problem === null });
    }
  }
}

/** What is wrong with one checkpoint copy, or null when it is signed by the archive and matches the ledger. */
function judgeCheckpoint(sodium: Sodium, trusted: Uint8Array, bytes: Buffer, head: number, bySeq: Map<number, string>): Pick<Finding, 'kind' | 'seq' | 'detail'> | null {
  let cp;
  try {
    cp = decodeCheckpoint(bytes);
  } catch (err) {
    return { kind: 'checkpoint_invalid', detail: `not a checkpoint: ${(err as Error).message}` };
  }
  if (!checkpointSignatureValid(sodium, cp, trusted)) return { kind: 'checkpoint_invalid', seq: cp.seq, detail: 'signature does not verify with the archive key' };
  if (cp.seq > head) return { kind: 'chain_break', seq: cp.seq, detail: `ledger ends at ${head} but a signed checkpoint covers ${cp.seq}: entries were removed` };
  if (bySeq.get(cp.seq) !== cp.hash) return { kind: 'checkpoint_invalid', seq: cp.seq, detail: 'checkpoint hash differs from the ledger' };
  return null;
}
