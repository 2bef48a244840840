// Ingest end to end through real sockets: SMTP and HTTP journaling into two fs regions.
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { messageKey, MESSAGE_DUPLICATE, MESSAGE_INGESTED } from '../ingest/index.ts';
import { buildJournalReport, buildMail } from './fixtures/mail.ts';
import { journalHttp, login, TEST_ADMIN_PASSWORD, useTestStele, type TestStele } from './harness.ts';
import { sendSmtp } from './smtp-client.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('ingest over SMTP and HTTP', () => {
  const stele = useTestStele({ env: { STELE_MAX_MESSAGE_BYTES: String(256 * 1024) } });
  let s: TestStele;
  beforeEach(() => {
    s = stele();
  });

  async function inBothRegions(id: string): Promise<boolean> {
    const heads = await Promise.all(s.core.vault.regions.map((r) => r.head(messageKey(id))));
    return heads.every((h) => h !== null);
  }

  it('archives a message journaled over SMTP in both regions, on the ledger and in the index', async () => {
    const raw = buildMail({ subject: 'Discharge summary', to: ['ward7@clinic.example'] });
    const r = await sendSmtp(s.smtpPort, raw, { from: 'alice@clinic.example', to: ['ward7@clinic.example'] });
    assert.equal(r.code, 250, r.response);
    assert.match(r.response, new RegExp(sha(raw)));
    assert.ok(await inBothRegions(sha(raw)));
    const entry = s.core.ledger.first(MESSAGE_INGESTED, sha(raw));
    assert.deepEqual((entry?.data as { envelope: { rcptTo: string[] } }).envelope.rcptTo, ['ward7@clinic.example']);
    await s.caughtUp();
    const doc = await s.core.index.get(sha(raw));
    assert.equal(doc?.subject, 'Discharge summary');
    assert.deepEqual(await s.core.vault.getOpened(messageKey(sha(raw))), raw, 'byte-identical');
  });

  it('archives a message posted to the journal endpoint and answers 201', async () => {
    const raw = buildMail({ subject: 'Billing question' });
    const res = await journalHttp(s.httpUrl, raw, { rcptTo: ['billing@clinic.example'] });
    assert.equal(res.status, 201);
    assert.deepEqual(await res.json(), { id: sha(raw), sha256: sha(raw), duplicate: false });
    assert.ok(await inBothRegions(sha(raw)));
  });

  it('refuses HTTP journaling without a valid token, and stores nothing', async () => {
    const raw = buildMail({ subject: 'no token' });
    assert.equal((await journalHttp(s.httpUrl, raw, { token: null })).status, 401);
    assert.equal((await journalHttp(s.httpUrl, raw, { token: 'wrong-token-wrong-token-wrong' })).status, 401);
    assert.equal(await s.core.vault.regions[0].head(messageKey(sha(raw))), null);
  });

  it('refuses oversize mail with 552 over SMTP and 413 over HTTP, storing nothing', async () => {
    const raw = buildMail({ text: 'x'.repeat(300 * 1024) });
    const r = await sendSmtp(s.smtpPort, raw, { from: 'a@clinic.example', to: ['b@clinic.example'] });
    assert.equal(r.code, 552, r.response);
    const res = await journalHttp(s.httpUrl, raw);
    assert.equal(res.status, 413);
    assert.equal(await s.core.vault.regions[0].head(messageKey(sha(raw))), null);
  });

  it('unwraps an Exchange journal report: the Bcc recipient is searchable, the report kept as received', async () => {
    const original = buildMail({ subject: 'Confidential referral', to: ['dr.lee@clinic.example'] });
    const report = buildJournalReport(original, [
      'Sender: alice@clinic.example',
      'Subject: Confidential referral',
      'Message-Id: <x@clinic.example>',
      'To: dr.lee@clinic.example',
      'Bcc: compliance@clinic.example',
      'To: oncology-team@clinic.example, Expanded: dr.kim@clinic.example',
    ]);
    const r = await sendSmtp(s.smtpPort, report, { from: 'journal@clinic.example', to: ['archive@stele.example'] });
    assert.equal(r.code, 250, r.response);
    await s.caughtUp();
    const doc = await s.core.index.get(sha(report));
    assert.equal(doc?.subject, 'Confidential referral');
    assert.ok(doc?.bcc.some((a) => a.address === 'compliance@clinic.example'), 'Bcc from the envelope');
    assert.ok(doc?.envelopeTo.includes('dr.kim@clinic.example'), 'expanded list member');
    assert.ok(doc?.flags.includes('journal-report'));
    assert.deepEqual(await s.core.vault.getOpened(messageKey(sha(report))), report, 'the report itself is what is stored');
  });

  it('stores the same message journaled twice once, and keeps both envelopes', async () => {
    const raw = buildMail({ subject: 'Seen by two servers' });
    const a = await sendSmtp(s.smtpPort, raw, { from: 'alice@clinic.example', to: ['bob@clinic.example'] });
    const b = await sendSmtp(s.smtpPort, raw, { from: 'alice@clinic.example', to: ['carol@partner.example'] });
    assert.equal(a.code, 250);
    assert.equal(b.code, 250);
    assert.match(b.response, /duplicate/);
    const keys: string[] = [];
    for await (const k of s.core.vault.regions[0].list("messages/")) if (k.endsWith(sha(raw))) keys.push(k);
    assert.equal(keys.length, 1);
    assert.equal(s.core.ledger.query({ subject: sha(raw), types: [MESSAGE_DUPLICATE] }).length, 1);
    await s.caughtUp();
    const doc = await s.core.index.get(sha(raw));
    assert.ok(doc?.envelopeTo.includes('bob@clinic.example') && doc.envelopeTo.includes('carol@partner.example'));
  });

  it('archives malformed mail raw and flags it, never refusing it', async () => {
    const raw = Buffer.concat([
      Buffer.from('From: \xff\xfe broken <<<@@\r\nSubject: =?bogus?Q?x?=\r\nContent-Type: multipart/mixed; boundary="never-closed"\r\n\r\n--never-closed\r\nContent-Type: text/plain; charset=x-unknown-charset\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n', 'latin1'),
      Buffer.from([0, 1, 2, 0xc3, 0x28, 0xa0, 0xa1]),
    ]);
    const res = await journalHttp(s.httpUrl, raw);
    assert.equal(res.status, 201);
    assert.deepEqual(await s.core.vault.getOpened(messageKey(sha(raw))), raw);
    await s.caughtUp();
    const doc = await s.core.index.get(sha(raw));
    assert.ok(doc, 'indexed by what could be read');
    assert.ok(doc.flags.includes('no-message-id'));
    assert.ok(doc.flags.includes('8bit-headers'));
  });

  it('answers health with every component', async () => {
    const res = await fetch(`${s.httpUrl}/api/v1/health`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { components: Record<string, { status: string }> };
    assert.deepEqual(Object.keys(body.components).sort(), ['index', 'ledger', 'region_a', 'region_b', 'replication', 'smtp']);
  });

  it('exposes Prometheus metrics for ingest volume and refusals', async () => {
    const text = await (await fetch(`${s.httpUrl}/metrics`)).text();
    assert.match(text, /stele_ingest_messages_total\{source="smtp",duplicate="false"\} \d+/);
    assert.match(text, /stele_ingest_refused_total\{reason="too_large"\} [1-9]/);
    assert.match(text, /stele_ingest_refused_total\{reason="unauthorized"\} [1-9]/);
  });
});

