// Retention end to end on real parts (fs regions in temp dirs, the ledger, the SQLite index,
// the ingest pipeline) with a ManualClock: disposition timing, holds, approval, destruction
// and certificates, and that policy changes never shorten a retain-until.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { ManualClock } from '../core/clock.ts';
import { isSteleError } from '../core/errors.ts';
import { silentLogger } from '../core/log.ts';
import { IngestPipeline, Indexer, WorkerPool, createIngestMetrics, messageKey } from '../ingest/index.ts';
import { createSqliteIndex, type SearchIndex } from '../search/index.ts';
import { Ledger, Vault, loadOrCreateKeyring, loadSodium, openStore, verifyArchive, type Sodium } from '../vault/index.ts';
import { createRetention, verifyCertificate, certificateKey, type Retention } from '../retention/index.ts';
import { certificateCommand } from '../server/commands/certificate.ts';
import { buildMail, type MailSpec } from './fixtures/mail.ts';

interface Env {
  dir: string;
  clock: ManualClock;
  sodium: Sodium;
  vault: Vault;
  ledger: Ledger;
  index: SearchIndex;
  retention: Retention;
  ingest(spec: MailSpec, rcptTo?: string[]): Promise<string>;
  close(): Promise<void>;
}

const envs: Env[] = [];
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});

