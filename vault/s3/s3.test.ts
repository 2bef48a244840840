// Runs the shared vault contract against real S3 servers with Object Lock (started by
// test/services/s3.ts), and proves that the server itself, not only this adapter, keeps WORM.
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client, RETENTION_MODES, S3Error } from 'minio';
import { isSteleError, type ErrorCode } from '../../core/errors.ts';
import { freePort } from '../../test/services/process.ts';
import { startS3Pair, type S3Endpoint } from '../../test/services/s3.ts';
import { runVaultContract, type VaultHarness } from '../contract.ts';
import type { ObjectStore } from '../port.ts';
import { parseS3Url } from './from-url.ts';
import { ceilToSecond, createS3Store } from './s3-store.ts';

/** Real time is the servers' clock; nothing here waits longer than this for it. */
const MAX_WAIT_MS = 60_000;

/** Returns once real time is past `at` as S3 stores it (whole seconds, rounded up). */
async function passTime(at: Date): Promise<void> {
  const target = ceilToSecond(at).getTime() + 50;
  if (target - Date.now() > MAX_WAIT_MS) throw new Error(`refusing to wait until ${at.toISOString()}`);
  while (Date.now() <= target) await new Promise((r) => setTimeout(r, Math.min(200, target - Date.now() + 1)));
}

const bucketName = (label: string) => `stele-${label}-${randomBytes(4).toString('hex')}`;

/** Store options for one endpoint: `region` is our name, the endpoint's region is the S3 one. */
const storeOpts = (region: string, ep: S3Endpoint, bucket: string) => ({
  region,
  endpoint: ep.endpoint,
  accessKey: ep.accessKey,
  secretKey: ep.secretKey,
  s3Region: ep.region,
  bucket,
});

function rawClient(ep: S3Endpoint): Client {
  const url = new URL(ep.endpoint);
  return new Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    accessKey: ep.accessKey,
    secretKey: ep.secretKey,
    region: ep.region,
    pathStyle: true,
  });
}

