// The vault's public API: open regions by URL, the two-region vault, ledger and verify.
import { SteleError } from '../core/errors.ts';
import type { Clock } from '../core/clock.ts';
import { stripPassword } from '../core/log.ts';
import { createFsStore } from './fs/fs-store.ts';
import type { ObjectStore } from './port.ts';

export type { ObjectStore, ObjectInfo, PutOptions } from './port.ts';
export { PERMANENT } from './port.ts';
export { Vault } from './regions.ts';
export { Ledger } from './ledger/ledger.ts';
export type { LedgerEntry, LedgerEvent } from './ledger/chain.ts';
export { loadOrCreateKeyring, rotateMasterKey, type Keyring } from './keyring.ts';
export { loadSodium, type Sodium } from './sodium.ts';
export { MESSAGE_INGESTED, MESSAGE_DUPLICATE, MESSAGE_DESTROYED, MESSAGE_EVENTS, messageKey } from './messages.ts';
export { verifyArchive, type Finding, type VerifyReport, type MessageEvents } from './verify.ts';

/**
 * Opens one region's store from its URL: `fs:<dir>` for the embedded default,
 * `s3://<access>:<secret>@host:port/<bucket>?region=<r>` (http) or `s3s://...` (https).
 */
export async function openStore(region: string, url: string, opts: { clock?: Clock } = {}): Promise<ObjectStore> {
  if (url.startsWith('fs:')) return createFsStore({ region, root: url.slice(3), clock: opts.clock });
  if (url.startsWith('s3://') || url.startsWith('s3s://')) {
    const { openS3FromUrl } = await import('./s3/from-url.ts');
    return openS3FromUrl(region, url);
  }
  throw new SteleError('bad_request', `unknown vault backend for region ${region}: ${stripPassword(url)} (use fs: or s3://)`);
}