/** Built the way server/stele.ts's openCore and createPipeline build them, with the test clock. */
async function setup(opts: { fourEyes?: boolean; start?: string } = {}): Promise<Env> {
  const dir = await mkdtemp(join(tmpdir(), 'stele-retention-'));
  const clock = new ManualClock(opts.start ?? '2026-01-01T00:00:00Z');
  const sodium = await loadSodium();
  const { keyring } = await loadOrCreateKeyring(join(dir, 'keys'));
  const stores = await Promise.all(['a', 'b'].map((r) => openStore(r, `fs:${join(dir, 'vault', r)}`, { clock })));
  const vault = new Vault(stores, sodium, keyring);
  const ledger = new Ledger({ vault, sodium, mirrorPath: join(dir, 'ledger.db'), clock, log: silentLogger });
  await ledger.open();
  const index = await createSqliteIndex({ path: join(dir, 'index.db') });
  const pool = new WorkerPool(1, keyring);
  const indexer = new Indexer({ ledger, vault, index, pool, log: silentLogger, removedBy: ['message.destroyed'] });
  const retention = createRetention({
    vault, sodium, ledger, index, log: silentLogger, clock, dbPath: join(dir, 'retention.db'),
    indexCaughtUp: () => indexer.caughtUp(), options: { fourEyes: opts.fourEyes ?? false, internalDomains: ['clinic.example'] },
  });
  const pipeline = new IngestPipeline({
    vault, ledger, pool, metrics: createIngestMetrics(new Registry()), log: silentLogger, clock,
    classify: retention.classify, maxMessageBytes: 10 * 1024 * 1024,
    afterCommit: (sha256, raw) => {
      if (raw) indexer.remember(sha256, raw);
      indexer.notify();
    },
  });
  const env: Env = {
    dir, clock, sodium, vault, ledger, index, retention,
    async ingest(spec, rcptTo = ['bob@clinic.example']) {
      const r = await pipeline.ingest({ raw: buildMail(spec), source: 'import', actor: 'import:test', envelope: { rcptTo } });
      await indexer.caughtUp();
      return r.sha256;
    },
    async close() {
      await retention.close();
      await indexer.close();
      await pool.close();
      await ledger.close();
      await index.close();
      await vault.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  envs.push(env);
  return env;
}

/** The object's lock state in every region (null where it is gone). */
const heads = (e: Env, id: string) => Promise.all(e.vault.regions.map((r) => r.head(messageKey(id))));
const proposedIds = async (e: Env) => (await e.retention.propose()).flatMap((b) => e.retention.batches().filter((x) => x.id === b.id)).map((b) => b.id);
const idsIn = async (e: Env, batchIds: string[]) => (await Promise.all(batchIds.map((b) => e.retention.review(b, { sample: 1000 })))).flatMap((r) => r.sample.map((s) => s.sha256));

describe('disposition timing', () => {
  it('proposes a six-year message on the day its retention ends, not before', async () => {
    const e = await setup();
    const id = await e.ingest({ date: 'Sun, 15 Mar 2020 10:00:00 +0000', subject: 'Appointment' });
    e.clock.set('2026-03-15T09:59:59.999Z');
    assert.deepEqual(await idsIn(e, await proposedIds(e)), []);
    await assert.rejects(e.vault.delete(messageKey(id)), (err) => isSteleError(err, 'retention_active'), 'the vault refuses on its own');
    assert.equal(e.retention.message(id)?.retainUntil, '2026-03-15T10:00:00.000Z');
    e.clock.set('2026-03-15T10:00:00.000Z');
    const batches = await e.retention.propose();
    assert.equal(batches.length, 1);
    assert.equal(batches[0].category, 'default');
    assert.deepEqual(await idsIn(e, [batches[0].id]), [id]);
    assert.deepEqual(await idsIn(e, await proposedIds(e)), [], 'a message already in an open batch is not proposed twice');
  });
});

describe('legal holds', () => {
  it('never proposes or destroys a held message, including mail that arrived after the hold', async () => {
    const e = await setup();
    const before = await e.ingest({ date: 'Mon, 02 Mar 2020 10:00:00 +0000', to: ['carol@clinic.example'], subject: 'Before' }, ['carol@clinic.example']);
    await e.retention.placeHold({ name: 'Carol', matter: 'm-1', scope: { custodians: ['carol@clinic.example'] }, reason: 'litigation' }, 'admin');
    await e.retention.placeHold({ name: 'Merger', matter: 'm-2', scope: { query: 'subject:merger' }, reason: 'investigation' }, 'admin');
    const after = await e.ingest({ date: 'Tue, 03 Mar 2020 10:00:00 +0000', to: ['carol@clinic.example'], subject: 'After' }, ['carol@clinic.example']);
    const byQuery = await e.ingest({ date: 'Tue, 03 Mar 2020 11:00:00 +0000', subject: 'Merger plans' });
    const free = await e.ingest({ date: 'Tue, 03 Mar 2020 12:00:00 +0000', subject: 'Lunch' });
    for (const h of await heads(e, after)) assert.equal(h?.legalHold, true, 'flagged at ingest in every region');
    e.clock.set('2030-01-01T00:00:00Z');
    const batches = await e.retention.propose();
    assert.deepEqual(await idsIn(e, batches.map((b) => b.id)), [free]);
    for (const id of [before, after, byQuery]) {
      assert.ok(e.retention.holdCount(id) >= 1);
      for (const h of await heads(e, id)) assert.equal(h?.legalHold, true);
      await assert.rejects(e.vault.delete(messageKey(id)), (err) => isSteleError(err, 'legal_hold'), 'the vault refuses on its own');
    }
  });

  it('keeps the flag when one of two holds is released, clears it with the last', async () => {
    const e = await setup();
    const id = await e.ingest({ date: 'Mon, 02 Mar 2020 10:00:00 +0000', to: ['dave@clinic.example'] }, ['dave@clinic.example']);
    const h1 = await e.retention.placeHold({ name: 'A', matter: 'm-1', scope: { custodians: ['dave@clinic.example'] }, reason: 'case A' }, 'admin');
    const h2 = await e.retention.placeHold({ name: 'B', matter: 'm-2', scope: { from: '2020-01-01T00:00:00Z', until: '2021-01-01T00:00:00Z' }, reason: 'case B' }, 'admin');
    assert.equal(h1.applied, 1);
    assert.equal(h2.applied, 1);
    assert.equal(e.retention.holdCount(id), 2);
    await e.retention.releaseHold(h1.hold.id, 'admin', 'case A settled');
    assert.equal(e.retention.holdCount(id), 1);
    for (const h of await heads(e, id)) assert.equal(h?.legalHold, true);
    e.clock.set('2030-01-01T00:00:00Z');
    assert.deepEqual(await idsIn(e, await proposedIds(e)), []);
    await e.retention.releaseHold(h2.hold.id, 'admin', 'case B closed');
    for (const h of await heads(e, id)) assert.equal(h?.legalHold, false);
    assert.deepEqual(await idsIn(e, await proposedIds(e)), [id]);
    const history = e.ledger.query({ types: ['hold.placed', 'hold.released'] }).map((x) => [x.type, x.actor, (x.data as { reason: string }).reason]);
    assert.deepEqual(history, [['hold.placed', 'admin', 'case A'], ['hold.placed', 'admin', 'case B'], ['hold.released', 'admin', 'case A settled'], ['hold.released', 'admin', 'case B closed']]);
  });
});

describe('approval and destruction', () => {
  it('keeps a message a hold covered after the proposal, and says so on the certificate', async () => {
    const e = await setup();
    const held = await e.ingest({ date: 'Mon, 02 Mar 2020 10:00:00 +0000', to: ['erin@clinic.example'] }, ['erin@clinic.example']);
    const gone = await e.ingest({ date: 'Mon, 02 Mar 2020 11:00:00 +0000' });
    e.clock.set('2027-01-01T00:00:00Z');
    const [batch] = await e.retention.propose();
    assert.equal(batch.count, 2);
    const hold = await e.retention.placeHold({ name: 'Erin', matter: 'm-3', scope: { custodians: ['erin@clinic.example'] }, reason: 'new claim' }, 'admin');
    await e.retention.approve(batch.id, 'rm1', 'ok');
    assert.equal((await heads(e, held)).every((h) => h?.legalHold === true), true);
    assert.deepEqual(await heads(e, gone), [null, null]);
    const cert = e.retention.certificate(batch.id).certificate;
    assert.deepEqual(cert.items.map((i) => i.sha256), [gone]);
    assert.deepEqual(cert.skipped, [{ sha256: held, note: `held by ${hold.hold.id}` }]);
    const narrowed = await e.retention.changeHold(hold.hold.id, { scope: { custodians: ['nobody@clinic.example'] }, reason: 'scope corrected' }, 'admin');
    assert.equal(narrowed.removed, 1);
    for (const h of await heads(e, held)) assert.equal(h?.legalHold, false, 'no hold left: flag cleared in every region');
  });


  it('never destroys an unapproved or a rejected batch', async () => {
    const e = await setup();
    const a = await e.ingest({ date: 'Mon, 02 Mar 2020 10:00:00 +0000', subject: 'one' });
    e.clock.set('2027-01-01T00:00:00Z');
    const [batch] = await e.retention.propose();
    e.clock.set('2028-01-01T00:00:00Z');
    await e.retention.propose();
    await e.retention.refresh();
    for (const h of await heads(e, a)) assert.ok(h, 'still in every region while unapproved');
    assert.equal(e.retention.batches().find((b) => b.id === batch.id)?.status, 'proposed');
    const rejected = await e.retention.reject(batch.id, 'rm1', 'pending audit');
    assert.equal(rejected.status, 'rejected');
    await assert.rejects(e.retention.approve(batch.id, 'rm2', 'oops'), (err) => isSteleError(err, 'conflict'));
    for (const h of await heads(e, a)) assert.ok(h);
    assert.ok(await e.index.get(a));
    assert.equal(e.ledger.query({ types: ['message.destroyed'] }).length, 0);
  });

  it('destroys an approved batch in both regions and the index, with a certificate that verifies', async () => {
    const e = await setup({ fourEyes: true });
    const a = await e.ingest({ date: 'Mon, 02 Mar 2020 10:00:00 +0000', subject: 'first' });
    const b = await e.ingest({ date: 'Mon, 02 Mar 2020 11:00:00 +0000', subject: 'second' });
    e.clock.set('2027-01-01T00:00:00Z');
    const [batch] = await e.retention.propose();
    assert.equal(batch.count, 2);
    const review = await e.retention.review(batch.id, { query: 'subject:first' });
    assert.equal(review.matches, 1);
    const once = await e.retention.approve(batch.id, 'rm1', 'reviewed sample');
    assert.equal(once.status, 'proposed', 'four eyes: one approval is not enough');
    await assert.rejects(e.retention.approve(batch.id, 'rm1', 'again'), (err) => isSteleError(err, 'conflict'));
    for (const h of await heads(e, a)) assert.ok(h);
    const done = await e.retention.approve(batch.id, 'rm2', 'second pair of eyes');
    assert.equal(done.status, 'destroyed');
    for (const id of [a, b]) {
      assert.deepEqual(await heads(e, id), [null, null]);
      assert.equal(await e.index.get(id), null);
      assert.equal(e.ledger.first('message.destroyed', id)?.data.batchId, batch.id);
    }
    const copies = await Promise.all(e.vault.regions.map((r) => r.get(certificateKey(batch.id))));
    assert.ok(copies[0].equals(copies[1]));
    assert.ok((await e.vault.regions[0].head(certificateKey(batch.id)))!.retainUntil.getUTCFullYear() === 9999);
    const pub = e.vault.keyring.signing.publicKey;
    const check = verifyCertificate(e.sodium, copies[0], pub);
    assert.ok(check.ok);
    assert.deepEqual(check.certificate.items.map((i) => i.sha256).sort(), [a, b].sort());
    assert.deepEqual(check.certificate.approvers.map((x) => x.actor), ['rm1', 'rm2']);
    for (const pos of [10, Math.floor(copies[0].length / 2), copies[0].length - 3]) {
      const bad = Buffer.from(copies[0]);
      bad[pos] ^= 0x01;
      assert.equal(verifyCertificate(e.sodium, bad, pub).ok, false, `byte ${pos} changed`);
    }
    await e.ledger.checkpoint();
    const verified = await verifyArchive({ vault: e.vault, sodium: e.sodium, messages: { stored: ['message.ingested'], destroyed: ['message.destroyed'], keyOf: messageKey, objectPrefix: 'messages/' } });
    assert.deepEqual(verified.findings, [], 'stele verify: destroyed messages are lawfully gone');
    const file = join(e.dir, 'cert.json');
    await writeFile(file, copies[0]);
    const key = Buffer.from(pub).toString('base64');
    assert.equal(await certificateCommand(['verify', file, '--public-key', key], quiet), 0);
    const tampered = Buffer.from(copies[0]);
    tampered[tampered.indexOf('"rm2"') + 2] = 'x'.charCodeAt(0);
    await writeFile(file, tampered);
    assert.equal(await certificateCommand(['verify', file, '--public-key', key], quiet), 1);
  });
});

describe('policy changes', () => {
  it('never shortens an existing retain-until; lengthening extends the objects', async () => {
    const e = await setup();
    await e.retention.putCategory('billing', { retainYears: 10, retainDays: 0, description: 'claims', reason: 'CMS' }, 'admin');
    await e.retention.putRule(null, { priority: 10, category: 'billing', match: { from: ['@billing.example'] }, enabled: true, description: '', reason: 'billing mail' }, 'admin');
    const id = await e.ingest({ date: 'Mon, 02 Mar 2020 10:00:00 +0000', from: 'claims@billing.example' });
    await e.retention.refresh();
    assert.equal(e.retention.message(id)?.retainUntil, '2030-03-02T10:00:00.000Z');
    const shorter = await e.retention.putCategory('billing', { retainYears: 2, retainDays: 0, description: 'claims', reason: 'policy review' }, 'admin');
    assert.equal(shorter.job, undefined);
    await e.retention.waitForJobs();
    assert.equal(e.retention.message(id)?.retainUntil, '2030-03-02T10:00:00.000Z');
    for (const h of await heads(e, id)) assert.equal(h?.retainUntil.toISOString(), '2030-03-02T10:00:00.000Z');
    e.clock.set('2027-01-01T00:00:00Z');
    assert.deepEqual(await idsIn(e, await proposedIds(e)), [], 'the old, longer retention still applies');
    const longer = await e.retention.putCategory('billing', { retainYears: 12, retainDays: 0, description: 'claims', reason: 'state law' }, 'admin');
    assert.ok(longer.job);
    await e.retention.waitForJobs(longer.job.id);
    assert.equal(e.retention.job(longer.job.id)?.status, 'done');
    for (const h of await heads(e, id)) assert.equal(h?.retainUntil.toISOString(), '2032-03-02T10:00:00.000Z');
    assert.equal(e.retention.message(id)?.retainUntil, '2032-03-02T10:00:00.000Z');
    assert.equal(e.ledger.query({ types: ['retention.extended'] }).length, 1);
  });

  it('applies a content (query) rule after indexing, extending only', async () => {
    const e = await setup();
    await e.retention.putCategory('clinical', { retainYears: 10, retainDays: 0, description: '', reason: 'state law' }, 'admin');
    const { job } = await e.retention.putRule(null, { priority: 1, category: 'clinical', match: { query: 'oncology' }, enabled: true, description: '', reason: 'clinical content' }, 'admin');
    await e.retention.waitForJobs(job.id);
    const id = await e.ingest({ date: 'Mon, 02 Mar 2020 10:00:00 +0000', subject: 'Referral', text: 'Oncology consult requested.' });
    const other = await e.ingest({ date: 'Mon, 02 Mar 2020 10:00:00 +0000', subject: 'Parking', text: 'New parking rules.' });
    await e.retention.refresh();
    assert.deepEqual([e.retention.message(id)?.category, e.retention.message(id)?.retainUntil], ['clinical', '2030-03-02T10:00:00.000Z']);
    for (const h of await heads(e, id)) assert.equal(h?.retainUntil.toISOString(), '2030-03-02T10:00:00.000Z');
    assert.equal(e.retention.message(other)?.retainUntil, '2026-03-02T10:00:00.000Z');
  });

  it('dry-runs a rule change: how many messages would move, and where', async () => {
    const e = await setup();
    await e.ingest({ date: 'Mon, 02 Mar 2020 10:00:00 +0000', from: 'a@lab.example', subject: 'Results' });
    await e.ingest({ date: 'Mon, 02 Mar 2020 10:00:00 +0000', from: 'b@lab.example', subject: 'Results 2' });
    await e.ingest({ date: 'Mon, 02 Mar 2020 10:00:00 +0000', from: 'c@news.example', subject: 'Offer' });
    await e.retention.refresh();
    const report = await e.retention.dryRun({
      categories: [{ name: 'clinical', retainYears: 10, retainDays: 0, description: '', updatedAt: '' }],
      rules: [{ id: 'r1', priority: 1, category: 'clinical', match: { from: ['@lab.example'] }, enabled: true, description: '' }],
    });
    assert.equal(report.total, 3);
    assert.deepEqual(report.moves, [{ from: 'default', to: 'clinical', count: 2 }]);
    assert.equal(report.extended, 2);
    assert.equal(e.retention.categories().some((c) => c.name === 'clinical'), false, 'a dry run changes nothing');
  });
});

const quiet = { config: {} as never, log: silentLogger, print: () => {} };

describe('retention routes', () => {
  it('places a hold, runs disposition, approves, and serves the certificate as JSON and HTML', async () => {
    const e = await setup();
    e.retention.start(); // the node-cron schedules start and stop cleanly (they do not fire within the test)
    const express = (await import('express')).default;
    const { retentionRoutes } = await import('../server/http/retention-routes.ts');
    const { errorHandler } = await import('../server/http/http-errors.ts');
    const audited: string[] = [];
    const allowed = new Set(['holds.manage', 'holds.read', 'retention.review', 'disposition.approve', 'certificates.read']);
    const app = express();
    app.use(retentionRoutes({
      retention: e.retention,
      authorize: (action) => (_req, res, next) => (allowed.has(action) ? next() : res.status(403).json({ error: { code: 'forbidden' } })),
      audit: async (_req, ev) => void audited.push(ev.type),
      actorOf: (req) => String(req.get('x-user')),
    }));
    app.use(errorHandler(silentLogger));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1`;
    const call = (method: string, path: string, body?: unknown) => fetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json', 'x-user': 'rm1' }, body: body ? JSON.stringify(body) : undefined });
    try {
      const id = await e.ingest({ date: 'Mon, 02 Mar 2020 10:00:00 +0000', subject: 'old' });
      assert.equal((await call('POST', '/holds', { name: 'x', matter: 'm', scope: {}, reason: 'r' })).status, 400);
      assert.equal((await call('PUT', '/retention/categories/spam', { retainYears: 0, reason: 'r' })).status, 403);
      e.clock.set('2027-01-01T00:00:00Z');
      const run = await call('POST', '/disposition/run');
      const { batches } = (await run.json()) as { batches: Array<{ id: string }> };
      assert.equal(batches.length, 1);
      const review = (await (await call('GET', `/disposition/batches/${batches[0].id}`)).json()) as { sample: Array<{ sha256: string; subject: string }> };
      assert.deepEqual(review.sample.map((s) => [s.sha256, s.subject]), [[id, 'old']]);
      assert.equal((await call('POST', `/disposition/batches/${batches[0].id}/approve`, {})).status, 400, 'a reason is required');
      const approved = (await (await call('POST', `/disposition/batches/${batches[0].id}/approve`, { reason: 'ok' })).json()) as { status: string };
      assert.equal(approved.status, 'destroyed');
      const list = (await (await call('GET', '/certificates')).json()) as { certificates: Array<{ id: string }>; publicKey: string };
      assert.equal(list.certificates[0].id, batches[0].id);
      const html = await call('GET', `/certificates/${batches[0].id}?format=html`);
      assert.match(html.headers.get('content-type') ?? '', /html/);
      assert.match(await html.text(), new RegExp(id));
      const raw = Buffer.from(await (await call('GET', `/certificates/${batches[0].id}?download=true`)).arrayBuffer());
      assert.ok(verifyCertificate(e.sodium, raw, new Uint8Array(Buffer.from(list.publicKey, 'base64'))).ok);
      assert.equal((await call('GET', '/certificates/batch-20270101-00000000')).status, 404);
      assert.ok(audited.includes('certificate.viewed') && audited.includes('disposition.reviewed'));
    } finally {
      server.close();
    }
  });
});
