// The one contract suite every ObjectStore adapter runs (see vault/port.ts). An adapter's test
// file only supplies a harness; the assertions live here so fs and s3 cannot drift apart.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSteleError, type ErrorCode } from '../core/errors.ts';
import type { ObjectStore } from './port.ts';

export interface VaultHarness {
  store: ObjectStore;
  /** "now" as the store sees it (a test clock for fs, the server's clock for s3). */
  now(): Date;
  /** Returns once the store's clock is past `at` (moves a test clock, or waits for real time). */
  passTime(at: Date): Promise<void>;
  cleanup(): Promise<void>;
}

async function assertRefused(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isSteleError(err), `expected a SteleError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

/** Retain-until a few seconds ahead: long enough to test refusals, short enough to expire. */
function soon(h: VaultHarness, seconds = 3): Date {
  return new Date(h.now().getTime() + seconds * 1000);
}

export function runVaultContract(name: string, makeHarness: () => Promise<VaultHarness>): void {
  describe(`vault contract: ${name}`, () => {
    let h: VaultHarness;
    let n = 0;
    const key = (label: string) => `contract/${label}-${Date.now().toString(36)}-${++n}`;
    const far = () => new Date(h.now().getTime() + 365 * 86_400_000);

    before(async () => {
      h = await makeHarness();
    });
    after(async () => {
      await h?.cleanup();
    });

    it('stores bytes and returns them unchanged, with their size', async () => {
      const k = key('roundtrip');
      const body = Buffer.from([0, 1, 2, 255, 254, 10, 13, 10]);
      await h.store.put(k, body, { retainUntil: far() });
      assert.deepEqual(await h.store.get(k), body);
      const info = await h.store.head(k);
      assert.equal(info?.size, body.length);
      assert.equal(info?.legalHold, false);
      assert.ok(Math.abs(info!.retainUntil.getTime() - far().getTime()) < 5_000);
    });

    it('refuses to overwrite and keeps the first bytes', async () => {
      const k = key('put-once');
      await h.store.put(k, Buffer.from('first'), { retainUntil: far() });
      await assertRefused(h.store.put(k, Buffer.from('second'), { retainUntil: far() }), 'object_exists');
      assert.equal((await h.store.get(k)).toString(), 'first');
    });

    it('answers not_found for a missing key, and head says null', async () => {
      await assertRefused(h.store.get(key('missing')), 'not_found');
      assert.equal(await h.store.head(key('missing')), null);
    });

    it('rejects keys that could escape the store', async () => {
      for (const bad of ['../x', '/abs', 'a/../b', 'UPPER', 'a//b', '']) {
        await assertRefused(h.store.put(bad, Buffer.from('x'), { retainUntil: far() }), 'bad_request');
      }
    });

    it('lists keys under a prefix in order', async () => {
      const p = key('list');
      for (const s of ['c', 'a', 'b']) await h.store.put(`${p}/${s}`, Buffer.from(s), { retainUntil: far() });
      const keys: string[] = [];
      for await (const k of h.store.list(`${p}/`)) keys.push(k);
      assert.deepEqual(keys, [`${p}/a`, `${p}/b`, `${p}/c`]);
    });

    it('refuses delete before retain-until, allows it after', async () => {
      const k = key('retention');
      const until = soon(h);
      await h.store.put(k, Buffer.from('x'), { retainUntil: until });
      await assertRefused(h.store.delete(k), 'retention_active');
      await h.passTime(until);
      await h.store.delete(k);
      assert.equal(await h.store.head(k), null);
      await assertRefused(h.store.delete(k), 'not_found');
    });

    it('refuses delete under a legal hold even after retain-until, until the hold is cleared', async () => {
      const k = key('hold');
      const until = soon(h);
      await h.store.put(k, Buffer.from('x'), { retainUntil: until, legalHold: true });
      assert.equal((await h.store.head(k))?.legalHold, true);
      await h.passTime(until);
      await assertRefused(h.store.delete(k), 'legal_hold');
      await h.store.setLegalHold(k, false);
      await h.store.setLegalHold(k, false); // idempotent
      await h.store.delete(k);
      assert.equal(await h.store.head(k), null);
    });

    it('sets a legal hold on an existing object', async () => {
      const k = key('hold-later');
      await h.store.put(k, Buffer.from('x'), { retainUntil: soon(h) });
      await h.store.setLegalHold(k, true);
      assert.equal((await h.store.head(k))?.legalHold, true);
      await h.store.setLegalHold(k, false);
    });

    it('extends retention but never shortens it', async () => {
      const k = key('extend');
      const first = soon(h, 2);
      await h.store.put(k, Buffer.from('x'), { retainUntil: first });
      const later = new Date(first.getTime() + 3_000);
      await h.store.extendRetention(k, later);
      assert.ok(Math.abs((await h.store.head(k))!.retainUntil.getTime() - later.getTime()) < 1_000);
      await assertRefused(h.store.extendRetention(k, first), 'retention_shorten');
      await h.passTime(first);
      await assertRefused(h.store.delete(k), 'retention_active');
      await h.passTime(later);
      await h.store.delete(k);
    });

    it('restores a damaged copy without shortening its lock', async () => {
      const k = key('restore');
      const until = far();
      await h.store.put(k, Buffer.from('damaged'), { retainUntil: until, legalHold: true });
      await h.store.restore(k, Buffer.from('good copy'), { retainUntil: soon(h), legalHold: false });
      assert.equal((await h.store.get(k)).toString(), 'good copy');
      const info = await h.store.head(k);
      assert.equal(info?.legalHold, true);
      assert.ok(info!.retainUntil.getTime() >= until.getTime() - 1_000);
      await h.store.setLegalHold(k, false);
    });

    it('answers ping while healthy', async () => {
      await h.store.ping();
    });
  });
}
