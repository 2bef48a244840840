// Retention decisions taken after mail was indexed reach the message view and the search index,
// through a real Stele: a hold placed over archived mail, its release (another hold still in
// force), and a rule that extends retention, each seen by a lawyer in GET /messages/:id and
// in hold:/category: searches; and the view answers from the catalog when the index lags.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { buildMail } from './fixtures/mail.ts';
import { journalHttp, login, TEST_ADMIN_PASSWORD, useTestStele, type SignedInClient } from './harness.ts';
import { waitUntil } from './services/process.ts';

interface MessageView {
  category: string;
  retainUntil: string;
  holds: string[];
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('retention state after indexing: message view and search', () => {
  const stele = useTestStele();
  let admin: SignedInClient;
  let lawyer: SignedInClient;
  const id: Record<'carol1' | 'carol2' | 'erin', string> = { carol1: '', carol2: '', erin: '' };
  let holdA = '';
  let holdB = '';

  before(async () => {
    const s = stele();
    const mails = {
      carol1: buildMail({ from: 'Carol Reyes <carol@clinic.example>', to: ['dan@clinic.example'], subject: 'Carol one', date: 'Mon, 01 Jun 2020 10:00:00 +0000' }),
      carol2: buildMail({ from: 'Carol Reyes <carol@clinic.example>', to: ['dan@clinic.example'], subject: 'Carol two', date: 'Tue, 02 Jun 2020 10:00:00 +0000' }),
      erin: buildMail({ from: 'Erin Woods <erin@clinic.example>', to: ['frank@clinic.example'], subject: 'Erin', date: 'Tue, 01 Jun 2021 10:00:00 +0000' }),
    };
    for (const [name, raw] of Object.entries(mails)) {
      assert.equal((await journalHttp(s.httpUrl, raw)).status, 201);
      id[name as keyof typeof id] = sha256(raw);
    }
    await s.caughtUp();
    admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    lawyer = await login(s, 'lena', await s.createUser('lena', ['legal']));
  });

  const view = async (sha: string): Promise<MessageView> => {
    const res = await lawyer.fetch(`/api/v1/messages/${sha}`);
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as MessageView;
  };
  const found = async (q: string): Promise<string[]> => {
    const res = await lawyer.fetch(`/api/v1/search?${new URLSearchParams({ q, limit: '100' })}`);
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { hits: Array<{ id: string }> }).hits.map((h) => h.id).sort();
  };
  const placeHold = async (name: string, scope: unknown): Promise<string> => {
    const res = await admin.fetch('/api/v1/holds', { json: { name, matter: 'Reyes v Clinic', scope, reason: 'litigation' } });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { hold: { id: string } }).hold.id;
  };

  it('shows a hold placed over already-archived mail in the message view and in hold: searches', async () => {
    assert.deepEqual((await view(id.carol1)).holds, [], 'indexed with no hold');
    holdA = await placeHold('Carol', { custodians: ['carol@clinic.example'] });
    holdB = await placeHold('Carol one', { query: 'subject:"Carol one"' });
    assert.deepEqual((await view(id.carol1)).holds, [holdA, holdB].sort());
    assert.deepEqual((await view(id.carol2)).holds, [holdA]);
    assert.deepEqual((await view(id.erin)).holds, []);
    assert.deepEqual(await found(`hold:${holdA}`), [id.carol1, id.carol2].sort());
    assert.deepEqual(await found(`hold:${holdB}`), [id.carol1]);
    const doc = await stele().core.index.get(id.carol1);
    assert.deepEqual([...(doc?.holds ?? [])].sort(), [holdA, holdB].sort(), 'the index document itself follows');
  });

  it('drops a released hold from both, leaving the other hold in force', async () => {
    const res = await admin.fetch(`/api/v1/holds/${holdA}/release`, { json: { reason: 'case settled' } });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual((await view(id.carol1)).holds, [holdB]);
    assert.deepEqual((await view(id.carol2)).holds, []);
    assert.deepEqual(await found(`hold:${holdA}`), []);
    assert.deepEqual(await found(`hold:${holdB}`), [id.carol1]);
  });

  it('shows a retention extension by a rule change in the message view and the index', async () => {
    const before = await view(id.erin);
    assert.deepEqual([before.category, before.retainUntil], ['default', '2027-06-01T10:00:00.000Z']);
    const cat = await admin.fetch('/api/v1/retention/categories/legal-10y', { method: 'PUT', json: { retainYears: 10, description: 'Litigation', reason: 'counsel advice' } });
    assert.equal(cat.status, 200, await cat.clone().text());
    const rule = await admin.fetch('/api/v1/retention/rules', { json: { priority: 1, category: 'legal-10y', match: { from: ['erin@clinic.example'] }, reason: 'counsel advice' } });
    assert.equal(rule.status, 202, await rule.clone().text());
    const { job } = (await rule.json()) as { job: { id: string } };
    let state = 'running';
    await waitUntil('re-evaluation job', async () => {
      state = ((await (await admin.fetch(`/api/v1/retention/jobs/${job.id}`)).json()) as { status: string }).status;
      return state !== 'running';
    }, { timeoutMs: 20_000 });
    assert.equal(state, 'done');
    const after = await view(id.erin);
    assert.deepEqual([after.category, after.retainUntil], ['legal-10y', '2031-06-01T10:00:00.000Z']);
    const doc = await stele().core.index.get(id.erin);
    assert.deepEqual([doc?.category, doc?.retainUntil], ['legal-10y', '2031-06-01T10:00:00.000Z']);
    assert.deepEqual(await found('category:legal-10y'), [id.erin]);
    assert.deepEqual((await view(id.carol1)).retainUntil, '2026-06-01T10:00:00.000Z', 'mail the rule does not match keeps its date');
  });

  it('keeps the current state through a rebuild of the index from the ledger', async () => {
    const s = stele();
    await s.indexer.rebuild(); // ingest events predate the hold and the rule: the catalog supplies them
    assert.deepEqual(await found(`hold:${holdB}`), [id.carol1], 'the rebuilt index has the hold placed after ingest');
    assert.deepEqual(await found('category:legal-10y'), [id.erin], 'and the category a later rule gave');
    const carol = await view(id.carol1);
    assert.deepEqual(carol.holds, [holdB], 'the view shows the hold still in force');
    const erin = await view(id.erin);
    assert.deepEqual([erin.category, erin.retainUntil], ['legal-10y', '2031-06-01T10:00:00.000Z']);
  });

  it('follows a change of a hold\'s scope: mail leaving it and mail entering it', async () => {
    const res = await admin.fetch(`/api/v1/holds/${holdB}`, { method: 'PATCH', json: { scope: { query: 'subject:"Carol two"' }, reason: 'scope corrected' } });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual((await view(id.carol1)).holds, []);
    assert.deepEqual((await view(id.carol2)).holds, [holdB]);
    assert.deepEqual(await found(`hold:${holdB}`), [id.carol2]);
  });
});