async function assertCode(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isSteleError(err), `expected a SteleError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

describe('s3 URL', () => {
  it('parses credentials, bucket and region, and keeps the secret out of errors', () => {
    const o = parseS3Url('a', 's3://AK:s%2Fcret@127.0.0.1:9000/archive?region=eu-1');
    assert.deepEqual(
      { endpoint: o.endpoint, accessKey: o.accessKey, secretKey: o.secretKey, bucket: o.bucket, s3Region: o.s3Region },
      { endpoint: 'http://127.0.0.1:9000', accessKey: 'AK', secretKey: 's/cret', bucket: 'archive', s3Region: 'eu-1' },
    );
    assert.equal(parseS3Url('b', 's3s://AK:S@s3.example:443/x').endpoint, 'https://s3.example:443');
    assert.throws(
      () => parseS3Url('a', 's3://AK:topsecret@127.0.0.1:9000/'),
      (err: unknown) => isSteleError(err, 'bad_request') && !err.message.includes('topsecret'),
    );
  });
});

const pair = await startS3Pair();

if (!pair) {
  test('vault contract: s3', { skip: 'no S3 server with Object Lock could be started (see the warning above)' }, () => {});
} else {
  after(() => pair.stop());

  runVaultContract('s3', async (): Promise<VaultHarness> => {
    const store = await createS3Store(storeOpts('a', pair.a, bucketName('contract')));
    return { store, now: () => new Date(), passTime, cleanup: () => store.close() };
  });

  describe(`s3 adapter on ${pair.server}`, () => {
    let store: ObjectStore;
    let client: Client;
    let bucket: string;
    let n = 0;
    const key = (label: string) => `server/${label}-${++n}`;
    const far = () => new Date(Date.now() + 365 * 86_400_000);
    const versionsOf = async (k: string) => {
      const out: { versionId: string; isDeleteMarker: boolean }[] = [];
      for await (const raw of client.listObjects(bucket, k, true, { IncludeVersion: true })) {
        const item = raw as { name?: string; versionId?: string; isDeleteMarker?: boolean };
        if (item.name === k) out.push({ versionId: item.versionId ?? '', isDeleteMarker: item.isDeleteMarker === true });
      }
      return out;
    };
    const versionOf = async (k: string) => (await client.statObject(bucket, k)).versionId ?? '';
    const bytesOf = async (k: string, versionId: string) => {
      const chunks: Buffer[] = [];
      for await (const c of await client.getObject(bucket, k, { versionId })) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString();
    };

    before(async () => {
      bucket = bucketName('server');
      store = await createS3Store(storeOpts('a', pair.a, bucket));
      client = rawClient(pair.a);
    });
    after(() => store?.close());

    it('the server itself refuses to delete a locked version (adapter bypassed)', async () => {
      const k = key('locked');
      await store.put(k, Buffer.from('original'), { retainUntil: far() });
      const versionId = await versionOf(k);
      await assert.rejects(client.removeObject(bucket, k, { versionId }), (err: unknown) => err instanceof S3Error);
      await assert.rejects(client.removeObject(bucket, k, { versionId, governanceBypass: true }), (err: unknown) => err instanceof S3Error);
      assert.equal(await bytesOf(k, versionId), 'original');
    });

    it('the server itself refuses to shorten a retain-until (adapter bypassed)', async () => {
      const k = key('shorten');
      await store.put(k, Buffer.from('x'), { retainUntil: far() });
      const versionId = await versionOf(k);
      await assert.rejects(
        client.putObjectRetention(bucket, k, { mode: RETENTION_MODES.COMPLIANCE, retainUntilDate: new Date(Date.now() + 60_000).toISOString(), versionId }),
        (err: unknown) => err instanceof S3Error,
      );
      assert.ok(Math.abs((await store.head(k))!.retainUntil.getTime() - far().getTime()) < 5_000);
    });

    it('an overwrite never replaces the locked version (adapter bypassed)', async () => {
      const k = key('overwrite');
      await store.put(k, Buffer.from('original'), { retainUntil: far() });
      const versionId = await versionOf(k);
      // A conditional write is refused outright.
      await assert.rejects(client.putObject(bucket, k, Buffer.from('evil'), 4, { 'If-None-Match': '*' }), (err: unknown) => err instanceof S3Error);
      // An unconditional one can only stack a new version: S3 has no way to change a locked one.
      // (The vault's fixity check then finds the hash mismatch and restores the record.)
      try {
        await client.putObject(bucket, k, Buffer.from('evil'), 4);
      } catch {
        // a server that refuses it outright is just as good
      }
      assert.equal(await bytesOf(k, versionId), 'original');
      await assert.rejects(client.removeObject(bucket, k, { versionId }), (err: unknown) => err instanceof S3Error);
      // The adapter sees the stacked version's lock as missing, but the original keeps it: the
      // key as a whole stays undeletable.
      await assertCode(store.delete(k), 'retention_active');
    });

    it('the server itself refuses to delete a held version while it is retained (adapter bypassed)', async () => {
      const k = key('held');
      await store.put(k, Buffer.from('x'), { retainUntil: new Date(Date.now() + 60_000), legalHold: true });
      const versionId = await versionOf(k);
      assert.equal(((await client.getObjectLegalHold(bucket, k, { versionId })) as unknown as { Status?: string })?.Status, 'ON');
      await assert.rejects(client.removeObject(bucket, k, { versionId }), (err: unknown) => err instanceof S3Error);
    });

    it(
      'the server itself refuses to delete a held version after retain-until (adapter bypassed)',
      // versitygw v1.8.0 skips the legal-hold check once retention has expired (auth/object_lock.go,
      // checkObject: "this also skips the legal-hold check below"). AWS S3 and MinIO enforce it.
      // The adapter still refuses such a delete (contract suite); this records the server's gap.
      // Skipped there (not todo: a todo's failure is listed among "failing tests" on every run).
      { skip: pair.server.startsWith('versitygw') ? `${pair.server} ignores a legal hold once retention has expired` : false },
      async () => {
        const k = key('held-expired');
        const until = new Date(Date.now() + 3_000);
        await store.put(k, Buffer.from('x'), { retainUntil: until, legalHold: true });
        const versionId = await versionOf(k);
        await passTime(until);
        await assert.rejects(client.removeObject(bucket, k, { versionId }), (err: unknown) => err instanceof S3Error);
      },
    );

    it('delete removes every version, so the bytes are gone and not only hidden', async () => {
      const k = key('gone');
      const until = new Date(Date.now() + 3_000);
      await store.put(k, Buffer.from('damaged'), { retainUntil: until });
      await store.restore(k, Buffer.from('good'), { retainUntil: until });
      assert.equal((await versionsOf(k)).length, 2, 'restore keeps the damaged version under the good one');
      await passTime(until);
      await store.delete(k);
      assert.equal(await store.head(k), null);
      assert.deepEqual(await versionsOf(k), []);
    });

    it('regions are independent servers', async () => {
      const b = await createS3Store(storeOpts('b', pair.b, bucketName('region-b')));
      try {
        const k = key('only-in-b');
        await b.put(k, Buffer.from('b'), { retainUntil: far() });
        assert.equal((await b.get(k)).toString(), 'b');
        assert.equal(await store.head(k), null);
        assert.ok(!b.address.includes(pair.b.secretKey) && !b.address.includes(pair.b.accessKey));
      } finally {
        await b.close();
      }
    });

    it('refuses a bucket that has no Object Lock', async () => {
      const plain = bucketName('plain');
      await client.makeBucket(plain, pair.a.region);
      await assertCode(createS3Store(storeOpts('a', pair.a, plain)), 'bad_request');
    });

    it('reports an unreachable server as storage_unavailable (retryable)', async () => {
      const endpoint = `http://127.0.0.1:${await freePort()}`;
      await assert.rejects(createS3Store({ ...storeOpts('a', pair.a, 'nobody-listens'), endpoint }), (err: unknown) => {
        assert.ok(isSteleError(err, 'storage_unavailable'), String(err));
        assert.equal(err.retryable, true);
        return true;
      });
    });
  });
}
