// `stele verify` finds damage in one region and repairs it from the other; the ledger's hash
// chain and signed checkpoints catch removed and edited entries.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { messageKey } from '../ingest/index.ts';
import { loadOrCreateKeyring, loadSodium } from '../vault/index.ts';
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

  it('finds a ledger entry edited by someone holding the keys, in the region where it happened', async () => {
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
    const found = await verify();
    assert.equal(found.code, 1);
    assert.ok(found.report.findings.some((f) => f.kind === 'chain_break' && f.region === 'b' && f.seq === 3), JSON.stringify(found.report.findings));
    await writeFile(file, original);
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

  // TODO (reported): openCore's Ledger.open() copies a ledger block or checkpoint one region lacks
  // back from the other before verify looks (meant for blocks a crash left half-written), so
  // `stele verify` heals the removal silently: no finding, and no vault.repaired on the ledger.
  const SILENT_HEAL = 'stele verify opens the ledger, which silently re-copies missing blocks and checkpoints';

  it('finds a ledger block removed from one region only, and restores it from the other', { todo: SILENT_HEAL }, async () => {
    const key = 'ledger/blocks/000000000002';
    await rename(objectFile('a', key), join(dataDir, 'removed-block'));
    const found = await verify();
    assert.equal(found.code, 1);
    assert.ok(found.report.findings.some((f) => f.kind === 'missing' && f.region === 'a' && f.key === key), JSON.stringify(found.report.findings));
    assert.ok(found.report.findings.every((f) => f.region === 'a'), 'region b is intact');
    const fixed = await verify('--repair');
    assert.equal(fixed.code, 0, JSON.stringify(fixed.report));
    assert.deepEqual(await readFile(objectFile('a', key)), await readFile(objectFile('b', key)), 'restored byte-identical');
    assert.equal((await verify()).code, 0);
  });

  it('finds a checkpoint deleted from one region and restores it', { todo: SILENT_HEAL }, async () => {
    const key = await newestCheckpoint();
    await rename(objectFile('b', key), join(dataDir, 'removed-checkpoint'));
    const found = await verify();
    assert.deepEqual(found.report.findings.map((f) => [f.kind, f.region, f.key]), [['missing', 'b', key]]);
    assert.equal((await verify('--repair')).code, 0);
    assert.equal((await verify()).code, 0);
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

  // TODO (reported): vault/verify.ts repair() copies only 'missing' and 'mismatch' findings; a
  // forged checkpoint or an edited block in one region, whose other region is intact, is found
  // but left for a person although the good copy is right there.
  it('repairs a forged checkpoint from the other region', { todo: 'verify --repair does not restore checkpoint_invalid findings' }, async () => {
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
      assert.deepEqual(await readFile(file), original);
    } finally {
      await chmod(file, 0o644);
      await writeFile(file, original);
    }
  });

  // TODO (reported): vault/verify.ts verifyCheckpoints() calls decodeCheckpoint (JSON.parse)
  // outside a try, so one unreadable checkpoint makes verify exit with a stack trace, no report.
  it('reports a checkpoint overwritten with garbage as a finding, not a crash', { todo: 'verify throws on an unparsable checkpoint' }, async () => {
    const key = await newestCheckpoint();
    const file = objectFile('a', key);
    const original = await readFile(file);
    await chmod(file, 0o644);
    await writeFile(file, Buffer.concat([original.subarray(0, headerLength(original)), Buffer.from('garbage{')]));
    try {
      const r = await runCli(['verify', '--json'], env());
      assert.equal(r.code, 1, r.stderr.slice(0, 300));
      const report = JSON.parse(r.stdout) as Report;
      assert.ok(report.findings.some((f) => f.region === 'a' && f.key === key), JSON.stringify(report.findings));
    } finally {
      await writeFile(file, original);
    }
  });

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
