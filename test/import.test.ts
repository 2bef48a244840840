// Importing existing mail into a real Stele: the shared corpus's real mbox files (message counts
// and boundaries checked against the corpus's own expectations), an .eml tree, a Maildir, and
// `stele import` itself, whose re-runs import nothing new.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { messageKey, MESSAGE_INGESTED } from '../ingest/index.ts';
import { importPath, type ImportOptions } from '../ingest/importers/index.ts';
import { parseQuery } from '../search/index.ts';
import { CORPUS } from './corpus-files.ts';
import { buildMail } from './fixtures/mail.ts';
import { removeDir, runCli, startTestStele, TEST_ADMIN_PASSWORD, TEST_TOKEN, type TestStele } from './harness.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MIMEKIT_MBOX = join(CORPUS, 'mimekit/mbox');
const MIME4J_MBOX = join(CORPUS, 'mime4j/mbox/src/test/resources/test-1');

/** MimeKit's expectations: where each message of the mbox begins and ends. */
interface Offsets {
  mboxMarkerOffset: number;
  beginOffset: number;
  endOffset: number;
}

/** Compares message text as mbox readers may differ only in the final line break, and >From. */
const comparable = (b: Buffer) => b.toString('latin1').replace(/^>(>*From )/gm, '$1').replace(/\n+$/, '');

describe('importing mail', () => {
  let s: TestStele;
  let work: string;
  /** Message ids by where they came from: "path@offset" in an mbox, the file path otherwise. */
  const origin = new Map<string, string>();
  const run = (path: string, more: Partial<ImportOptions> = {}) =>
    importPath({
      path, ingest: (req) => s.pipeline.ingest(req), actor: 'import:test', maxMessageBytes: s.config.maxMessageBytes,
      progressDir: join(s.dataDir, 'imports'), onMessage: (where, o) => void (o.id && origin.set(where, o.id)), ...more,
    });
  /** The ids of an mbox's messages in file order (completion order differs: four run at once). */
  const idsOf = (path: string) =>
    [...origin.entries()]
      .filter(([w]) => w.startsWith(`${resolve(path)}@`))
      .map(([w, id]) => [Number(w.slice(w.lastIndexOf('@') + 1)), id] as const)
      .sort((a, b) => a[0] - b[0]);
  const search = async (q: string) => (await s.core.index.search(parseQuery(q), { limit: 1000 })).hits.map((h) => h.id);

  before(async () => {
    s = await startTestStele();
    work = await mkdtemp(join(tmpdir(), 'stele-import-'));
  });
  after(async () => {
    await s.stop();
    await removeDir(s.dataDir);
    await removeDir(work);
  });

  it("imports MimeKit's mbox files with the message count and boundaries of their offsets files", async () => {
    const files = (await readdir(MIMEKIT_MBOX)).filter((f) => f.endsWith('.mbox.txt')).sort();
    assert.deepEqual(files, ['content-length.mbox.txt', 'issue1189.mbox.txt', 'simple.mbox.txt', 'unmunged.mbox.txt']);
    const expectedCounts: Record<string, number> = { 'simple.mbox.txt': 3, 'unmunged.mbox.txt': 4 }; // MimeKit's own tests
    for (const f of files) {
      const path = join(MIMEKIT_MBOX, f);
      const offsetsFile = path.replace('.mbox.txt', '.unix-offsets.json');
      const offsets = existsSync(offsetsFile) ? (JSON.parse(await readFile(offsetsFile, 'utf8')) as Offsets[]) : null;
      const r = await run(path);
      assert.equal(r.format, 'mbox', f);
      assert.equal(r.failed, 0, f);
      assert.equal(r.imported + r.duplicates, offsets?.length ?? expectedCounts[f], f);
      if (!offsets) continue;
      const bytes = await readFile(path);
      const ids = new Map(idsOf(path));
      for (const [i, o] of offsets.entries()) {
        const stored = await s.core.vault.getOpened(messageKey(ids.get(o.mboxMarkerOffset)!));
        assert.equal(comparable(stored), comparable(bytes.subarray(o.beginOffset, o.endOffset)), `${f} message ${i}`);
      }
    }
  });

  it("imports mime4j's mbox into the messages its test expects, byte for byte", async () => {
    const path = join(MIME4J_MBOX, 'mbox.rlug');
    const r = await run(path);
    assert.deepEqual([r.imported, r.duplicates, r.failed], [5, 0, 0]);
    const ids = idsOf(path).map(([, id]) => id);
    for (let i = 0; i < 5; i++) {
      const expected = await readFile(join(MIME4J_MBOX, `mbox.rlug-${i}`));
      const stored = await s.core.vault.getOpened(messageKey(ids[i]!));
      // mime4j keeps the empty line an mbox writer adds after each message; Stele drops it (RFC 4155).
      assert.deepEqual(Buffer.concat([stored, Buffer.from('\n')]), expected, `message ${i}`);
      assert.equal(ids[i], sha(stored));
    }
    await s.caughtUp();
    const entry = s.core.ledger.first(MESSAGE_INGESTED, ids[0]!);
    assert.equal(entry?.actor, 'import:test');
    assert.equal((entry?.data as { source: string }).source, 'import');
    assert.deepEqual(await search('from:mmihai@netcompsj.ro'), [ids[0]]);
  });

  it('imports a directory tree of .eml files, passing over files that are not mail', async () => {
    const root = join(work, 'eml');
    await mkdir(join(root, '2024/q1'), { recursive: true });
    const mails = [0, 1, 2].map((i) => buildMail({ subject: `Quarterly filing ${i} kumquat`, messageId: `<eml-${i}@acme.example>` }));
    await writeFile(join(root, '2024/q1/a.eml'), mails[0]!);
    await writeFile(join(root, '2024/b.EML'), mails[1]!);
    await writeFile(join(root, 'c.eml'), mails[2]!);
    await writeFile(join(root, 'index.html'), '<html></html>');
    const r = await run(root);
    assert.deepEqual([r.format, r.imported, r.duplicates, r.failed, r.ignoredFiles], ['directory', 3, 0, 0, 1]);
    await s.caughtUp();
    assert.deepEqual((await search('kumquat')).sort(), mails.map(sha).sort());
  });

  it('imports a Maildir with Maildir++ subfolders, leaving tmp/ alone', async () => {
    const md = join(work, 'Maildir');
    for (const d of ['cur', 'new', 'tmp', '.Sent/cur', '.Sent/new', '.Sent/tmp', '.Archive.2023/cur', '.Archive.2023/new']) await mkdir(join(md, d), { recursive: true });
    const mail = (i: number) => buildMail({ subject: `Maildir message ${i} persimmon`, messageId: `<md-${i}@acme.example>` });
    await writeFile(join(md, 'cur/1700000000.M1P1.mx:2,S'), mail(1));
    await writeFile(join(md, 'new/1700000001.M2P1.mx'), mail(2));
    await writeFile(join(md, 'tmp/1700000002.M3P1.mx'), mail(3));
    await writeFile(join(md, '.Sent/cur/1700000003.M4P1.mx:2,S'), mail(4));
    await writeFile(join(md, '.Archive.2023/new/1700000004.M5P1.mx'), mail(5));
    await writeFile(join(md, 'dovecot-uidlist'), '3 V1700000000 N6\n');
    await writeFile(join(md, 'subscriptions'), 'Sent\nArchive.2023\n');
    const r = await run(md);
    assert.deepEqual([r.format, r.imported, r.failed], ['maildir', 4, 0]);
    await s.caughtUp();
    assert.deepEqual((await search('persimmon')).sort(), [1, 2, 4, 5].map((i) => sha(mail(i))).sort());
  });

  it('re-running an import brings nothing new: skipped by its progress file, or duplicates without it', async () => {
    const path = join(MIME4J_MBOX, 'mbox.rlug');
    const again = await run(path);
    assert.deepEqual([again.imported, again.duplicates, again.skipped], [0, 0, 5]);
    const full = await run(path, { resume: false });
    assert.deepEqual([full.imported, full.duplicates, full.failed], [0, 5, 0]);
    const progressFiles = await readdir(join(s.dataDir, 'imports'));
    assert.ok(progressFiles.length >= 4 && progressFiles.every((f) => /^[0-9a-f]{64}\.json$/.test(f)));
  });
});

