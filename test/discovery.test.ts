// E-discovery end to end: a few hundred real messages journaled into a real Stele, a saved search
// in a matter exported through the HTTP API, then checked with unzip, sha256sum and the real
// `stele export verify`, byte for byte against what was journaled; then a tampered volume.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, writeFile, copyFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import express from 'express';
import { silentLogger } from '../core/log.ts';
import { messageKey } from '../vault/index.ts';
import { Discovery, LOAD_FIELDS, type ExportRecord, type Manifest } from '../discovery/index.ts';
import { openEntry, readZipDirectory } from '../discovery/zip-read.ts';
import { readMbox } from '../ingest/importers/index.ts';
import { errorHandler } from '../server/http/http-errors.ts';
import { discoveryRoutes } from '../server/http/discovery-routes.ts';
import { generateMessage } from '../bench/corpus.ts';
import { journalHttp, login, removeDir, runCli, startTestStele, TEST_ADMIN_PASSWORD, type SignedInClient, type TestStele } from './harness.ts';
import { corpusMessages } from './corpus-files.ts';

const run = promisify(execFile);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const GENERATED = 260;

/** `stele export verify` through the real CLI; through the command module alone until cli.ts lists it. */
async function exportVerify(args: string[]): Promise<{ code: number; stdout: string }> {
  const viaCli = await runCli(['export', 'verify', ...args], {});
  if (!/unknown command "export"/.test(viaCli.stderr)) return viaCli;
  const direct = await run(process.execPath, ['--import', 'tsx', 'server/commands/export.ts', 'verify', ...args]).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code?: number; stdout?: string }) => ({ code: e.code ?? 1, stdout: e.stdout ?? '' }),
  );
  return direct;
}

/** RFC 4180 with CRLF rows and quoted fields that may hold line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else field += c;
  }
  if (field || row.length) row.push(field), rows.push(row);
  return rows;
}

/** Asserts the status (showing the body when it differs) and answers the parsed JSON body. */
async function expectJson<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

function parseDat(text: string): string[][] {
  return text.split('\r\n').filter(Boolean).map((line) => line.split('\u0014').map((v) => {
    assert.ok(v.startsWith('\u00fe') && v.endsWith('\u00fe'), `DAT value not qualified with þ: ${v}`);
    return v.slice(1, -1);
  }));
}

