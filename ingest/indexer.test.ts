// The indexer's read-ahead on real parts (fs regions, the ledger, the SQLite index, two parse
// workers): more messages than its window and its batches, with further journal copies and
// removals in between, come out in the index exactly as applying the ledger in order gives.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { silentLogger } from '../core/log.ts';
import { createSqliteIndex, parseQuery, type SearchIndex } from '../search/index.ts';
import { buildMail } from '../test/fixtures/mail.ts';
import { Ledger, Vault, loadOrCreateKeyring, loadSodium, openStore } from '../vault/index.ts';
import { Indexer } from './indexer.ts';
import { createIngestMetrics } from './metrics.ts';
import { WorkerPool } from './parse/pool.ts';
import { IngestPipeline, messageKey } from './pipeline.ts';

const MESSAGES = 300; // past the window (2 workers x 4) and past a batch (128)
const REMOVED = 'message.destroyed';

describe('Indexer: parsing ahead of writing keeps ledger order', () => {
  let dir: string;
  let ledger: Ledger;
  let vault: Vault;
  let index: SearchIndex;
  let pool: WorkerPool;
  let indexer: Indexer;
  const ids: string[] = [];
  const copied = new Set<number>();
  const removed = new Set<number>();
  const regionErrors: Array<[string, string]> = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stele-indexer-'));
    const sodium = await loadSodium();
    const { keyring } = await loadOrCreateKeyring(join(dir, 'keys'));
    const stores = await Promise.all(['a', 'b'].map((r) => openStore(r, `fs:${join(dir, 'vault', r)}`)));
    vault = new Vault(stores, sodium, keyring, (region, op) => regionErrors.push([region, op]));
    ledger = new Ledger({ vault, sodium, mirrorPath: join(dir, 'ledger.db'), log: silentLogger });
    await ledger.open();
    index = await createSqliteIndex({ path: join(dir, 'index.db') });
    pool = new WorkerPool(2, keyring);
    indexer = new Indexer({ ledger, vault, index, pool, log: silentLogger, removedBy: [REMOVED] });
    const pipeline = new IngestPipeline({
      vault, ledger, pool, metrics: createIngestMetrics(new Registry()), log: silentLogger, maxMessageBytes: 1024 * 1024,
      classify: () => ({ category: 'default', retainUntil: new Date('2030-01-01T00:00:00Z'), holds: [] }),
      afterCommit: () => undefined, // nothing indexed live: every document comes from the vault
    });
    const journal = (raw: Buffer, rcpt: string) => pipeline.ingest({ raw, source: 'import', actor: 'import:test', envelope: { rcptTo: [rcpt] } });
    const raws: Buffer[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      raws.push(buildMail({ subject: `Ledger order ${i}`, from: `sender${i}@clinic.example`, text: `Body of message number${i}.\r\n` }));
      ids.push((await journal(raws[i]!, 'archive@clinic.example')).sha256);
      // A second copy a little later merges its recipient into a message that may sit in the
      // same batch; a removal a little later drops one that was added just before.
      if (i >= 5 && i % 7 === 0) (copied.add(i - 5), await journal(raws[i - 5]!, `second${i - 5}@clinic.example`));
      if (i >= 3 && i % 11 === 0) (removed.add(i - 3), await ledger.append({ type: REMOVED, actor: 'system:test', subject: ids[i - 3], data: {} }));
    }
  });

  after(async () => {
    await indexer.close();
    await pool.close();
    await ledger.close();
    await index.close();
    await vault.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function assertIndexMatchesLedger(): Promise<void> {
    assert.equal(await index.getWatermark(), ledger.headInfo().seq, 'the watermark is the ledger head');
    for (let i = 0; i < MESSAGES; i++) {
      const doc = await index.get(ids[i]!);
      if (removed.has(i)) {
        assert.equal(doc, null, `message ${i} was removed after it was added`);
        continue;
      }
      assert.equal(doc?.subject, `Ledger order ${i}`);
      assert.ok(!doc?.flags.includes('unparsed'), `message ${i} was parsed in full`);
      assert.equal(doc?.envelopeTo.includes(`second${i}@clinic.example`), copied.has(i), `message ${i}'s second copy`);
    }
    const all = await index.search(parseQuery(''), { limit: 1 });
    assert.equal(all.total, MESSAGES - removed.size);
  }

  it('catches up from an empty index', async () => {
    assert.ok(copied.size > 10 && removed.size > 10, 'the ledger has copies and removals to order');
    await indexer.caughtUp();
    await assertIndexMatchesLedger();
  });

  it('rebuilds to the same index, reporting progress in ledger order', async () => {
    const seen: number[] = [];
    const { indexed } = await indexer.rebuild((seq) => seen.push(seq));
    assert.equal(indexed, MESSAGES);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b), 'progress never goes back');
    assert.equal(seen.at(-1), ledger.headInfo().seq);
    await assertIndexMatchesLedger();
  });

  it('a copy that cannot be opened in the first region is indexed from the other one, and reported', async () => {
    // Read-ahead opens sealed copies in the workers; a damaged one must take the vault's own path.
    const file = join(dir, 'vault', 'a', 'objects', messageKey(ids[1]!));
    const bytes = await readFile(file);
    bytes[bytes.length - 10] ^= 0xff;
    await chmod(file, 0o644);
    await writeFile(file, bytes);
    regionErrors.length = 0;
    const { indexed } = await indexer.rebuild();
    assert.equal(indexed, MESSAGES);
    await assertIndexMatchesLedger();
    assert.deepEqual(regionErrors, [['a', 'get']], 'the damaged region is reported once');
  });
});
