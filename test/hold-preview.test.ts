// POST /api/v1/holds/preview and GET /api/v1/holds/:id/history through a real Stele: the preview
// counts exactly what placing the hold then covers, changes nothing, and is the admin's alone;
// the history tells a hold's story from the ledger without its (possibly huge) id lists.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildMail } from './fixtures/mail.ts';
import { journalHttp, login, TEST_ADMIN_PASSWORD, useTestStele, type SignedInClient } from './harness.ts';

interface HistoryAnswer {
  hold: string;
  events: Array<{ seq: number; type: string; actor: string; data: Record<string, unknown> }>;
}

describe('hold preview and history', () => {
  const stele = useTestStele();
  let admin: SignedInClient;
  let lawyer: SignedInClient;

  before(async () => {
    const s = stele();
    const mails = [
      ...[1, 2, 3].map((i) => buildMail({ from: 'Carol Reyes <carol@clinic.example>', to: ['dan@clinic.example'], subject: `Carol ${i}`, date: `Mon, 0${i} Jun 2020 10:00:00 +0000` })),
      ...[1, 2].map((i) => buildMail({ from: 'Erin Woods <erin@clinic.example>', to: ['frank@clinic.example'], subject: `Erin ${i}`, date: `Tue, 0${i} Jun 2021 10:00:00 +0000` })),
    ];
    for (const m of mails) assert.equal((await journalHttp(s.httpUrl, m)).status, 201);
    await s.caughtUp();
    admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    lawyer = await login(s, 'lena', await s.createUser('lena', ['legal']));
  });

  const preview = async (client: SignedInClient, scope: unknown) => client.fetch('/api/v1/holds/preview', { json: { scope } });
  const countOf = async (scope: unknown) => {
    const res = await preview(admin, scope);
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { count: number }).count;
  };

  it('counts what a scope covers by custodian, date range and query, as placing the hold then applies', async () => {
    assert.equal(await countOf({ custodians: ['carol@clinic.example'] }), 3);
    assert.equal(await countOf({ custodians: ['dan@clinic.example', 'frank@clinic.example'] }), 5, 'a custodian is any participant');
    assert.equal(await countOf({ from: '2021-01-01T00:00:00Z', until: '2022-01-01T00:00:00Z' }), 2);
    assert.equal(await countOf({ custodians: ['carol@clinic.example'], query: 'subject:"Carol 2"' }), 1);
    assert.equal(await countOf({ custodians: ['nobody@clinic.example'] }), 0);
    assert.equal((await admin.fetch('/api/v1/holds')).status, 200);
    assert.deepEqual(((await (await admin.fetch('/api/v1/holds')).json()) as { holds: unknown[] }).holds, [], 'a preview places nothing');

    const placed = await admin.fetch('/api/v1/holds', { json: { name: 'Carol', matter: 'Reyes v Clinic', scope: { custodians: ['carol@clinic.example'] }, reason: 'litigation' } });
    assert.equal(placed.status, 201);
    const { applied } = (await placed.json()) as { applied: number };
    assert.equal(applied, 3, 'the preview said what the hold covers');
  });

  it('refuses a scope that is empty or a query that does not parse, and anyone but an admin', async () => {
    assert.equal((await preview(admin, {})).status, 400);
    const bad = await preview(admin, { query: 'subject:(' });
    assert.equal(bad.status, 400);
    assert.equal((await preview(lawyer, { custodians: ['carol@clinic.example'] })).status, 403, 'legal reads holds, never previews');
  });

  it("answers a hold's history from the ledger, for anyone who may read holds", async () => {
    const placed = await admin.fetch('/api/v1/holds', { json: { name: 'Erin', matter: 'Woods', scope: { custodians: ['erin@clinic.example'] }, reason: 'preserve' } });
    const { hold } = (await placed.json()) as { hold: { id: string } };
    const released = await admin.fetch(`/api/v1/holds/${hold.id}/release`, { json: { reason: 'case settled' } });
    assert.equal(released.status, 200);

    const res = await lawyer.fetch(`/api/v1/holds/${hold.id}/history`);
    assert.equal(res.status, 200);
    const history = (await res.json()) as HistoryAnswer;
    assert.deepEqual(history.events.map((e) => e.type), ['hold.placed', 'hold.applied', 'hold.released']);
    assert.ok(history.events.every((e) => e.actor === 'admin'));
    assert.equal(history.events[1].data.idCount, 2, 'id lists become counts');
    assert.equal(history.events[1].data.ids, undefined);
    assert.equal(history.events[2].data.reason, 'case settled');
    assert.equal((await lawyer.fetch('/api/v1/holds/hold-20200101-00000000/history')).status, 404);
    assert.equal((await lawyer.fetch('/api/v1/holds/nonsense/history')).status, 400);
  });
});
