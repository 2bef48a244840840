// The two-region vault: every object is sealed once and written to every region before a
// write counts as done (invariant 1), reads fall back to the other region, and lock changes
// (holds, retention) are applied everywhere.
import { SteleError, isSteleError, storageError } from '../core/errors.ts';
import type { Keyring } from './keyring.ts';
import type { ObjectStore, PutOptions } from './port.ts';
import { seal, unseal } from './seal.ts';
import type { Sodium } from './sodium.ts';

export interface RegionErrorListener {
  (region: string, op: string, err: unknown): void;
}

export class Vault {
  constructor(
    readonly regions: readonly ObjectStore[],
    private readonly sodium: Sodium,
    readonly keyring: Keyring,
    private readonly onRegionError: RegionErrorListener = () => {},
  ) {
    if (regions.length < 2) throw new SteleError('bad_request', 'the vault needs at least two regions');
  }

  seal(key: string, plain: Buffer): Buffer {
    return seal(this.sodium, this.keyring, key, plain);
  }

  unseal(key: string, sealed: Buffer): Buffer {
    return unseal(this.sodium, this.keyring, key, sealed);
  }

  /**
   * Writes sealed bytes to every region; resolves only when all hold the object. A region that
   * already holds the key counts as written (a retry after a partial failure).
   */
  async putAll(key: string, sealed: Buffer, opts: PutOptions): Promise<void> {
    await this.everyRegion('put', async (store) => {
      try {
        await store.put(key, sealed, opts);
      } catch (err) {
        if (!isSteleError(err, 'object_exists')) throw err;
      }
    });
  }

  /** Reads and opens an object from the first region that has an intact copy. */
  async getOpened(key: string): Promise<Buffer> {
    let last: unknown;
    for (const store of this.regions) {
      try {
        return this.unseal(key, await store.get(key));
      } catch (err) {
        last = err;
        if (!isSteleError(err, 'not_found')) this.onRegionError(store.region, 'get', err);
      }
    }
    throw last;
  }

  async setLegalHold(key: string, on: boolean): Promise<void> {
    await this.everyRegion('hold', (s) => s.setLegalHold(key, on));
  }

  async extendRetention(key: string, until: Date): Promise<void> {
    await this.everyRegion('extend', (s) => s.extendRetention(key, until));
  }

  /** Deletes from every region; each adapter refuses on its own if retention or a hold applies. */
  async delete(key: string): Promise<void> {
    await this.everyRegion('delete', async (s) => {
      try {
        await s.delete(key);
      } catch (err) {
        if (!isSteleError(err, 'not_found')) throw err;
      }
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.regions.map((r) => r.close()));
  }

  /**
   * Runs an operation on all regions in parallel. Refusals by policy (hold, retention) pass
   * through as they are; any other failure becomes one retryable storage error naming the region.
   */
  private async everyRegion(op: string, fn: (s: ObjectStore) => Promise<void>): Promise<void> {
    const results = await Promise.allSettled(this.regions.map((s) => fn(s)));
    const failures = results
      .map((r, i) => ({ r, region: this.regions[i].region }))
      .filter((x): x is { r: PromiseRejectedResult; region: string } => x.r.status === 'rejected');
    if (failures.length === 0) return;
    for (const f of failures) this.onRegionError(f.region, op, f.r.reason);
    const policy = failures.find((f) => isSteleError(f.r.reason) && f.r.reason.code !== 'storage_unavailable');
    if (policy) throw policy.r.reason;
    const regions = failures.map((f) => f.region).join(', ');
    throw storageError(`region ${regions} ${op}`, failures[0].r.reason);
  }
}