/** The CLI command is wired into server/cli.ts by the composition root's owner. */
const cliHasImport = readFileSync('server/cli.ts', 'utf8').includes('importCommand');

describe('stele import', { skip: cliHasImport ? false : 'importCommand is not registered in server/cli.ts yet' }, () => {
  let dataDir: string;
  let mbox: string;
  const env = () => ({ STELE_DATA_DIR: dataDir, STELE_INGEST_TOKEN: TEST_TOKEN, STELE_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, STELE_PARSE_WORKERS: '2', STELE_LOG_LEVEL: 'warn' });
  const mails = Array.from({ length: 12 }, (_, i) => buildMail({ subject: `Exported mailbox ${i} tamarind`, messageId: `<cli-${i}@acme.example>`, text: `From the archive, item ${i}.\r\n` }));

  before(async () => {
    const s = await startTestStele();
    dataDir = s.dataDir;
    await s.stop(); // one writer per archive: import runs with the service stopped
    mbox = join(dataDir, 'export.mbox');
    const body = mails.map((m) => `From export@acme.example Mon Jan  1 00:00:00 2024\n${m.toString('latin1').replace(/^(>*From )/gm, '>$1')}\n`).join('');
    await writeFile(mbox, body, 'latin1');
  });
  after(() => removeDir(dataDir));

  it('imports an mbox, prints a summary, and a re-run imports 0 new', async () => {
    const first = await runCli(['import', mbox], env());
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^imported 12, duplicates 0, failed 0 \(mbox,/m);
    const again = await runCli(['import', mbox], env());
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^imported 0, duplicates 0, failed 0, skipped 12 \(done by an earlier run\)/m);
    const full = await runCli(['import', '--from-start', mbox], env());
    assert.match(full.stdout, /^imported 0, duplicates 12, failed 0 /m);
    const missing = await runCli(['import', join(dataDir, 'nope.mbox')], env());
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such file or directory/);
  });

  it('leaves the messages archived, searchable and on the ledger with the import recorded', async () => {
    const s = await startTestStele({ dataDir });
    try {
      await s.caughtUp();
      const hits = await s.core.index.search(parseQuery('tamarind'), { limit: 100 });
      assert.equal(hits.total, 12);
      const ids = mails.map((m) => sha(Buffer.from(m.toString('latin1'), 'latin1')));
      assert.deepEqual(hits.hits.map((h) => h.id).sort(), [...ids].sort());
      assert.deepEqual(await s.core.vault.getOpened(messageKey(ids[3]!)), mails[3]);
      const runs = s.core.ledger.query({ types: ['import.completed'] });
      assert.equal(runs.length, 3);
      assert.equal(runs[0]!.data.imported, 12);
      assert.match(runs[0]!.actor, /^import:/);
    } finally {
      await s.stop();
    }
  });
});
