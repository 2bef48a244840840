// POST /api/v1/verify runs `stele verify` on the live archive as a job: an auditor polls it, sees
// each region clean, then a flipped byte as a mismatch in that region only; start and outcome
// are on the ledger with the auditor as actor.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { messageKey } from '../vault/index.ts';
import { buildMail } from './fixtures/mail.ts';
import { journalHttp, login, removeDir, startTestStele, TEST_ADMIN_PASSWORD, type SignedInClient, type TestStele } from './harness.ts';

interface Job {
  id: string;
  status: string;
  startedBy: string;
  result: null | {
    ok: boolean;
    ledger: { entries: number; headSeq: number };
    regions: Array<{ region: string; objectsChecked: number; objectsIntact: number; findings: Record<string, number>; chainIntact: boolean; checkpointsValid: boolean }>;
    findings: Array<{ kind: string; region: string; key?: string }>;
  };
}

describe('verify API', () => {
  let s: TestStele;
  let auditor: SignedInClient;
  const ids: string[] = [];
  before(async () => {
    s = await startTestStele();
    for (let i = 0; i < 3; i++) {
      const raw = buildMail({ subject: `verify api ${i}` });
      assert.equal((await journalHttp(s.httpUrl, raw)).status, 201);
      ids.push(createHash('sha256').update(raw).digest('hex'));
    }
    auditor = await login(s, 'aud', await s.createUser('aud', ['auditor']));
  });
  after(async () => {
    await s.stop();
    await removeDir(s.dataDir);
  });

  async function runToEnd(): Promise<Job> {
    const started = await auditor.fetch('/api/v1/verify', { method: 'POST' });
    assert.equal(started.status, 202);
    let { job } = (await started.json()) as { job: Job };
    const deadline = Date.now() + 30_000;
    while (job.status === 'running') {
      assert.ok(Date.now() < deadline, 'verify job did not finish');
      await new Promise((r) => setImmediate(r));
      job = ((await (await auditor.fetch(`/api/v1/verify/${job.id}`)).json()) as { job: Job }).job;
    }
    return job;
  }

  it('reports every region clean on an intact archive, and records who ran it', async () => {
    const job = await runToEnd();
    assert.equal(job.status, 'done');
    assert.equal(job.startedBy, 'aud');
    assert.equal(job.result?.ok, true, JSON.stringify(job.result?.findings));
    assert.deepEqual(job.result!.regions.map((r) => [r.region, r.objectsChecked, r.objectsIntact, r.chainIntact, r.checkpointsValid]), [['a', 3, 3, true, true], ['b', 3, 3, true, true]]);
    assert.ok(job.result!.ledger.entries >= 3);
    const events = s.core.ledger.query({ types: ['verify.started', 'verify.completed'], subject: job.id });
    assert.deepEqual(events.map((e) => [e.type, e.actor]), [['verify.started', 'aud'], ['verify.completed', 'aud']]);
    assert.equal(events[1].data.ok, true);
  });

  it('shows a byte flipped in region b as a mismatch there and nowhere else', async () => {
    const file = join(s.dataDir, 'vault', 'b', 'objects', messageKey(ids[1]));
    const bytes = await readFile(file);
    bytes[bytes.length - 10] ^= 0xff;
    await chmod(file, 0o644);
    await writeFile(file, bytes);
    const job = await runToEnd();
    assert.equal(job.result?.ok, false);
    const [a, b] = job.result!.regions;
    assert.deepEqual(a.findings, { missing: 0, mismatch: 0, orphan: 0, chain_break: 0, checkpoint_invalid: 0 });
    assert.deepEqual(b.findings, { missing: 0, mismatch: 1, orphan: 0, chain_break: 0, checkpoint_invalid: 0 });
    assert.equal(b.objectsIntact, 2);
    assert.deepEqual(job.result!.findings.map((f) => [f.kind, f.region, f.key]), [['mismatch', 'b', messageKey(ids[1])]]);
    const outcome = s.core.ledger.query({ types: ['verify.completed'], subject: job.id })[0];
    assert.deepEqual(outcome.data.regions, { a: a.findings, b: b.findings });
  });

  it('is the auditor\'s: an admin may not run it', async () => {
    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    assert.equal((await admin.fetch('/api/v1/verify', { method: 'POST' })).status, 403);
    assert.equal((await auditor.fetch('/api/v1/verify/verify-000000000000')).status, 404);
    const list = (await (await auditor.fetch('/api/v1/verify')).json()) as { jobs: Job[] };
    assert.equal(list.jobs.length, 2);
  });
});
