// `stele verify` finds damage in one region and repairs it from the other; the ledger's hash
// chain and signed checkpoints catch removed and edited entries.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { messageKey } from '../ingest/index.ts';
import { loadOrCreateKeyring, loadSodium } from '../vault/index.ts';
import { LedgerMirror } from '../vault/ledger/mirror.ts';
import { VAULT_REPAIRED } from '../vault/replication.ts';
import { seal, unseal } from '../vault/seal.ts';
import { buildMail } from './fixtures/mail.ts';
import { journalHttp, removeDir, runCli, startTestStele, type TestStele } from './harness.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Report {
  ok: boolean;
  findings: Array<{ kind: string; region: string; key?: string; seq?: number }>;
  repaired?: Array<{ kind: string; region: string; key?: string }>;
}

describe('stele verify', () => {
  let s: TestStele;
  let dataDir: string;
  const ids: string[] = [];
  const env = () => ({ STELE_DATA_DIR: dataDir, STELE_INGEST_TOKEN: 'test-ingest-token-0123456789abcdef', STELE_ADMIN_PASSWORD: 'correct horse battery staple' });
  const verify = async (...args: string[]): Promise<{ code: number; report: Report }> => {
    const r = await runCli(['verify', '--json', ...args], env());
    return { code: r.code, report: JSON.parse(r.stdout) as Report };
  };
  /** An object file of the fs adapter: region/objects/<key>. */
  const objectFile = (region: string, key: string) => join(dataDir, 'vault', region, 'objects', key);

  before(async () => {
    s = await startTestStele();
    dataDir = s.dataDir;
    for (let i = 0; i < 5; i++) {
      const raw = buildMail({ subject: `verify ${i}` });
      assert.equal((await journalHttp(s.httpUrl, raw)).status, 201);
      ids.push(sha(raw));
    }
    await s.stop(); // verify and repair run with the service stopped (one writer per archive)
  });
  after(() => removeDir(dataDir));

  it('passes on an intact archive', async () => {
    const { code, report } = await verify();
    assert.equal(code, 0, JSON.stringify(report.findings));
    assert.deepEqual(report.findings, []);
  });

  it('finds a byte flipped in one region and repairs it from the other', async () => {
    const file = objectFile('a', messageKey(ids[1]));
    const bytes = await readFile(file);
    bytes[bytes.length - 10] ^= 0xff;
    await chmod(file, 0o644);
    await writeFile(file, bytes);
    const found = await verify();
    assert.equal(found.code, 1);
    assert.deepEqual(found.report.findings.map((f) => [f.kind, f.region, f.key]), [['mismatch', 'a', messageKey(ids[1])]]);
    const fixed = await verify('--repair');
    assert.equal(fixed.code, 0, JSON.stringify(fixed.report));
    assert.equal(fixed.report.repaired?.length, 1);
    assert.equal((await verify()).code, 0);
  });

  it('finds an object deleted from one region and restores it', async () => {
    await rename(objectFile('b', messageKey(ids[2])), join(dataDir, 'stolen'));
    const found = await verify();
    assert.deepEqual(found.report.findings.map((f) => [f.kind, f.region]), [['missing', 'b']]);
    assert.equal((await verify('--repair')).code, 0);
  });

  it('finds a ledger entry edited by someone holding the keys, in the region where it happened, and restores the block from the other', async () => {
    const keyring = (await loadOrCreateKeyring(join(dataDir, 'keys'))).keyring;
    const sodium = await loadSodium();
    const key = 'ledger/blocks/000000000003';
    const file = objectFile('b', key);
    const block = unseal(sodium, keyring, key, (await readFile(file)).subarray(headerLength(await readFile(file))));
    const edited = block.toString().replace(/"size":\d+/, '"size":1');
    assert.notEqual(edited, block.toString());
    const original = await readFile(file);
    await chmod(file, 0o644);
    await writeFile(file, Buffer.concat([original.subarray(0, headerLength(original)), seal(sodium, keyring, key, Buffer.from(edited))]));
    try {
      const found = await verify();
      assert.equal(found.code, 1);
      assert.ok(found.report.findings.some((f) => f.kind === 'chain_break' && f.region === 'b' && f.seq === 3 && f.key === key), JSON.stringify(found.report.findings));
      assert.ok(found.report.findings.every((f) => f.region === 'b'), 'region a is intact');
      // Region a's copy of the block verifies (its chain is whole), so it is the one copied back.
      const fixed = await verify('--repair');
      assert.equal(fixed.code, 0, JSON.stringify(fixed.report));
      assert.deepEqual(await readFile(file), original, 'restored byte-identical');
      assert.deepEqual(repairEvents(key).map((e) => [e.actor, e.data.region, e.data.from, e.data.finding]), [['system:verify', 'b', 'a', 'chain_break']]);
    } finally {
      await chmod(file, 0o644);
      await writeFile(file, original);
    }
  });

  it('finds the newest ledger block removed from both regions (the signed checkpoint covers it)', async () => {
    const newest = `ledger/blocks/${(await readdir(join(dataDir, 'vault', 'a', 'objects', 'ledger', 'blocks'))).sort().pop()}`;
    for (const r of ['a', 'b']) await rename(objectFile(r, newest), join(dataDir, `removed-${r}`));
    const found = await verify();
    assert.equal(found.code, 1);
    assert.ok(found.report.findings.some((f) => f.kind === 'chain_break'), JSON.stringify(found.report.findings));
    for (const r of ['a', 'b']) await rename(join(dataDir, `removed-${r}`), objectFile(r, newest));
    assert.equal((await verify()).code, 0);
  });

  // A block absent in one region, older than the newest, cannot be a write a crash cut short
  // (a block lands everywhere before the next is written): opening the ledger leaves it to verify.
  it('finds a ledger block removed from one region only, and restores it from the other', async () => {
    const key = 'ledger/blocks/000000000002';
    await rename(objectFile('a', key), join(dataDir, 'removed-block'));
    const found = await verify();
    assert.equal(found.code, 1);
    assert.ok(found.report.findings.some((f) => f.kind === 'missing' && f.region === 'a' && f.key === key), JSON.stringify(found.report.findings));
    assert.ok(found.report.findings.every((f) => f.region === 'a'), 'region b is intact');
    const fixed = await verify('--repair');
    assert.equal(fixed.code, 0, JSON.stringify(fixed.report));
    assert.deepEqual(await readFile(objectFile('a', key)), await readFile(objectFile('b', key)), 'restored byte-identical');
    assert.deepEqual(repairEvents(key).map((e) => [e.actor, e.data.region, e.data.from, e.data.finding]), [['system:verify', 'a', 'b', 'missing']]);
    assert.equal((await verify()).code, 0);
  });

  // A checkpoint absent in one region is what a checkpoint write interrupted (or failed) there
  // leaves, so opening the ledger completes it; the copy is on the ledger and in verify's report.
  it('finds a checkpoint deleted from one region and restores it', async () => {
    const key = await newestCheckpoint();
    await rename(objectFile('b', key), join(dataDir, 'removed-checkpoint'));
    const found = await verify();
    assert.deepEqual(found.report.findings.map((f) => [f.kind, f.region, f.key]), [['missing', 'b', key]]);
    assert.deepEqual(repairEvents(key).map((e) => [e.actor, e.data.region, e.data.from, e.data.at]), [['system:ledger', 'b', 'a', 'open']]);
    assert.deepEqual(await readFile(objectFile('b', key)), await readFile(objectFile('a', key)), 'restored byte-identical');
    assert.equal((await verify('--repair')).code, 0);
    const again = await verify();
    assert.equal(again.code, 0);
    assert.deepEqual(again.report.findings, [], 'the copy made at open is reported by the run that made it, not by every run');
  });

  it('finds a forged checkpoint (its signature does not verify) in the region where it was planted', async () => {
    const key = await newestCheckpoint();
    const file = objectFile('a', key);
    const original = await readFile(file);
    const h = headerLength(original);
    const cp = JSON.parse(original.subarray(h).toString()) as { seq: number; hash: string };
    // Someone without the signing key claims the ledger ended elsewhere.
    const forged = Buffer.from(JSON.stringify({ ...cp, hash: cp.hash.replace(/^./, (c) => (c === '0' ? '1' : '0')) }));
    await chmod(file, 0o644);
    await writeFile(file, Buffer.concat([original.subarray(0, h), forged]));
    const found = await verify();
    assert.equal(found.code, 1);
    assert.deepEqual(found.report.findings.map((f) => [f.kind, f.region, f.key]), [['checkpoint_invalid', 'a', key]]);
    await writeFile(file, original);
  });

  it('repairs a forged checkpoint from the other region', async () => {
    const key = await newestCheckpoint();
    const file = objectFile('b', key);
    const original = await readFile(file);
    const h = headerLength(original);
    const cp = JSON.parse(original.subarray(h).toString()) as { sig?: string; signature?: string };
    await chmod(file, 0o644);
    await writeFile(file, Buffer.concat([original.subarray(0, h), Buffer.from(JSON.stringify({ ...cp, seq: 1 }))]));
    try {
      const fixed = await verify('--repair');
      assert.equal(fixed.code, 0, JSON.stringify(fixed.report.findings));
      assert.deepEqual(fixed.report.repaired?.map((f) => [f.kind, f.region, f.key]), [['checkpoint_invalid', 'b', key]]);
      assert.deepEqual(await readFile(file), original);
      assert.deepEqual(repairEvents(key).map((e) => [e.actor, e.data.region, e.data.from, e.data.finding]), [['system:verify', 'b', 'a', 'checkpoint_invalid']]);
    } finally {
      await chmod(file, 0o644);
      await writeFile(file, original);
    }
  });

  it('reports a checkpoint overwritten with garbage as a finding, not a crash', async () => {
    const key = await newestCheckpoint();
    const file = objectFile('a', key);
    const original = await readFile(file);
    await chmod(file, 0o644);
    await writeFile(file, Buffer.concat([original.subarray(0, headerLength(original)), Buffer.from('garbage{')]));
    try {
      const r = await runCli(['verify', '--json'], env());
      assert.equal(r.code, 1, r.stderr.slice(0, 300));
      const report = JSON.parse(r.stdout) as Report;
      assert.deepEqual(report.findings.map((f) => [f.kind, f.region, f.key]), [['checkpoint_invalid', 'a', key]]);
    } finally {
      await writeFile(file, original);
    }
  });

  it('reports, and leaves alone, a checkpoint forged in both regions (no good copy to repair from)', async () => {
    const key = await newestCheckpoint();
    const originals = new Map<string, Buffer>();
    for (const r of ['a', 'b']) {
      const file = objectFile(r, key);
      const original = await readFile(file);
      originals.set(r, original);
      const h = headerLength(original);
      const cp = JSON.parse(original.subarray(h).toString()) as { seq: number };
      await chmod(file, 0o644);
      await writeFile(file, Buffer.concat([original.subarray(0, h), Buffer.from(JSON.stringify({ ...cp, seq: cp.seq + 1 }))]));
    }
    try {
      const forged = await readFile(objectFile('a', key));
      const tried = await verify('--repair');
      assert.equal(tried.code, 1);
      assert.deepEqual(tried.report.findings.map((f) => [f.kind, f.region, f.key]), [['checkpoint_invalid', 'a', key], ['checkpoint_invalid', 'b', key]]);
      assert.deepEqual(tried.report.repaired, []);
      assert.deepEqual(await readFile(objectFile('a', key)), forged, 'nothing written over it');
      assert.deepEqual(repairEvents(key), [], 'no repair recorded');
    } finally {
      for (const [r, original] of originals) await writeFile(objectFile(r, key), original);
    }
    assert.equal((await verify()).code, 0);
  });

  /** vault.repaired events about `key`, from the ledger's query mirror (the service is stopped). */
  function repairEvents(key: string): Array<{ actor: string; data: Record<string, unknown> }> {
    const mirror = new LedgerMirror(join(dataDir, 'ledger.db'));
    try {
      return mirror.query({ types: [VAULT_REPAIRED], subject: key });
    } finally {
      mirror.close();
    }
  }

  async function newestCheckpoint(): Promise<string> {
    const names = (await readdir(join(dataDir, 'vault', 'a', 'objects', 'ledger', 'checkpoints'))).sort();
    assert.ok(names.length > 0, 'the ledger has a signed checkpoint');
    return `ledger/checkpoints/${names.pop()}`;
  }
});

/** Length of the fs adapter's object-file header (magic, length, JSON). */
function headerLength(file: Buffer): number {
  return 8 + file.readUInt32BE(4);
}
