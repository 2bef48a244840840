// The records manager's API additions through real sockets: the chart figures (GET
// /retention/stats) computed over years of journaled mail, the dry run's sample, a batch review
// that says which holds keep due mail out, four-eyes approval, and certificate verification
// that passes on the real certificate and fails once a stored copy is altered on disk.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../core/clock.ts';
import { EXPECTED, HOLD_NAME, seedRetention, tamperRegionCopy, type Seeded } from './fixtures/retention-seed.ts';
import { login, removeDir, startTestStele, type SignedInClient, type TestStele } from './harness.ts';

describe('retention stats, batch exclusions and certificate verification', () => {
  const clock = new ManualClock();
  let s: TestStele;
  let seeded: Seeded;
  let rita: SignedInClient;
  let ross: SignedInClient;

  before(async () => {
    s = await startTestStele({ clock, env: { STELE_FOUR_EYES: 'true' } });
    seeded = await seedRetention(s, clock);
    rita = await login(s, 'rita', await s.createUser('rita', ['records_manager']));
    ross = await login(s, 'ross', await s.createUser('ross', ['records_manager']));
  });
  after(async () => {
    await s.stop();
    await removeDir(s.dataDir);
  });

  it('answers volume per category and year, what falls due per month, and what is overdue', async () => {
    const res = await rita.fetch('/api/v1/retention/stats');
    assert.equal(res.status, 200);
    const stats = (await res.json()) as { months: number; until: string; volume: unknown[]; due: unknown[]; overdue: unknown[] };
    assert.equal(stats.months, 24);
    assert.equal(stats.until, '2028-01-01T00:00:00.000Z');
    assert.deepEqual(stats.volume, EXPECTED.volume);
    assert.deepEqual(stats.due, EXPECTED.due);
    assert.deepEqual(stats.overdue, EXPECTED.overdue);
    const near = (await (await rita.fetch('/api/v1/retention/stats?months=12')).json()) as { due: unknown[] };
    assert.deepEqual(near.due, EXPECTED.due.slice(0, 2), 'twelve months end before July 2027');
    assert.equal((await rita.fetch('/api/v1/retention/stats?months=0')).status, 400);
    const admin = await login(s, 'admin', 'correct horse battery staple');
    assert.equal((await admin.fetch('/api/v1/retention/stats')).status, 403, 'the charts are for records managers (retention.review)');
  });

  it('lets a records manager dry-run a rule and see a metadata sample of what would move', async () => {
    const rules = [{ id: 'proposed', priority: 1, category: 'bulletins', match: { from: ['bob@clinic.example'] }, enabled: true, description: '' }];
    const res = await rita.fetch('/api/v1/retention/rules/dry-run', { json: { rules } });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    const report = JSON.parse(text) as { total: number; moves: unknown[]; sample: Array<{ from: string; category: string; toCategory: string; subject?: string }> };
    assert.equal(report.total, 10);
    // The proposal replaces the rule set: bob's 2 move to bulletins, the 3 newsletters fall back to default.
    assert.deepEqual(report.moves, [{ from: 'bulletins', to: 'default', count: 3 }, { from: 'default', to: 'bulletins', count: 2 }]);
    assert.equal(report.sample.length, 5);
    assert.ok(report.sample.every((m) => m.subject === undefined), 'no subjects in the sample');
    assert.deepEqual(report.sample.filter((m) => m.from === 'bob@clinic.example').map((m) => [m.category, m.toCategory]), [['default', 'bulletins'], ['default', 'bulletins']]);
  });

  it('proposes batches that leave held mail out and say which hold keeps it; four eyes approve; the certificate verifies', async () => {
    const run = await rita.fetch('/api/v1/disposition/run', { method: 'POST' });
    assert.equal(run.status, 201);
    const { batches } = (await run.json()) as { batches: Array<{ id: string; category: string; count: number }> };
    const byCat = Object.fromEntries(batches.map((b) => [b.category, b]));
    assert.equal(byCat.default.count, 2, 'three default messages are due; the held one is not proposed');
    assert.equal(byCat.bulletins.count, 2);
    const review = (await (await rita.fetch(`/api/v1/disposition/batches/${byCat.default.id}`)).json()) as { excluded: { held: number; holds: Array<{ holdId: string; name: string; due: number; inBatch: number }> }; sample: Array<{ sha256: string }> };
    assert.deepEqual(review.excluded, { held: 1, holds: [{ holdId: seeded.holdId, name: HOLD_NAME, matter: 'Smith v Clinic', due: 1, inBatch: 0 }] });
    assert.ok(!review.sample.some((m) => m.sha256 === seeded.heldSha));
    const other = (await (await rita.fetch(`/api/v1/disposition/batches/${byCat.bulletins.id}`)).json()) as { excluded: unknown };
    assert.deepEqual(other.excluded, { held: 0, holds: [] });

    const first = await rita.fetch(`/api/v1/disposition/batches/${byCat.default.id}/approve`, { json: { reason: 'Past the six-year schedule' } });
    assert.equal(((await first.json()) as { status: string }).status, 'proposed', 'four eyes: one approval is not enough');
    const again = await rita.fetch(`/api/v1/disposition/batches/${byCat.default.id}/approve`, { json: { reason: 'again' } });
    assert.equal(again.status, 409);
    assert.match(((await again.json()) as { error: { message: string } }).error.message, /someone else/);
    const second = await ross.fetch(`/api/v1/disposition/batches/${byCat.default.id}/approve`, { json: { reason: 'Checked the sample' } });
    assert.equal(((await second.json()) as { status: string }).status, 'destroyed');

    const verify = await rita.fetch(`/api/v1/certificates/${byCat.default.id}/verify`, { method: 'POST' });
    assert.equal(verify.status, 200);
    const v = (await verify.json()) as { valid: boolean; checks: Array<{ name: string; ok: boolean; detail: string }> };
    assert.deepEqual(v.checks.map((c) => [c.name, c.ok]), [['signature', true], ['region:a', true], ['region:b', true], ['ledger.issued', true], ['ledger.destroyed', true], ['ledger.approvals', true]]);
    assert.equal(v.valid, true);
    assert.match(v.checks.find((c) => c.name === 'ledger.approvals')!.detail, /rita, ross/);

    const stats = (await (await rita.fetch('/api/v1/retention/stats')).json()) as { overdue: unknown[] };
    assert.deepEqual(stats.overdue, [{ category: 'bulletins', count: 2, held: 0, inBatch: 2 }, { category: 'default', count: 1, held: 1, inBatch: 0 }]);

    await tamperRegionCopy(s, 'b', byCat.default.id);
    const bad = (await (await rita.fetch(`/api/v1/certificates/${byCat.default.id}/verify`, { method: 'POST' })).json()) as { valid: boolean; checks: Array<{ name: string; ok: boolean; detail: string }> };
    assert.equal(bad.valid, false);
    assert.deepEqual(bad.checks.filter((c) => !c.ok).map((c) => c.name), ['region:b']);
    assert.equal((await rita.fetch('/api/v1/certificates/batch-20260115-00000000/verify', { method: 'POST' })).status, 404);
  });
});
