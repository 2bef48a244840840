// importPath against an in-memory pipeline stand-in (dedup by SHA-256, out-of-order completion):
// formats, bounded concurrency, failures, and resuming with progress files that must be proved.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SteleError } from '../../core/errors.ts';
import type { IngestRequest, IngestResult } from '../types.ts';
import { importPath, type ImportOptions } from './import-path.ts';
import { compareRel, walkTree } from './tree-walk.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function mail(n: number, extra = ''): string {
  return `From: sender${n}@example.com\nTo: r@example.com\nSubject: message ${n}${extra}\nMessage-ID: <m${n}${extra}@example.com>\n\nbody of ${n}\n`;
}

function mbox(from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) out += `From sender${i}@example.com Mon Jan  1 00:00:00 2024\n${mail(i)}\n`;
  return out;
}

/** Stands in for IngestPipeline.ingest: archives by hash, answers out of order. */
class FakeArchive {
  readonly stored = new Map<string, Buffer>();
  inFlight = 0;
  maxInFlight = 0;
  failOn?: (raw: Buffer) => SteleError | null;

  ingest = async (req: IngestRequest): Promise<IngestResult> => {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 4)));
      const err = this.failOn?.(req.raw);
      if (err) throw err;
      assert.equal(req.source, 'import');
      assert.deepEqual(req.envelope, { rcptTo: [] });
      const id = sha(req.raw);
      const duplicate = this.stored.has(id);
      this.stored.set(id, req.raw);
      return { id, sha256: id, duplicate };
    } finally {
      this.inFlight--;
    }
  };
}

