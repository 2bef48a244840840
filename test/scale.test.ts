// End to end on the scale backends: Stele on two real S3 servers with Object Lock and a real
// Elasticsearch node. Journal over SMTP, search as legal, place a hold (the S3 flag in both regions),
// then a region-B outage: nothing is acked while B is down, and once B is back nothing acked is
// missing (in both regions, searchable, verify finds no missing copy). See docs/scale.md.
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MESSAGE_EVENTS, MESSAGE_INGESTED, messageKey, verifyArchive } from '../vault/index.ts';
import { checkReplication, liveOnLedger, startReplicationJob, VAULT_REPAIRED } from '../vault/replication.ts';
import { startElasticsearch, type ElasticsearchNode } from './services/elasticsearch.ts';
import { LOOPBACK, freePort, removeOnExit, startService, unavailable, waitUntil, type Service } from './services/process.ts';
import { buildS3Server, type S3Endpoint } from './services/s3.ts';
import { buildMail } from './fixtures/mail.ts';
import { login, removeDir, startTestStele, TEST_ADMIN_PASSWORD, type SignedInClient, type TestStele } from './harness.ts';
import { sendSmtp } from './smtp-client.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** In every message body, so one search finds all of them. */
const TOKEN = 'quokkascale';
const CUSTODIAN = 'carol@clinic.example';

/**
 * One S3 server that can be stopped and started again on the same port and data: the outage.
 * startS3Pair() (test/services/s3.ts) has no per-region stop, so the regions are started here
 * from the same binary with the same arguments.
 */
