// The replication checker on two fs regions: copies missing and damaged copies from the good
// region (with their lock state), leaves unacknowledged leftovers alone, and records repairs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../core/log.ts';
import { createFsStore } from './fs/fs-store.ts';
import { loadOrCreateKeyring } from './keyring.ts';
import { Ledger } from './ledger/ledger.ts';
import { MESSAGE_DESTROYED, MESSAGE_INGESTED, messageKey } from './messages.ts';
import { checkReplication, liveOnLedger, startReplicationJob, VAULT_REPAIRED, type ReplicationFinding } from './replication.ts';
import { Vault } from './regions.ts';
import { loadSodium } from './sodium.ts';

const FAR = new Date(Date.now() + 365 * 86_400_000);

describe('replication checker', () => {
  let dir: string;
  let vault: Vault;
  let ledger: Ledger;
  const objectFile = (region: string, key: string) => join(dir, region, 'objects', key);

  /** A sealed message in every region, on the ledger unless `acked` is false. */
  async function archive(text: string, opts: { acked?: boolean; legalHold?: boolean } = {}): Promise<string> {
    const raw = Buffer.from(`Subject: ${text}\r\n\r\n${randomBytes(8).toString('hex')}\r\n`);
    const sha = createHash('sha256').update(raw).digest('hex');
    await vault.putAll(messageKey(sha), vault.seal(messageKey(sha), raw), { retainUntil: FAR, legalHold: opts.legalHold });
    if (opts.acked !== false) await ledger.append({ type: MESSAGE_INGESTED, actor: 'test', subject: sha, data: {} });
    return sha;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stele-replication-'));
    const sodium = await loadSodium();
    const { keyring } = await loadOrCreateKeyring(join(dir, 'keys'));
    const stores = await Promise.all(['a', 'b'].map((r) => createFsStore({ region: r, root: join(dir, r) })));
    vault = new Vault(stores, sodium, keyring);
    ledger = new Ledger({ vault, sodium, mirrorPath: join(dir, 'ledger.db'), log: silentLogger });
    await ledger.open();
  });
  after(async () => {
    await ledger.close();
    await vault.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds nothing when the regions agree', async () => {
    await archive('agree');
    const r = await checkReplication({ vault, repair: true, mayCopy: liveOnLedger(ledger), rehash: true });
    assert.deepEqual(r.findings, []);
    assert.ok(r.ok && r.objects >= 2, 'messages and ledger blocks are compared');
  });

  it('copies a missing and a damaged copy back from the good region, with its hold, and records both', async () => {
    const lost = await archive('lost', { legalHold: true });
    const damaged = await archive('damaged');
    await unlink(objectFile('b', messageKey(lost)));
    const file = objectFile('a', messageKey(damaged));
    await chmod(file, 0o644);
    // The tail of the sealed bytes is lost (a truncated write): the size differs between regions.
    await writeFile(file, (await readFile(file)).subarray(0, -16));
    const recorded: ReplicationFinding[] = [];
    const dry = await checkReplication({ vault, mayCopy: liveOnLedger(ledger) });
    assert.deepEqual(dry.findings.map((f) => [f.kind, f.region, f.key, !!f.repaired]).sort(), [
      ['damaged', 'a', messageKey(damaged), false],
      ['missing', 'b', messageKey(lost), false],
    ]);
    assert.equal(dry.ok, false);
    const r = await checkReplication({ vault, repair: true, mayCopy: liveOnLedger(ledger), recordRepair: async (f) => void recorded.push(f) });
    assert.ok(r.ok);
    assert.deepEqual(recorded.map((f) => [f.kind, f.region, f.from]).sort(), [['damaged', 'a', 'b'], ['missing', 'b', 'a']]);
    assert.equal((await vault.regions[1].head(messageKey(lost)))?.legalHold, true, 'the lock state came along');
    assert.ok(vault.unseal(messageKey(damaged), await vault.regions[0].get(messageKey(damaged))), 'region a opens again');
    const again = await checkReplication({ vault, repair: true, rehash: true, mayCopy: liveOnLedger(ledger) });
    assert.deepEqual(again.findings, []);
  });

  it('does not spread an unacknowledged or destroyed message, and reports it', async () => {
    const refused = await archive('refused', { acked: false });
    const destroyed = await archive('destroyed');
    await ledger.append({ type: MESSAGE_DESTROYED, actor: 'test', subject: destroyed, data: {} });
    await unlink(objectFile('b', messageKey(refused)));
    await unlink(objectFile('b', messageKey(destroyed)));
    const r = await checkReplication({ vault, repair: true, mayCopy: liveOnLedger(ledger) });
    assert.ok(r.ok, 'leftovers are not a replication failure');
    assert.deepEqual(r.findings.map((f) => f.kind), ['unacknowledged', 'unacknowledged']);
    assert.equal(await vault.regions[1].head(messageKey(refused)), null);
    assert.equal(await vault.regions[1].head(messageKey(destroyed)), null);
  });

  it('runs as a job that appends vault.repaired through the one ledger writer', async () => {
    const lost = await archive('lost by the job');
    await unlink(objectFile('a', messageKey(lost)));
    const job = startReplicationJob({ vault, ledger, log: silentLogger }, { intervalMs: 3_600_000 });
    try {
      const r = await job.runOnce();
      assert.ok(r.ok);
      assert.equal(job.lastReport, r);
      assert.ok((await vault.regions[0].head(messageKey(lost))) !== null);
      const events = ledger.query({ types: [VAULT_REPAIRED], subject: messageKey(lost) });
      assert.equal(events.length, 1);
      assert.deepEqual(events[0].data, { region: 'a', from: 'b', finding: 'missing', detail: 'absent; present in b' });
    } finally {
      await job.stop();
    }
  });
});