describe('importPath', () => {
  let dir: string;
  let progressDir: string;
  let archive: FakeArchive;
  const run = (path: string, more: Partial<ImportOptions> = {}) =>
    importPath({ path, ingest: archive.ingest, actor: 'import:test', maxMessageBytes: 4096, progressDir, retryDelaysMs: [1, 1], ...more });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stele-import-unit-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const fresh = async (name: string) => {
    archive = new FakeArchive();
    progressDir = join(dir, `${name}-progress`);
    const root = join(dir, name);
    await mkdir(root, { recursive: true });
    return root;
  };

  it('imports an mbox with at most `concurrency` ingests in flight, and a re-run skips it all', async () => {
    const root = await fresh('plain');
    const file = join(root, 'box.mbox');
    await writeFile(file, mbox(0, 40));
    const first = await run(file, { concurrency: 3 });
    assert.equal(first.format, 'mbox');
    assert.deepEqual([first.imported, first.duplicates, first.failed, first.skipped], [40, 0, 0, 0]);
    assert.ok(archive.maxInFlight <= 3 && archive.maxInFlight > 1, `max in flight ${archive.maxInFlight}`);
    const again = await run(file);
    assert.deepEqual([again.imported, again.duplicates, again.messages, again.skipped], [0, 0, 0, 40]);
    const noResume = await run(file, { resume: false });
    assert.deepEqual([noResume.imported, noResume.duplicates], [0, 40], 'without the shortcut the pipeline dedups');
  });

  it('resumes an interrupted mbox import where it stopped, and picks up appended mail', async () => {
    const root = await fresh('resume');
    const file = join(root, 'box.mbox');
    await writeFile(file, mbox(0, 30));
    const stop = new AbortController();
    let seen = 0;
    const first = await run(file, { signal: stop.signal, onMessage: () => ++seen === 10 && stop.abort() });
    assert.equal(first.stoppedBy, 'interrupted');
    assert.ok(first.imported >= 10 && first.imported < 30);
    const second = await run(file);
    assert.equal(second.skipped + second.messages, 30);
    assert.ok(second.skipped >= 10 - 4, `skipped ${second.skipped}`);
    assert.equal(second.imported + first.imported, 30);
    assert.equal(archive.stored.size, 30);
    await appendFile(file, mbox(30, 35));
    const third = await run(file);
    assert.deepEqual([third.imported, third.duplicates, third.skipped], [5, 0, 30]);
  });

  it('does not trust the progress file when the mailbox changed before the resume point', async () => {
    const root = await fresh('changed');
    const file = join(root, 'box.mbox');
    await writeFile(file, mbox(0, 10));
    await run(file);
    const bytes = await readFile(file, 'latin1');
    await writeFile(file, bytes.replace('body of 3', 'body of 9'), 'latin1'); // same length, other bytes
    const again = await run(file);
    assert.equal(again.skipped, 0);
    assert.deepEqual([again.imported, again.duplicates], [1, 9]);
  });

  it('counts an oversize message as failed, passes it on resume, and retries other failures', async () => {
    const root = await fresh('failures');
    const file = join(root, 'box.mbox');
    await writeFile(file, `${mbox(0, 3)}From big\nSubject: big\n\n${'x'.repeat(5000)}\n\n${mbox(3, 6)}`);
    archive.failOn = (raw) => (raw.includes('message 4') ? new SteleError('internal', 'parser exploded') : null);
    const first = await run(file);
    assert.deepEqual([first.imported, first.failed], [5, 2]);
    assert.deepEqual(first.failures.map((f) => f.code).sort(), ['internal', 'too_large']);
    archive.failOn = undefined;
    const second = await run(file);
    assert.equal(second.skipped, 5, 'up to the failed message: 0, 1, 2, the oversize one, 3');
    assert.deepEqual([second.imported, second.duplicates], [1, 1]);
  });

  it('stops, keeping its progress, when the archive keeps refusing writes', async () => {
    const root = await fresh('fatal');
    const file = join(root, 'box.mbox');
    await writeFile(file, mbox(0, 20));
    archive.failOn = (raw) => (raw.includes('message 12') ? new SteleError('storage_unavailable', 'region b down') : null);
    const first = await run(file, { concurrency: 1 });
    assert.match(first.stoppedBy ?? '', /refused writes: region b down/);
    assert.equal(first.imported, 12);
    archive.failOn = undefined;
    const second = await run(file);
    assert.deepEqual([second.skipped, second.imported], [12, 8]);
  });

  it('walks .eml files recursively, Maildir cur/new with Maildir++ folders, and mbox files in a tree', async () => {
    const root = await fresh('tree');
    await mkdir(join(root, 'a/b'), { recursive: true });
    await writeFile(join(root, 'a/one.eml'), mail(1));
    await writeFile(join(root, 'a/b/two.EML'), mail(2));
    await writeFile(join(root, 'a/notes.txt'), 'not mail');
    await writeFile(join(root, 'a/box.mbox'), mbox(10, 13));
    const md = join(root, 'users/alice/Maildir');
    for (const sub of ['cur', 'new', 'tmp', '.Sent/cur', '.Sent/new', '.Sent/tmp']) await mkdir(join(md, sub), { recursive: true });
    await writeFile(join(md, 'cur/1700000000.M1P1.host:2,S'), mail(20));
    await writeFile(join(md, 'new/1700000001.M2P1.host'), mail(21));
    await writeFile(join(md, 'tmp/1700000002.M3P1.host'), mail(22)); // still being delivered
    await writeFile(join(md, '.Sent/cur/1700000003.M4P1.host:2,S'), mail(23));
    await writeFile(join(md, 'dovecot-uidlist'), '3 V1 N4\n');
    const first = await run(root);
    assert.equal(first.format, 'directory');
    assert.deepEqual([first.imported, first.failed, first.ignoredFiles], [8, 0, 1]);
    assert.ok(![...archive.stored.values()].some((b) => b.includes('message 22')), 'tmp/ is not imported');
    const again = await run(root);
    assert.deepEqual([again.messages, again.skipped], [0, 8]);
    const maildirOnly = await run(md, { progressDir: undefined });
    assert.deepEqual([maildirOnly.format, maildirOnly.duplicates], ['maildir', 3]);
  });

  it('goes through every file again when a file appears before the resume point', async () => {
    const root = await fresh('tree-added');
    for (const n of [2, 3, 4]) await writeFile(join(root, `m${n}.eml`), mail(n));
    await run(root);
    await writeFile(join(root, 'm1.eml'), mail(1)); // sorts first: inside the recorded prefix
    const again = await run(root);
    assert.equal(again.skipped, 0);
    assert.deepEqual([again.imported, again.duplicates], [1, 3]);
    const third = await run(root);
    assert.deepEqual([third.messages, third.skipped], [0, 4]);
  });

  it('imports a single message file, and refuses a missing path', async () => {
    const root = await fresh('single');
    await writeFile(join(root, 'x.eml'), mail(7));
    const r = await run(join(root, 'x.eml'));
    assert.deepEqual([r.format, r.imported], ['eml', 1]);
    await assert.rejects(run(join(root, 'missing.mbox')), (err: unknown) => err instanceof SteleError && err.code === 'bad_request');
  });

  it('walks in the order compareRel gives, which the tree resume point relies on', async () => {
    const root = await fresh('order');
    for (const d of ['a', 'a b', 'a-b', 'A', 'é', 'z/y', 'a/b/c']) await mkdir(join(root, d), { recursive: true });
    const names = ['a.eml', 'a/x.eml', 'a/b/c/1.eml', 'a/b.eml', 'a b/x.eml', 'a-b/x.eml', 'A/x.eml', 'é/x.eml', 'z/y/x.eml', 'z/x.eml', 'Z.eml'];
    for (const n of names) await writeFile(join(root, n), mail(1));
    const walked: string[] = [];
    for await (const f of walkTree(root)) walked.push(f.rel);
    assert.deepEqual(walked, [...walked].sort(compareRel));
    assert.deepEqual([...walked].sort(), [...names].sort());
  });
});
