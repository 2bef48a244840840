// The hash chain itself, apart from storage (as transparency logs keep the log core apart
// from what is logged): entry hashes, checkpoint signatures, and checks over a run of entries.
// Leaf and checkpoint inputs carry distinct prefixes so one can never pass for the other.
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical.ts';
import type { Sodium } from '../sodium.ts';

export interface LedgerEvent {
  type: string;
  /** Who caused it: a user name, "ingest:<token id>", "smtp:<ip>", "system". */
  actor: string;
  /** What it is about (a message sha256, a hold id, ...), indexed for look-ups. */
  subject?: string;
  data: Record<string, unknown>;
}

export interface LedgerEntry extends LedgerEvent {
  seq: number;
  time: string;
  prev: string;
  hash: string;
}

export interface Checkpoint {
  seq: number;
  hash: string;
  time: string;
  publicKey: string;
  signature: string;
}

export const GENESIS = '0'.repeat(64);
const LEAF_PREFIX = Buffer.from([0x00]);
const CHECKPOINT_PREFIX = 'stele-checkpoint-v1\n';

export function entryHash(e: Omit<LedgerEntry, 'hash'>): string {
  const body = canonicalJson({ seq: e.seq, time: e.time, type: e.type, actor: e.actor, subject: e.subject, data: e.data, prev: e.prev });
  return createHash('sha256').update(LEAF_PREFIX).update(body).digest('hex');
}

export function makeEntry(event: LedgerEvent, seq: number, prev: string, time: Date): LedgerEntry {
  const partial = { seq, time: time.toISOString(), type: event.type, actor: event.actor, subject: event.subject, data: event.data, prev };
  return { ...partial, hash: entryHash(partial) };
}

function checkpointMessage(seq: number, hash: string, time: string): Buffer {
  return Buffer.from(`${CHECKPOINT_PREFIX}${seq}\n${hash}\n${time}`);
}

export function signCheckpoint(sodium: Sodium, secretKey: Uint8Array, publicKey: Uint8Array, head: { seq: number; hash: string }, time: Date): Checkpoint {
  const t = time.toISOString();
  const sig = sodium.crypto_sign_detached(checkpointMessage(head.seq, head.hash, t), secretKey);
  return { seq: head.seq, hash: head.hash, time: t, publicKey: Buffer.from(publicKey).toString('base64'), signature: Buffer.from(sig).toString('base64') };
}

export function checkpointSignatureValid(sodium: Sodium, cp: Checkpoint, trustedPublicKey: Uint8Array): boolean {
  try {
    return sodium.crypto_sign_verify_detached(
      Buffer.from(cp.signature, 'base64'),
      checkpointMessage(cp.seq, cp.hash, cp.time),
      trustedPublicKey,
    );
  } catch {
    return false;
  }
}

export type ChainProblem =
  | { kind: 'gap'; seq: number; expected: number }
  | { kind: 'bad_hash'; seq: number }
  | { kind: 'bad_link'; seq: number };

/** Checks that entries continue the chain from (seq, hash); returns the problems and the new head. */
export function checkRun(
  entries: readonly LedgerEntry[],
  from: { seq: number; hash: string },
): { problems: ChainProblem[]; head: { seq: number; hash: string } } {
  const problems: ChainProblem[] = [];
  let head = from;
  for (const e of entries) {
    if (e.seq !== head.seq + 1) problems.push({ kind: 'gap', seq: e.seq, expected: head.seq + 1 });
    else if (e.prev !== head.hash) problems.push({ kind: 'bad_link', seq: e.seq });
    if (entryHash(e) !== e.hash) problems.push({ kind: 'bad_hash', seq: e.seq });
    head = { seq: e.seq, hash: e.hash };
  }
  return { problems, head };
}
