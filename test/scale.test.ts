// End to end on the scale backends: Stele on two real S3 servers with Object Lock and a real
// Elasticsearch node. Journal over SMTP, search as legal, place a hold (the S3 flag in both
// regions), a region-B outage (server B stopped: nothing is acked, over SMTP or HTTP, while it is
// down; once it is back nothing acked is missing), then a matter export whose natives are the
// journaled bytes. See docs/scale.md.
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ExportRecord } from '../discovery/index.ts';
import { MESSAGE_EVENTS, MESSAGE_INGESTED, messageKey, verifyArchive } from '../vault/index.ts';
import { checkReplication, liveOnLedger, startReplicationJob, VAULT_REPAIRED } from '../vault/replication.ts';
import { startElasticsearch, type ElasticsearchNode } from './services/elasticsearch.ts';
import { waitUntil } from './services/process.ts';
import { s3VaultSetting, startS3Pair, type S3Pair } from './services/s3.ts';
import { buildMail } from './fixtures/mail.ts';
import { journalHttp, login, removeDir, startTestStele, TEST_ADMIN_PASSWORD, type SignedInClient, type TestStele } from './harness.ts';
import { sendSmtp } from './smtp-client.ts';

const run = promisify(execFile);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** In every message body, so one search finds all of them. */
const TOKEN = 'quokkascale';
const CUSTODIAN = 'carol@clinic.example';

interface Backends {
  s3: S3Pair;
  es: ElasticsearchNode;
  stop(): Promise<void>;
}

/** Both S3 regions and Elasticsearch, or null (after a loud warning) outside CI; throws in CI. */
async function startBackends(): Promise<Backends | null> {
  const [es, s3] = await Promise.all([startElasticsearch(), startS3Pair()]);
  if (!es || !s3) {
    await Promise.all([es?.stop(), s3?.stop()]);
    return null;
  }
  return { s3, es, stop: async () => void (await Promise.all([s3.stop(), es.stop()])) };
}

/** Asserts the status (showing the body when it differs) and answers the parsed JSON body. */
async function expectJson<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

const t0 = Date.now();
const backends = await startBackends();