describe('discovery: matters, saved searches and a verifiable export', () => {
  let s: TestStele;
  let discovery: Discovery;
  let server: Server;
  const api = { httpUrl: '' };
  const journaled = new Map<string, Buffer>();
  let alice: SignedInClient;
  let matterId: string;
  let exp: ExportRecord;
  let work: string;
  let volumes: string[] = [];

  before(async () => {
    s = await startTestStele();
    discovery = new Discovery({
      index: s.core.index, readMessage: (id) => s.core.vault.getOpened(messageKey(id)), appendLedger: (e) => s.core.ledger.append(e),
      sodium: s.core.sodium, signing: s.core.vault.keyring.signing, dataDir: s.dataDir, log: silentLogger, archiveName: 'stele-test',
    });
    // The real session, auth routes, authorisation and audit, plus the discovery routes.
    const app = express().use(s.auth.session).use(s.auth.router)
      .use(discoveryRoutes({ discovery, authorize: s.auth.authorize, audit: s.auth.audit })).use(errorHandler(silentLogger));
    server = await new Promise<Server>((resolve) => { const srv = app.listen(0, '127.0.0.1', () => resolve(srv)); });
    api.httpUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const raws = [...Array.from({ length: GENERATED }, (_, i) => generateMessage(i, 7))];
    for (const path of (await corpusMessages()).filter((p) => p.includes('/mimekit/messages/'))) raws.push(await readFile(path));
    for (let i = 0; i < raws.length; i += 16) {
      await Promise.all(raws.slice(i, i + 16).map(async (raw) => {
        const res = await journalHttp(s.httpUrl, raw, { rcptTo: ['legal-archive@clinic.example'] });
        await expectJson(res, 201);
        journaled.set(sha256(raw), raw);
      }));
    }
    await s.caughtUp();
    await s.createUser('alice', ['legal'], 'quartz lantern meadow 4417');
    await s.createUser('bob', ['legal'], 'cobalt harbour willow 9021');
    alice = await login(api, 'alice', 'quartz lantern meadow 4417');
    work = await mkdtemp(join(tmpdir(), 'stele-discovery-'));
  });

  after(async () => {
    server?.close();
    server?.closeAllConnections();
    await discovery?.close();
    await s?.stop();
    if (s) await removeDir(s.dataDir);
    if (work) await removeDir(work);
  });

  it('keeps a matter with its saved search exactly as typed, and the hit count then', async () => {
    const created = await alice.fetch('/api/v1/matters', { json: { name: 'Clinic v. Insurer', description: 'Billing dispute', custodians: ['legal-archive@clinic.example'] } });
    matterId = (await expectJson<{ id: string }>(created, 201)).id;
    const query = '  NOT from:nobody@nowhere.example ';
    const saved = await alice.fetch(`/api/v1/matters/${matterId}/searches`, { json: { name: 'everything', query } });
    const search = await expectJson<{ id: string; query: string; hits: number; runBy: string }>(saved, 201);
    assert.equal(search.query, query);
    assert.equal(search.runBy, 'alice');
    assert.equal(search.hits, journaled.size);
    const bad = await alice.fetch(`/api/v1/matters/${matterId}/searches`, { json: { name: 'broken', query: 'from:(' } });
    assert.equal(bad.status, 400);

    const started = await alice.fetch(`/api/v1/matters/${matterId}/exports`, { json: { searchId: search.id, prefix: 'ABC', splitBytes: 1024 * 1024 } });
    const { id } = await expectJson<{ id: string }>(started, 202);
    const seen = new Set<string>();
    for (;;) {
      const r = await alice.fetch(`/api/v1/matters/${matterId}/exports/${id}`);
      assert.equal(r.status, 200);
      exp = (await r.json()) as ExportRecord;
      seen.add(exp.status);
      if (exp.status === 'complete' || exp.status === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 25)); // polling the job API, as a client would
    }
    assert.equal(exp.status, 'complete', exp.error ?? '');
    assert.equal(exp.total, journaled.size);
    assert.equal(exp.done, journaled.size);
    assert.ok(exp.parts.length >= 2, `split at 1 MiB should give several volumes, got ${exp.parts.length}`);
  });

  it('downloads every volume, whose hash matches the one recorded', async () => {
    for (const p of exp.parts) {
      const r = await alice.fetch(`/api/v1/matters/${matterId}/exports/${exp.id}/parts/${p.name}`);
      assert.equal(r.status, 200);
      const body = Buffer.from(await r.arrayBuffer());
      assert.equal(sha256(body), p.sha256);
      const path = join(work, p.name);
      await writeFile(path, body);
      volumes.push(path);
    }
  });

  it('unzips with unzip into natives byte-identical to what was journaled (sha256sum)', async () => {
    const out = join(work, 'production');
    await mkdir(out);
    for (const v of volumes) {
      await run('unzip', ['-tq', v]); // every entry's CRC
      await run('unzip', ['-q', '-o', v, '-d', out]);
    }
    const natives = (await readdir(join(out, 'NATIVES'))).sort();
    assert.equal(natives.length, journaled.size);
    assert.equal(natives[0], 'ABC0000001.eml');
    const { stdout } = await run('sha256sum', natives, { cwd: join(out, 'NATIVES'), maxBuffer: 16 * 1024 * 1024 });
    const found = new Set<string>();
    for (const line of stdout.trim().split('\n')) {
      const [hash, name] = line.split(/\s+\*?/);
      const raw = journaled.get(hash);
      assert.ok(raw, `${name} has a hash that was never journaled`);
      assert.ok(raw.equals(await readFile(join(out, 'NATIVES', name))));
      found.add(hash);
    }
    assert.equal(found.size, journaled.size);
  });

  it('writes DAT and CSV load files with one row per document and the agreed fields', async () => {
    const out = join(work, 'production');
    const data = await readdir(join(out, 'DATA'));
    const datBytes = await readFile(join(out, 'DATA', data.find((f) => f.endsWith('.dat'))!));
    const csvBytes = await readFile(join(out, 'DATA', data.find((f) => f.endsWith('.csv'))!));
    for (const b of [datBytes, csvBytes]) assert.deepEqual([...b.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
    const dat = parseDat(datBytes.toString('utf8').slice(1));
    const csv = parseCsv(csvBytes.toString('utf8').slice(1));
    assert.deepEqual(dat[0], [...LOAD_FIELDS]);
    assert.deepEqual(csv[0], [...LOAD_FIELDS]);
    assert.equal(dat.length - 1, journaled.size);
    assert.equal(csv.length - 1, journaled.size);
    const col = (name: string) => LOAD_FIELDS.indexOf(name as (typeof LOAD_FIELDS)[number]);
    let withAttachmentText = 0;
    for (const [i, row] of dat.slice(1).entries()) {
      assert.equal(row.length, LOAD_FIELDS.length);
      assert.deepEqual(csv[i + 1].slice(0, col('SUBJECT')), row.slice(0, col('SUBJECT')).map((v) => v.replace(/\u00ae/g, '\n')));
      const native = await readFile(join(out, row[col('NATIVEPATH')]));
      assert.equal(row[col('BEGDOC')], `ABC${String(i + 1).padStart(7, '0')}`);
      // One message is one document (attachments inside its .eml): its family range is itself.
      assert.equal(row[col('ENDDOC')], row[col('BEGDOC')]);
      assert.equal(row[col('BEGATTACH')], row[col('BEGDOC')]);
      assert.equal(row[col('ENDATTACH')], row[col('BEGDOC')]);
      assert.equal(row[col('SHA256')], sha256(native));
      assert.equal(row[col('MD5')], md5(native));
      assert.equal(row[col('NATIVEPATH')], `NATIVES/${row[col('BEGDOC')]}.eml`);
      assert.equal(row[col('CUSTODIAN')].includes('legal-archive@clinic.example'), true);
      const text = await readFile(join(out, row[col('TEXTPATH')]), 'utf8');
      if (text.includes('----- attachment: ')) withAttachmentText++;
    }
    assert.ok(withAttachmentText > 0, 'some exported messages carry attachments whose text is in TEXT/');
    const dates = dat.slice(1).map((r) => r[col('DATESENT')]);
    assert.deepEqual(dates, [...dates].sort(), 'control numbers follow the date order of the search');
  });

  it('signs a manifest whose hashes sha256sum agrees with, and `stele export verify` passes it', async () => {
    const out = join(work, 'production');
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
    assert.equal(manifest.matter.id, matterId);
    assert.equal(manifest.exportedBy, 'alice');
    assert.equal(manifest.source.kind === 'search' && manifest.source.query, '  NOT from:nobody@nowhere.example ');
    assert.equal(manifest.files.length, journaled.size * 2 + 3);
    const { stdout } = await run('sha256sum', manifest.files.map((f) => f.path), { cwd: out, maxBuffer: 16 * 1024 * 1024 });
    const sums = new Map(stdout.trim().split('\n').map((l) => { const [h, p] = l.split(/\s+\*?/); return [p, h] as const; }));
    for (const f of manifest.files) assert.equal(sums.get(f.path), f.sha256, f.path);
    const custody = await readFile(join(out, 'custody.txt'), 'utf8');
    assert.match(custody, /Requested by:\s+alice/);
    assert.match(custody, /ABC0000001 to ABC\d{7}/);
    const key = Buffer.from(s.core.vault.keyring.signing.publicKey).toString('base64');
    const ok = await exportVerify([...volumes, '--public-key', key]);
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /export verify: OK \(signed by the given public key\)/);
    const other = await exportVerify([...volumes, '--public-key', Buffer.alloc(32, 7).toString('base64')]);
    assert.equal(other.code, 1);
    assert.match(other.stdout, /KEY_MISMATCH/);
    const partial = await exportVerify([volumes[volumes.length - 1]]);
    assert.equal(partial.code, 1);
    assert.match(partial.stdout, /MISSING_VOLUME/);
  });

  it('fails verification for one changed byte in a native inside a volume, naming the file', async () => {
    const victim = volumes[0];
    const entries = await readZipDirectory(victim);
    const native = entries.find((e) => e.name.startsWith('NATIVES/'))!;
    const bytes = await readFile(victim);
    const start = native.localOffset + 30 + bytes.readUInt16LE(native.localOffset + 26) + bytes.readUInt16LE(native.localOffset + 28);
    bytes[start + Math.floor(native.compressedSize / 2)] ^= 0x01;
    const tampered = join(work, 'tampered');
    await mkdir(tampered);
    for (const v of volumes) await copyFile(v, join(tampered, v.split('/').pop()!));
    await writeFile(join(tampered, victim.split('/').pop()!), bytes);
    const bad = await exportVerify(volumes.map((v) => join(tampered, v.split('/').pop()!)));
    assert.equal(bad.code, 1, bad.stdout);
    assert.match(bad.stdout, new RegExp(`(HASH_MISMATCH|UNREADABLE).*${native.name.replace('.', '\\.')}`));
    assert.match(bad.stdout, /FAILED/);
  });

  it('hides the matter and its downloads from a legal user who is not a member, until an admin adds them', async () => {
    const bob = await login(api, 'bob', 'cobalt harbour willow 9021');
    const list = (await (await bob.fetch('/api/v1/matters')).json()) as { matters: unknown[] };
    assert.deepEqual(list.matters, []);
    assert.equal((await bob.fetch(`/api/v1/matters/${matterId}`)).status, 404);
    assert.equal((await bob.fetch(`/api/v1/matters/${matterId}/exports/${exp.id}`)).status, 404);
    assert.equal((await bob.fetch(`/api/v1/matters/${matterId}/exports/${exp.id}/parts/${exp.parts[0].name}`)).status, 404);
    assert.equal((await bob.fetch(`/api/v1/matters/${matterId}/exports`, { json: { messageIds: [...journaled.keys()].slice(0, 1) } })).status, 404);
    // Legal users cannot change membership; admins can (and see names, not content).
    assert.equal((await alice.fetch(`/api/v1/admin/matters/${matterId}/members`, { method: 'PUT', json: { members: ['alice', 'bob'] } })).status, 403);
    const admin = await login(api, 'admin', TEST_ADMIN_PASSWORD);
    assert.equal((await admin.fetch(`/api/v1/matters/${matterId}`)).status, 403);
    const put = await admin.fetch(`/api/v1/admin/matters/${matterId}/members`, { method: 'PUT', json: { members: ['alice', 'bob'] } });
    await expectJson(put, 200);
    assert.equal((await bob.fetch(`/api/v1/matters/${matterId}`)).status, 200);
    const dl = await bob.fetch(`/api/v1/matters/${matterId}/exports/${exp.id}/parts/${exp.parts[0].name}`);
    assert.equal(dl.status, 200);
  });

  it('exports a selection of message ids, numbered from a given start', async () => {
    const ids = [...journaled.keys()].slice(0, 5);
    const started = await alice.fetch(`/api/v1/matters/${matterId}/exports`, { json: { messageIds: ids, prefix: 'SEL', startNumber: 101, digits: 5 } });
    const done = await discovery.waitForExport((await expectJson<{ id: string }>(started, 202)).id);
    assert.equal(done.status, 'complete', done.error ?? '');
    assert.equal(done.total, 5);
    assert.equal(done.lastNumber, 105);
    const names = (await readZipDirectory(join(s.dataDir, 'exports', done.id, done.parts[0].name))).map((e) => e.name);
    assert.ok(names.includes('NATIVES/SEL00101.eml') && names.includes('NATIVES/SEL00105.eml'));
  });

  it('adds one mboxrd .mbox of the natives on request, which the importer reads back byte for byte', async () => {
    // A message whose body has lines an mbox reader would take for separators unless quoted.
    const tricky = Buffer.from('From: Ann <ann@clinic.example>\r\nTo: bo@clinic.example\r\nSubject: mbox quoting\r\n'
      + 'Date: Mon, 01 Jan 2024 10:00:00 +0000\r\nMessage-ID: <mbox-quoting@clinic.example>\r\n\r\n'
      + 'From the desk of Ann\r\n>From a quoted reply\r\n>>From deeper\r\nnot From here\r\n');
    await expectJson(await journalHttp(s.httpUrl, tricky, { rcptTo: ['legal-archive@clinic.example'] }), 201);
    const ids = [...[...journaled.keys()].slice(0, 6), sha256(tricky)];
    const started = await alice.fetch(`/api/v1/matters/${matterId}/exports`, { json: { messageIds: ids, prefix: 'MBX', mbox: true } });
    const done = await discovery.waitForExport((await expectJson<{ id: string }>(started, 202)).id);
    assert.equal(done.status, 'complete', done.error ?? '');
    const zips = done.parts.map((p) => join(s.dataDir, 'exports', done.id, p.name));
    const name = `MBOX/MBX_${done.id}.mbox`;
    const holder = zips.length - 1; // written after the load files, in the last volumes
    const entry = (await readZipDirectory(zips[holder])).find((e) => e.name === name);
    assert.ok(entry, `${name} in the last volume`);
    assert.equal(entry.method, 0, 'stored, like the natives');
    const mboxPath = join(work, 'production.mbox');
    const chunks: Buffer[] = [];
    for await (const c of await openEntry(zips[holder], entry)) chunks.push(c as Buffer);
    await writeFile(mboxPath, Buffer.concat(chunks));
    assert.match(Buffer.concat(chunks).toString('latin1'), /\r\n>From the desk of Ann\r\n>>From a quoted reply\r\n>>>From deeper\r\nnot From here/);
    const back: string[] = [];
    for await (const m of readMbox(mboxPath, { maxMessageBytes: 64 * 1024 * 1024 })) back.push(sha256(m.raw!));
    assert.deepEqual(back, ids, 'the messages in control-number order, each byte-identical');
    const verified = await exportVerify(zips);
    assert.equal(verified.code, 0, verified.stdout);
  });
});
