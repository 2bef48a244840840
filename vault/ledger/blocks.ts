// Where ledger blocks and checkpoints live in the vault, and how a block is encoded.
import type { Vault } from '../regions.ts';
import type { Checkpoint, LedgerEntry } from './chain.ts';

export const BLOCK_PREFIX = 'ledger/blocks/';
export const CHECKPOINT_PREFIX = 'ledger/checkpoints/';

const pad = (seq: number) => String(seq).padStart(12, '0');

export const blockKey = (firstSeq: number) => `${BLOCK_PREFIX}${pad(firstSeq)}`;
export const checkpointKey = (seq: number) => `${CHECKPOINT_PREFIX}${pad(seq)}`;
export const seqOfKey = (key: string) => Number(key.slice(key.lastIndexOf('/') + 1));

/** A block is the JSON lines of its entries, sealed like every other object. */
export function encodeBlock(vault: Vault, entries: readonly LedgerEntry[]): Buffer {
  const key = blockKey(entries[0].seq);
  return vault.seal(key, Buffer.from(entries.map((e) => JSON.stringify(e)).join('\n')));
}

export function decodeBlock(vault: Vault, key: string, sealed: Buffer): LedgerEntry[] {
  const text = vault.unseal(key, sealed).toString('utf8');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as LedgerEntry);
}

export function encodeCheckpoint(cp: Checkpoint): Buffer {
  return Buffer.from(JSON.stringify(cp));
}

/** Throws (SyntaxError or TypeError) on bytes that are not a checkpoint, so callers can report them. */
export function decodeCheckpoint(buf: Buffer): Checkpoint {
  const cp = JSON.parse(buf.toString('utf8')) as Partial<Checkpoint> | null;
  if (
    cp === null || typeof cp !== 'object' || !Number.isSafeInteger(cp.seq) || typeof cp.hash !== 'string' ||
    typeof cp.time !== 'string' || typeof cp.publicKey !== 'string' || typeof cp.signature !== 'string'
  ) {
    throw new TypeError('not a checkpoint object {seq, hash, time, publicKey, signature}');
  }
  return cp as Checkpoint;
}

/** Sorted union of the keys under a prefix across all regions, with which regions hold each. */
export async function listAcrossRegions(vault: Vault, prefix: string): Promise<Map<string, Set<string>>> {
  const where = new Map<string, Set<string>>();
  await Promise.all(
    vault.regions.map(async (store) => {
      for await (const key of store.list(prefix)) {
        let set = where.get(key);
        if (!set) where.set(key, (set = new Set()));
        set.add(store.region);
      }
    }),
  );
  return new Map([...where].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
