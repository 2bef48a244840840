// The ledger under concurrent appends: group commit, checkpoints, reopening, and what opening completes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../core/log.ts';
import { createFsStore } from '../fs/fs-store.ts';
import { loadOrCreateKeyring } from '../keyring.ts';
import { PERMANENT } from '../port.ts';
import { Vault } from '../regions.ts';
import { loadSodium } from '../sodium.ts';
import { Ledger } from './ledger.ts';
import { GENESIS, checkRun } from './chain.ts';

describe('ledger', () => {
  let dir: string;
  let vault: Vault;
  const open = async (checkpointEvery = 50) => {
    const l = new Ledger({ vault, sodium: await loadSodium(), mirrorPath: join(dir, 'mirror.db'), log: silentLogger, checkpointEvery });
    await l.open();
    return l;
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stele-ledger-'));
    const regions = await Promise.all(['a', 'b'].map((r) => createFsStore({ region: r, root: join(dir, r) })));
    vault = new Vault(regions, await loadSodium(), (await loadOrCreateKeyring(join(dir, 'keys'))).keyring);
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const keys = (prefix: string) => keysIn(vault, prefix);
  /** An object file of the fs adapter: <root>/objects/<key>. */
  const objectFile = (region: string, key: string) => join(dir, region, 'objects', key);

  it('keeps every concurrent append, in one unbroken chain, across checkpoints', async () => {
    const ledger = await open(50);
    // Waves of appends, each starting while the last one's checkpoint may still be written:
    // none may be left waiting.
    const entries = [];
    for (let wave = 0; wave < 4; wave++) {
      entries.push(...(await Promise.all(Array.from({ length: 60 }, (_, i) => ledger.append({ type: 'test.event', actor: 'test', subject: `s${wave}-${i}`, data: { i } })))));
    }
    assert.deepEqual(entries.map((e) => e.seq).sort((a, b) => a - b), Array.from({ length: 240 }, (_, i) => i + 1));
    await ledger.close();
    const reopened = await open();
    assert.deepEqual(checkRun(reopened.query({ limit: 1000 }), { seq: 0, hash: GENESIS }).problems, []);
    await reopened.close();
    let checkpoints = 0;
    for await (const _ of vault.regions[0].list('ledger/checkpoints/')) checkpoints++;
    assert.ok(checkpoints >= 2, `checkpoints were signed (${checkpoints})`);
  });

  it('reopens at its head and continues the chain', async () => {
    const ledger = await open();
    const head = ledger.headInfo();
    const next = await ledger.append({ type: 'test.event', actor: 'test', data: {} });
    assert.equal(next.seq, head.seq + 1);
    assert.equal(next.prev, head.hash);
    await ledger.close();
  });

  it('completes at open what an interrupted write leaves, on the ledger, and leaves an older block to verify', async () => {
    const ledger = await open();
    for (let i = 0; i < 3; i++) await ledger.append({ type: 'test.event', actor: 'test', data: { i } });
    await ledger.close(); // signs a checkpoint of the new head
    const blocks = await keys('ledger/blocks/');
    const [older, newest] = blocks.slice(-2);
    const checkpoint = (await keys('ledger/checkpoints/')).pop()!;
    for (const key of [older, newest, checkpoint]) await rename(objectFile('b', key), join(dir, `aside-${key.replaceAll('/', '-')}`));
    try {
      const reopened = await open();
      assert.deepEqual(reopened.recovered.map((r) => [r.key, r.region, r.from]), [[newest, 'b', 'a'], [checkpoint, 'b', 'a']]);
      for (const key of [newest, checkpoint]) assert.deepEqual(await readFile(objectFile('b', key)), await readFile(objectFile('a', key)), `${key} copied byte-identical`);
      await assert.rejects(stat(objectFile('b', older)), 'an older block absent in one region cannot be a crash: left for stele verify');
      const events = reopened.query({ types: ['vault.repaired'] }).filter((e) => e.subject === newest || e.subject === checkpoint);
      assert.deepEqual(events.map((e) => [e.actor, e.subject, e.data.region, e.data.from, e.data.at]), [
        ['system:ledger', newest, 'b', 'a', 'open'],
        ['system:ledger', checkpoint, 'b', 'a', 'open'],
      ]);
      await reopened.close();
    } finally {
      await rename(join(dir, `aside-${older.replaceAll('/', '-')}`), objectFile('b', older));
    }
  });

  it('does not copy a checkpoint whose signature does not verify to the regions that lack it', async () => {
    const key = 'ledger/checkpoints/999999999999';
    const forged = { seq: 999999999999, hash: 'f'.repeat(64), time: new Date().toISOString(), publicKey: '', signature: Buffer.alloc(64).toString('base64') };
    await vault.regions[0].put(key, Buffer.from(JSON.stringify(forged)), { retainUntil: PERMANENT });
    const ledger = await open();
    assert.deepEqual(ledger.recovered, []);
    assert.equal(await vault.regions[1].head(key), null, 'not spread to region b');
    await ledger.close();
  });
});

/** Keys under a prefix in region a, sorted. */
async function keysIn(vault: Vault, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const key of vault.regions[0].list(prefix)) out.push(key);
  return out.sort();
}
