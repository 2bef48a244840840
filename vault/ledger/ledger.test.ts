// The ledger under concurrent appends: group commit, checkpoints, and reopening.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../core/log.ts';
import { createFsStore } from '../fs/fs-store.ts';
import { loadOrCreateKeyring } from '../keyring.ts';
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
});