interface Region {
  ep: S3Endpoint;
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function s3Region(binary: string, root: string, s3Region: string): Promise<Region> {
  await mkdir(join(root, 'data'), { recursive: true });
  await mkdir(join(root, 'versions'), { recursive: true });
  const port = await freePort();
  const ep: S3Endpoint = { endpoint: `http://${LOOPBACK}:${port}`, region: s3Region, accessKey: `STELE${randomBytes(8).toString('hex').toUpperCase()}`, secretKey: randomBytes(30).toString('base64url') };
  let service: Service | null = null;
  let starts = 0;
  return {
    ep,
    async start() {
      const svc = startService(
        binary,
        ['--port', `${LOOPBACK}:${port}`, '--region', s3Region, '--quiet', 'posix', '--versioning-dir', join(root, 'versions'), join(root, 'data')],
        join(root, `server-${starts++}.log`),
        { env: { ...process.env, ROOT_ACCESS_KEY_ID: ep.accessKey, ROOT_SECRET_ACCESS_KEY: ep.secretKey } },
      );
      service = svc;
      await waitUntil(`versitygw on ${ep.endpoint}`, async () => (await fetch(ep.endpoint, { signal: AbortSignal.timeout(1_000) })).headers.get('server') === 'VERSITYGW', { timeoutMs: 30_000, alive: svc.alive }).catch((err: Error) => {
        throw new Error(`${err.message}\n${svc.tail()}`);
      });
    },
    async stop() {
      await service?.stop();
      service = null;
    },
  };
}

const s3Url = (ep: S3Endpoint, bucket: string) =>
  `s3://${encodeURIComponent(ep.accessKey)}:${encodeURIComponent(ep.secretKey)}@${new URL(ep.endpoint).host}/${bucket}?region=${ep.region}`;

interface Backends {
  a: Region;
  b: Region;
  es: ElasticsearchNode;
  stop(): Promise<void>;
}

/** Both S3 regions and Elasticsearch, or null (after a loud warning) outside CI; throws in CI. */
async function startBackends(): Promise<Backends | null> {
  const es = await startElasticsearch();
  if (!es) return null;
  const root = await mkdtemp(join(tmpdir(), 'stele-scale-s3-'));
  removeOnExit(root);
  const regions: Region[] = [];
  try {
    const binary = await buildS3Server();
    for (const name of ['a', 'b']) {
      const r = await s3Region(binary, join(root, name), `stele-${name}`);
      regions.push(r);
      await r.start();
    }
  } catch (err) {
    await Promise.all([...regions.map((r) => r.stop()), es.stop()]);
    await rm(root, { recursive: true, force: true });
    return unavailable('S3 test servers (versitygw)', err);
  }
  const [a, b] = regions;
  return {
    a, b, es,
    async stop() {
      await Promise.all([a.stop(), b.stop(), es.stop()]);
      await rm(root, { recursive: true, force: true });
    },
  };
}

const t0 = Date.now();
const backends = await startBackends();

if (!backends) {
  test('end to end on S3 + Elasticsearch', { skip: 'the S3 servers or Elasticsearch could not be started (see the warning above)' }, () => {});
} else {
  describe('end to end on two S3 regions with Object Lock and Elasticsearch', () => {
    let s: TestStele;
    let legal: SignedInClient;
    const acked = new Set<string>();
    let i = 0;
    const mail = (to = 'bob@clinic.example') => buildMail({ to: [to], subject: `scale ${++i}`, text: `Ward round notes ${i}, ${TOKEN}.\r\n` });
    const journal = (raw: Buffer, to = 'bob@clinic.example') => sendSmtp(s.smtpPort, raw, { from: 'alice@clinic.example', to: [to] });
    const heads = (id: string) => Promise.all(s.core.vault.regions.map((r) => r.head(messageKey(id))));
    const searchIds = async (q: string): Promise<Set<string>> => {
      const res = await legal.fetch(`/api/v1/search?${new URLSearchParams({ q, limit: '100' })}`);
      assert.equal(res.status, 200, await res.clone().text());
      return new Set(((await res.json()) as { hits: { id: string }[] }).hits.map((h) => h.id));
    };

    before(async () => {
      console.log(`# backends ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      s = await startTestStele({
        env: {
          STELE_VAULT: `a=${s3Url(backends.a.ep, 'stele-a')},b=${s3Url(backends.b.ep, 'stele-b')}`,
          STELE_INDEX: backends.es.url,
        },
      });
      legal = await login(s, 'lex', await s.createUser('lex', ['legal']));
    });
    after(async () => {
      await s?.stop();
      if (s) await removeDir(s.dataDir);
      await backends.stop();
    });

    it('journals over SMTP into both S3 regions and finds the mail through the search API', async () => {
      assert.match(s.core.vault.regions.map((r) => r.address).join(' '), /^s3:\/\/.* s3:\/\//);
      assert.equal(s.core.index.backend, 'elasticsearch');
      for (const to of ['bob@clinic.example', CUSTODIAN, 'dan@clinic.example']) {
        const raw = mail(to);
        const r = await journal(raw, to);
        assert.equal(r.code, 250, r.response);
        acked.add(sha(raw));
        assert.ok((await heads(sha(raw))).every((h) => h !== null), 'in both regions before the ack');
      }
      await s.caughtUp();
      assert.deepEqual(await searchIds(TOKEN), acked);
    });

    it('a hold sets the S3 legal-hold flag in both regions', async () => {
      const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
      const res = await admin.fetch('/api/v1/holds', { json: { name: 'Carol', matter: 'm-scale', scope: { custodians: [CUSTODIAN] }, reason: 'litigation' } });
      assert.equal(res.status, 201, await res.clone().text());
      const held = [...(await searchIds(`${TOKEN} to:${CUSTODIAN}`))];
      assert.equal(held.length, 1);
      for (const id of acked) {
        const flags = (await heads(id)).map((h) => h?.legalHold);
        assert.deepEqual(flags, id === held[0] ? [true, true] : [false, false], `hold flags of ${id}`);
      }
    });

    it('with region B down nothing is acked (451); once B is back, retried and new mail is in both regions', async () => {
      await backends.b.stop();
      const refused: Buffer[] = [];
      for (let n = 0; n < 4; n++) {
        const raw = mail(n === 0 ? CUSTODIAN : undefined);
        const r = await journal(raw, n === 0 ? CUSTODIAN : undefined);
        assert.equal(r.code, 451, `${r.code} ${r.response}`); // never 250 while B is down
        assert.equal(s.core.ledger.first(MESSAGE_INGESTED, sha(raw)), null, 'nothing on the ledger');
        refused.push(raw);
      }
      await backends.b.start();
      // An MTA retries what got a 4xx: every refused message, then new mail.
      for (const raw of [...refused, mail(), mail()]) {
        const r = await journal(raw, raw === refused[0] ? CUSTODIAN : undefined);
        assert.equal(r.code, 250, `${r.code} ${r.response}`);
        acked.add(sha(raw));
      }
      assert.equal((await heads(sha(refused[0]))).every((h) => h?.legalHold === true), true, 'future mail of a custodian is held at ingest');
    });

    it('afterwards every acked message is in both regions and searchable, and verify finds no missing copy', async () => {
      for (const id of acked) assert.ok((await heads(id)).every((h) => h !== null), `${id} in both regions`);
      await s.caughtUp();
      assert.deepEqual(await searchIds(TOKEN), acked);
      const report = await verifyArchive({ vault: s.core.vault, sodium: s.core.sodium, messages: MESSAGE_EVENTS });
      assert.deepEqual(report.findings.filter((f) => f.kind === 'missing'), []);
      assert.ok(report.ok, JSON.stringify(report.findings));
      const replication = await checkReplication({ vault: s.core.vault, mayCopy: liveOnLedger(s.core.ledger), rehash: true });
      assert.deepEqual(replication.findings, []);
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
