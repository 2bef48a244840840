// The index is a projection (invariant 7): `stele reindex`, and a restart without the index
// file, rebuild it from the vault and the ledger alone, giving the same search results.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseQuery, type IndexDocument } from '../search/index.ts';
import { buildJournalReport, buildMail } from './fixtures/mail.ts';
import { journalHttp, removeDir, runCli, startTestStele, TEST_ADMIN_PASSWORD, TEST_TOKEN, type TestStele } from './harness.ts';
import { sendSmtp } from './smtp-client.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const QUERIES = [
  '',
  'referral',
  '"quarterly budget"',
  'participant:auditor@external.example',
  'bcc:compliance@clinic.example',
  'attachment:formulary',
  'has:attachment',
  'after:2025-03 before:2025-06',
  'from:@clinic.example -subject:re',
  'domain:partner.example',
  'résumé OR zurich',
];

/** What a search shows: totals, ids in order, and facets, for every query. */
async function snapshot(s: TestStele): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const q of QUERIES) {
    for (const sort of ['date_desc', 'relevance'] as const) {
      const r = await s.core.index.search(parseQuery(q), { sort, limit: 1000, facets: true });
      out.push({ q, sort, total: r.total, ids: r.hits.map((h) => h.id), facets: r.facets, snippets: r.hits.map((h) => h.snippet ?? null) });
    }
  }
  return out;
}

/** A stored document with its set-valued fields in a fixed order. */
function normal(doc: IndexDocument | null): unknown {
  if (!doc) return null;
  return { ...doc, flags: [...doc.flags].sort(), custodians: [...doc.custodians].sort(), envelopeTo: [...doc.envelopeTo].sort() };
}

describe('rebuilding the index', () => {
  let s: TestStele;
  let dataDir: string;
  const ids: string[] = [];
  let expected: unknown[];
  let docs: unknown[];
  const env = () => ({ STELE_DATA_DIR: dataDir, STELE_INGEST_TOKEN: TEST_TOKEN, STELE_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, STELE_PARSE_WORKERS: '2', STELE_LOG_LEVEL: 'warn' });
  const currentDocs = async (t: TestStele) => Promise.all(ids.map(async (id) => normal(await t.core.index.get(id))));

  before(async () => {
    s = await startTestStele();
    dataDir = s.dataDir;
    const mails = [
      buildMail({ subject: 'Referral for cardiology', from: 'dr.lee@clinic.example', date: 'Mon, 03 Mar 2025 09:00:00 +0000', text: 'Please see the referral.\r\n' }),
      buildMail({ subject: 'Re: Referral for cardiology', from: 'cardio@partner.example', date: 'Tue, 04 Mar 2025 10:00:00 +0000', text: 'Referral accepted.\r\n' }),
      buildMail({ subject: 'Quarterly budget', from: 'cfo@clinic.example', date: 'Thu, 15 May 2025 12:00:00 +0000', text: 'The quarterly budget is attached.\r\n', attachments: [{ filename: 'formulary.txt', contentType: 'text/plain', content: Buffer.from('Formulary review: approved generics.\r\n') }] }),
      buildMail({ subject: 'Résumé from Zürich', from: 'hr@partner.example', date: 'Sun, 01 Jun 2025 08:00:00 +0200', text: 'Candidate résumé attached as text.\r\n' }),
      buildMail({ subject: 'Lunch', from: 'bob@clinic.example', date: 'Fri, 01 Aug 2025 12:00:00 +0000', text: 'Pizza?\r\n' }),
    ];
    for (const m of mails) {
      assert.equal((await journalHttp(s.httpUrl, m, { rcptTo: ['archive@clinic.example'] })).status, 201);
      ids.push(sha(m));
    }
    // A second journal copy of the first message adds an envelope recipient (merged in the index).
    assert.equal((await sendSmtp(s.smtpPort, mails[0]!, { from: 'mx2@clinic.example', to: ['auditor@external.example'] })).code, 250);
    const report = buildJournalReport(buildMail({ subject: 'Incident report', from: 'nurse@clinic.example', date: 'Wed, 09 Apr 2025 07:00:00 +0000' }), [
      'Sender: nurse@clinic.example', 'Subject: Incident report', 'To: ward@clinic.example', 'Bcc: compliance@clinic.example',
    ]);
    assert.equal((await sendSmtp(s.smtpPort, report, { from: 'journal@clinic.example', to: ['archive@stele.example'] })).code, 250);
    ids.push(sha(report));
    await s.caughtUp();
    expected = await snapshot(s);
    docs = await currentDocs(s);
    // The answers are not trivially empty: the rebuild has something to get right.
    const totals = (expected as Array<{ q: string; total: number }>).filter((x) => x.q !== '').map((x) => x.total);
    assert.ok(totals.every((t) => t > 0), JSON.stringify(totals));
    await s.stop();
  });
  after(() => removeDir(dataDir));

  it('`stele reindex` with the service stopped gives the same results after a restart', async () => {
    const r = await runCli(['reindex'], env());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`reindexed ${ids.length} messages`));
    s = await startTestStele({ dataDir });
    try {
      await s.caughtUp();
      assert.deepEqual(await snapshot(s), expected);
      assert.deepEqual(await currentDocs(s), docs);
    } finally {
      await s.stop();
    }
  });

  it('rebuilds a deleted index file from the vault and the ledger at start-up', async () => {
    for (const f of ['index.db', 'index.db-wal', 'index.db-shm']) await rm(join(dataDir, f), { force: true });
    s = await startTestStele({ dataDir });
    try {
      await s.caughtUp();
      assert.deepEqual(await snapshot(s), expected);
      assert.deepEqual(await currentDocs(s), docs);
      const doc = await s.core.index.get(ids[0]!);
      assert.ok(doc?.envelopeTo.includes('auditor@external.example'), 'the second copy\'s envelope, from the ledger');
    } finally {
      await s.stop();
    }
  });
});
