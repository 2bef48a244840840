// The WORM object-store port: what every vault adapter (fs, s3) promises. One region = one store.
//
// Contract (each adapter passes vault/contract.ts, the one shared suite):
// - Keys are relative paths of [a-z0-9/._-], no "..", no leading "/". Adapters reject others
//   with `bad_request` so a key can never escape the store.
// - put(key, body, opts) is put-once. It returns only when the object is durable (fsync'd or
//   acknowledged by the server). If the key already exists it throws `object_exists` and leaves
//   the stored object untouched; callers that retry after a partial failure treat that as
//   "already stored". A failed put leaves no partial object visible under the key.
// - get/head of a missing key: get throws `not_found`, head returns null.
// - extendRetention(key, until) only grows retain-until; an earlier date throws
//   `retention_shorten`. Idempotent for the same date.
// - setLegalHold(key, on) is idempotent. The store keeps one flag; counting several holds on
//   one object is the caller's job (retention/ keeps the count, the flag is on while it is > 0).
// - delete(key) is refused with `legal_hold` while the flag is on and with `retention_active`
//   before retain-until, whoever calls it: WORM is enforced here, at the bottom (invariant 3).
//   Deleting a missing key throws `not_found`.
// - restore(key, body, opts) is for `stele verify --repair` only: it writes a good copy over
//   a copy proven damaged. The damaged bytes are kept aside, never destroyed (fs: moved to
//   quarantine/; s3: the old locked version stays under the new one). The lock state is
//   carried over and only ever grows.
// - Any failure of the backend itself (disk, network, server) is a SteleError with code
//   `storage_unavailable` and retryable = true.

export interface PutOptions {
  /** The object may not be deleted before this instant. */
  retainUntil: Date;
  /** Whether a legal hold applies from the start. */
  legalHold?: boolean;
}

export interface ObjectInfo {
  key: string;
  size: number;
  retainUntil: Date;
  legalHold: boolean;
}

export interface ObjectStore {
  /** The region's name, for findings and metrics ("a", "b"). */
  readonly region: string;
  /** A printable address of the backend with any password stripped. */
  readonly address: string;
  put(key: string, body: Buffer, opts: PutOptions): Promise<void>;
  get(key: string): Promise<Buffer>;
  head(key: string): Promise<ObjectInfo | null>;
  /** Keys under a prefix, in lexicographic order. */
  list(prefix: string): AsyncIterable<string>;
  setLegalHold(key: string, on: boolean): Promise<void>;
  extendRetention(key: string, until: Date): Promise<void>;
  delete(key: string): Promise<void>;
  restore(key: string, body: Buffer, opts: PutOptions): Promise<void>;
  /** Cheap liveness check for /health: throws `storage_unavailable` when the region is down. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Retain-until for records kept forever (ledger, certificates). */
export const PERMANENT = new Date('9999-12-31T00:00:00Z');

const KEY_RE = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;

export function isValidKey(key: string): boolean {
  return key.length <= 512 && KEY_RE.test(key) && !key.split('/').includes('..');
}
