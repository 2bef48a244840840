// The on-disk layout of one fs object: a small header with the lock state the object was
// written with, then the body. Later lock changes live in a side file (see fs-store.ts), so
// creating an object costs one file fsync, not two.
import { SteleError } from '../../core/errors.ts';

const MAGIC = Buffer.from('SWO1');

export interface LockState {
  retainUntil: Date;
  legalHold: boolean;
}

export function encodeObjectHeader(state: LockState): Buffer {
  const json = Buffer.from(JSON.stringify({ retainUntil: state.retainUntil.toISOString(), legalHold: state.legalHold }));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  return Buffer.concat([MAGIC, len, json]);
}

export function decodeObjectFile(
  file: Buffer,
  key: string,
  opts: { headerOnly?: boolean } = {},
): { state: LockState; headerBytes: number; body: Buffer } {
  const bad = () => new SteleError('integrity', `object ${key} has a damaged header`);
  if (file.length < 8 || !file.subarray(0, 4).equals(MAGIC)) throw bad();
  const len = file.readUInt32BE(4);
  const headerBytes = 8 + len;
  if (len > 1024 || file.length < headerBytes) throw bad();
  let parsed: { retainUntil?: unknown; legalHold?: unknown };
  try {
    parsed = JSON.parse(file.subarray(8, headerBytes).toString('utf8'));
  } catch {
    throw bad();
  }
  const retainUntil = new Date(String(parsed.retainUntil));
  if (Number.isNaN(retainUntil.getTime()) || typeof parsed.legalHold !== 'boolean') throw bad();
  return {
    state: { retainUntil, legalHold: parsed.legalHold },
    headerBytes,
    body: opts.headerOnly ? Buffer.alloc(0) : file.subarray(headerBytes),
  };
}