describe('a failing region', () => {
  const stele = useTestStele();
  let s: TestStele;
  beforeEach(() => {
    s = stele();
  });

  it('answers 451 / 503, acknowledges nothing, and succeeds on retry once the region is back', async () => {
    const regionB = join(s.dataDir, 'vault', 'b', 'objects');
    const raw = buildMail({ subject: 'During the outage' });
    // The region's disk goes away: its object tree is replaced by a plain file.
    await rm(regionB, { recursive: true, force: true });
    await writeFile(regionB, 'not a directory');
    const smtp = await sendSmtp(s.smtpPort, raw, { from: 'a@clinic.example', to: ['b@clinic.example'] });
    assert.equal(smtp.code, 451, smtp.response);
    const http = await journalHttp(s.httpUrl, raw);
    assert.equal(http.status, 503);
    assert.ok(Number(http.headers.get('retry-after')) > 0);
    assert.equal(s.core.ledger.first(MESSAGE_INGESTED, sha(raw)), null, 'nothing on the ledger');
    await s.caughtUp();
    assert.equal(await s.core.index.get(sha(raw)), null, 'nothing searchable');
    const health = await fetch(`${s.httpUrl}/api/v1/health`);
    assert.equal(health.status, 503);

    await rm(regionB, { force: true });
    await mkdir(regionB);
    const retry = await sendSmtp(s.smtpPort, raw, { from: 'a@clinic.example', to: ['b@clinic.example'] });
    assert.equal(retry.code, 250, retry.response);
    assert.match(retry.response, /Archived/);
    assert.doesNotMatch(retry.response, /duplicate/, 'the failed attempt was not counted as archived');
    assert.deepEqual(await s.core.vault.regions[1].get(messageKey(sha(raw))).then((b) => s.core.vault.unseal(messageKey(sha(raw)), b)), raw);
    // Admins were alerted once (not once per failed write), though the ledger could not take it
    // then; signing in needs the ledger, so they read it once the region is back.
    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    const alerts = (await (await admin.fetch('/api/v1/alerts')).json()) as { alerts: Array<{ kind: string; data: { region?: string; ledger?: string } }> };
    assert.deepEqual(alerts.alerts.filter((a) => a.kind === 'region.error').map((a) => [a.data.region, a.data.ledger]), [['b', 'unavailable']]);
  });
});

describe('abnormal ingest volume', () => {
  const stele = useTestStele({ env: { STELE_ALERT_INGEST_PER_MINUTE: '3' } });

  it('raises one alert when more messages arrive in a minute than configured', async () => {
    const s = stele();
    for (let i = 0; i < 6; i++) assert.equal((await journalHttp(s.httpUrl, buildMail({ subject: `burst ${i}` }))).status, 201);
    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    const alerts = (await (await admin.fetch('/api/v1/alerts')).json()) as { alerts: Array<{ kind: string }> };
    assert.equal(alerts.alerts.filter((a) => a.kind === 'ingest.volume').length, 1);
  });
});