if (!backends) {
  test('end to end on S3 + Elasticsearch', { skip: 'the S3 servers or Elasticsearch could not be started (see the warning above)' }, () => {});
} else {
  const { s3 } = backends;
  describe('end to end on two S3 regions with Object Lock and Elasticsearch', () => {
    let s: TestStele;
    let legal: SignedInClient;
    let work: string;
    /** Every acknowledged message, by its SHA-256: what must be in both regions and exported. */
    const acked = new Map<string, Buffer>();
    let i = 0;
    const mail = (to = 'bob@clinic.example') => buildMail({ to: [to], subject: `scale ${++i}`, text: `Ward round notes ${i}, ${TOKEN}.\r\n` });
    const journal = (raw: Buffer, to = 'bob@clinic.example') => sendSmtp(s.smtpPort, raw, { from: 'alice@clinic.example', to: [to] });
    const heads = (id: string) => Promise.all(s.core.vault.regions.map((r) => r.head(messageKey(id))));
    const searchIds = async (q: string): Promise<Set<string>> => {
      const res = await legal.fetch(`/api/v1/search?${new URLSearchParams({ q, limit: '100' })}`);
      return new Set((await expectJson<{ hits: { id: string }[] }>(res, 200)).hits.map((h) => h.id));
    };
    const regionState = async (name: string) => {
      const res = await fetch(`${s.httpUrl}/api/v1/health`);
      return ((await res.json()) as { components: Record<string, { status: string }> }).components[`region_${name}`]?.status;
    };

    before(async () => {
      console.log(`# backends ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (${s3.server}, Elasticsearch at ${backends.es.url})`);
      s = await startTestStele({ env: { STELE_VAULT: s3VaultSetting(s3), STELE_INDEX: backends.es.url } });
      legal = await login(s, 'lex', await s.createUser('lex', ['legal']));
      work = await mkdtemp(join(tmpdir(), 'stele-scale-export-'));
    });
    after(async () => {
      await s?.stop();
      if (s) await removeDir(s.dataDir);
      if (work) await removeDir(work);
      await backends.stop();
    });

    it('journals over SMTP into both S3 regions and finds the mail through the search API', async () => {
      assert.match(s.core.vault.regions.map((r) => r.address).join(' '), /^s3:\/\/.* s3:\/\//);
      assert.equal(s.core.index.backend, 'elasticsearch');
      for (const to of ['bob@clinic.example', CUSTODIAN, 'dan@clinic.example']) {
        const raw = mail(to);
        const r = await journal(raw, to);
        assert.equal(r.code, 250, r.response);
        acked.set(sha(raw), raw);
        assert.ok((await heads(sha(raw))).every((h) => h !== null), 'in both regions before the ack');
      }
      await s.caughtUp();
      assert.deepEqual(await searchIds(TOKEN), new Set(acked.keys()));
    });

    it('a hold sets the S3 legal-hold flag in both regions', async () => {
      const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
      const res = await admin.fetch('/api/v1/holds', { json: { name: 'Carol', matter: 'm-scale', scope: { custodians: [CUSTODIAN] }, reason: 'litigation' } });
      await expectJson(res, 201);
      const held = [...(await searchIds(`${TOKEN} to:${CUSTODIAN}`))];
      assert.equal(held.length, 1);
      for (const id of acked.keys()) {
        const flags = (await heads(id)).map((h) => h?.legalHold);
        assert.deepEqual(flags, id === held[0] ? [true, true] : [false, false], `hold flags of ${id}`);
      }
    });

    it('with server B stopped nothing is acked (SMTP 451, HTTP 503); once B is back, retried and new mail is acked', async () => {
      await s3.b.stop();
      assert.equal(s3.b.running(), false);
      assert.equal(await regionState('b'), 'down');
      const refused: { raw: Buffer; to?: string; via: 'smtp' | 'http' }[] = [];
      for (let n = 0; n < 4; n++) {
        const to = n === 0 ? CUSTODIAN : undefined;
        const raw = mail(to);
        const r = await journal(raw, to);
        assert.equal(r.code, 451, `${r.code} ${r.response}`); // never 250 while B is down
        refused.push({ raw, to, via: 'smtp' });
      }
      for (let n = 0; n < 2; n++) {
        const raw = mail();
        const res = await journalHttp(s.httpUrl, raw);
        assert.equal(res.status, 503, await res.text()); // never 201 while B is down
        assert.ok(res.headers.get('retry-after'), 'a 503 tells the sender when to retry');
        refused.push({ raw, via: 'http' });
      }
      for (const { raw } of refused) assert.equal(s.core.ledger.first(MESSAGE_INGESTED, sha(raw)), null, 'nothing on the ledger');

      await s3.b.start(); // the same port and data: region B as it was
      assert.equal(await regionState('b'), 'ok');
      // Senders retry what got a 4xx / 503: every refused message, then new mail.
      for (const { raw, to, via } of refused) {
        if (via === 'smtp') {
          const r = await journal(raw, to);
          assert.equal(r.code, 250, `${r.code} ${r.response}`);
        } else {
          await expectJson(await journalHttp(s.httpUrl, raw), 201);
        }
        acked.set(sha(raw), raw);
      }
      for (const raw of [mail(), mail()]) {
        const r = await journal(raw);
        assert.equal(r.code, 250, `${r.code} ${r.response}`);
        acked.set(sha(raw), raw);
      }
      assert.equal((await heads(sha(refused[0].raw))).every((h) => h?.legalHold === true), true, 'future mail of a custodian is held at ingest');
    });

    it('afterwards every acked message is in both regions and searchable; verify and the replication checker are clean', async () => {
      for (const id of acked.keys()) assert.ok((await heads(id)).every((h) => h !== null), `${id} in both regions`);
      await s.caughtUp();
      assert.deepEqual(await searchIds(TOKEN), new Set(acked.keys()));
      const report = await verifyArchive({ vault: s.core.vault, sodium: s.core.sodium, messages: MESSAGE_EVENTS });
      assert.deepEqual(report.findings.filter((f) => f.kind === 'missing'), []);
      assert.ok(report.ok, JSON.stringify(report.findings));
      const replication = await checkReplication({ vault: s.core.vault, mayCopy: liveOnLedger(s.core.ledger), rehash: true });
      assert.deepEqual(replication.findings, []);
    });

    it('exports a saved search of a matter as a ZIP whose natives are the journaled bytes, read back from S3', async () => {
      const matter = await expectJson<{ id: string }>(await legal.fetch('/api/v1/matters', { json: { name: 'Clinic scale', description: 'scale backends' } }), 201);
      const saved = await expectJson<{ id: string; hits: number }>(await legal.fetch(`/api/v1/matters/${matter.id}/searches`, { json: { name: 'all scale mail', query: TOKEN } }), 201);
      assert.equal(saved.hits, acked.size);
      const { id } = await expectJson<{ id: string }>(await legal.fetch(`/api/v1/matters/${matter.id}/exports`, { json: { searchId: saved.id, prefix: 'SCL' } }), 202);
      let exp: ExportRecord | undefined;
      await waitUntil('the export job', async () => {
        exp = await expectJson<ExportRecord>(await legal.fetch(`/api/v1/matters/${matter.id}/exports/${id}`), 200);
        return exp.status === 'complete' || exp.status === 'failed';
      }, { timeoutMs: 60_000 });
      assert.equal(exp?.status, 'complete', exp?.error ?? '');
      assert.equal(exp.total, acked.size);

      const out = join(work, 'production');
      for (const p of exp.parts) {
        const res = await legal.fetch(`/api/v1/matters/${matter.id}/exports/${id}/parts/${p.name}`);
        assert.equal(res.status, 200);
        const body = Buffer.from(await res.arrayBuffer());
        assert.equal(sha(body), p.sha256, 'the volume is what the export recorded');
        const path = join(work, p.name);
        await writeFile(path, body);
        await run('unzip', ['-tq', path]); // every entry's CRC, by a reader that is not ours
        await run('unzip', ['-q', '-o', path, '-d', out]);
      }
      const natives = await readdir(join(out, 'NATIVES'));
      assert.equal(natives.length, acked.size);
      const exported = new Map<string, Buffer>();
      for (const name of natives) {
        const bytes = await readFile(join(out, 'NATIVES', name));
        exported.set(sha(bytes), bytes);
      }
      assert.deepEqual(new Set(exported.keys()), new Set(acked.keys()));
      for (const [hash, raw] of acked) assert.ok(raw.equals(exported.get(hash)!), `native of ${hash} byte-identical`);
    });

    it('the replication job copies a copy region B lost back from A, lock state and all, and records it', async () => {
      // B losing an object (a replaced disk, a bad restore) cannot be staged with Object Lock on;
      // an acknowledged message that reached only region A stands in for it.
      const raw = mail(CUSTODIAN);
      const key = messageKey(sha(raw));
      const until = new Date(Date.now() + 30 * 86_400_000);
      await s.core.vault.regions[0].put(key, s.core.vault.seal(key, raw), { retainUntil: until, legalHold: true });
      await s.core.ledger.append({ type: MESSAGE_INGESTED, actor: 'test', subject: sha(raw), data: {} });
      const job = startReplicationJob(s.core, { intervalMs: 3_600_000 });
      try {
        const r = await job.runOnce();
        assert.deepEqual(r.findings.map((f) => [f.kind, f.region, f.key, f.repaired]), [['missing', 'b', key, true]]);
      } finally {
        await job.stop();
      }
      const [a, b] = await heads(sha(raw));
      assert.deepEqual({ retainUntil: b?.retainUntil.getTime(), legalHold: b?.legalHold }, { retainUntil: a?.retainUntil.getTime(), legalHold: true });
      assert.equal(s.core.ledger.query({ types: [VAULT_REPAIRED], subject: key }).length, 1);
    });
  });
}
