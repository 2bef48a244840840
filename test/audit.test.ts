// The audit trail through real sockets: each audited action lands on the ledger with the right
// actor and source address; GET /api/v1/audit filters, pages and exports CSV; audit() and the
// rate limits that other routes (search, export) get through authorize().
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { ManualClock } from '../core/clock.ts';
import { silentLogger } from '../core/log.ts';
import { errorHandler } from '../server/http/http-errors.ts';
import { login, send, TEST_ADMIN_PASSWORD, useTestStele, type TestStele } from './harness.ts';

const clock = new ManualClock(new Date());
const ADMIN_IP = '127.0.0.9';
const AUDITOR_IP = '127.0.0.10';

/** A second app on the same auth, standing in for routes other modules mount (search, exports). */
async function sidecar(s: TestStele): Promise<{ url: string; server: Server }> {
  const app: Express = express();
  app.get('/search', s.auth.authorize('search'), async (req, res, next) => {
    try {
      await s.auth.audit(req, { type: 'search.performed', subject: String(req.query.subject ?? '') || undefined, data: { query: String(req.query.q ?? '') } });
      res.json({ ok: true });
    } catch (err) {
      next(err);
    }
  });
  app.use(errorHandler(silentLogger));
  const server = await new Promise<Server>((resolve) => {
    const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('the audit trail', () => {
  const stele = useTestStele({ clock });
  let side: { url: string; server: Server };
  let auditorPassword = '';
  before(async () => {
    side = await sidecar(stele());
    auditorPassword = await stele().createUser('audra', ['auditor']);
  });
  after(() => new Promise<void>((resolve) => side.server.close(() => resolve())));

  it('records each admin and user action with its actor, subject and address', async () => {
    const s = stele();
    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD, undefined, { localAddress: ADMIN_IP });
    const created = await admin.fetch('/api/v1/users', { json: { username: 'dana', roles: ['auditor'] } });
    assert.equal(created.status, 201);
    const { password } = (await created.json()) as { password: string };
    assert.equal((await admin.fetch('/api/v1/users/dana', { method: 'PATCH', json: { roles: ['auditor', 'records_manager'] } })).status, 200);
    assert.equal((await admin.fetch('/api/v1/users/dana/password', { json: {} })).status, 200);
    assert.equal((await admin.fetch('/api/v1/users/dana/sessions', { method: 'DELETE' })).status, 200);
    assert.equal((await admin.fetch('/api/v1/users/dana/totp', { method: 'DELETE' })).status, 204);
    assert.equal((await admin.fetch('/api/v1/mfa-policy', { method: 'PUT', json: { requiredRoles: [] } })).status, 200);
    const token = (await (await admin.fetch('/api/v1/ingest-tokens', { json: { label: 'exchange-1' } })).json()) as { id: string };
    assert.equal((await admin.fetch(`/api/v1/ingest-tokens/${token.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await admin.fetch('/api/v1/audit')).status, 403, 'admins do not read the audit trail');
    assert.ok(password);

    const expected: Array<[string, string | undefined]> = [
      ['auth.login', undefined], ['user.created', 'dana'], ['user.updated', 'dana'], ['user.password_reset', 'dana'],
      ['user.sessions_revoked', 'dana'], ['user.mfa_reset', 'dana'], ['policy.mfa_changed', undefined],
      ['token.created', token.id], ['token.revoked', token.id], ['authz.denied', undefined],
    ];
    for (const [type, subject] of expected) {
      const e = s.core.ledger.query({ types: [type], actor: 'admin', subject }).at(-1);
      assert.ok(e, `${type} on the ledger`);
      assert.equal(e.data.ip, ADMIN_IP, `${type} carries the address`);
      if (type !== 'auth.login') assert.match(String(e.data.session), /^[0-9a-f]{16}$/, `${type} carries the session`);
    }
    const roles = s.core.ledger.query({ types: ['user.updated'], subject: 'dana' })[0].data.changes as Record<string, unknown>;
    assert.deepEqual(roles, { roles: { from: ['auditor'], to: ['auditor', 'records_manager'] } });
    const serialized = JSON.stringify(s.core.ledger.query({ actor: 'admin' }));
    assert.ok(!serialized.includes(password), 'no password on the ledger');
  });

  it('records searches with the query, and answers 429 with Retry-After once the search bucket is empty', async () => {
    const s = stele();
    const pw = await s.createUser('lex', ['legal']);
    const legal = await login(s, 'lex', pw);
    const search = (q: string) => send(`${side.url}/search?q=${encodeURIComponent(q)}`, { headers: { cookie: legal.cookie }, localAddress: '127.0.0.11' });
    for (let i = 0; i < 30; i++) assert.equal((await search(`from:alice@clinic.example #${i}`)).status, 200, `search ${i}`);
    const limited = await search('one too many');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    clock.set(new Date(clock.now().getTime() + 2_000));
    assert.equal((await search('after a pause')).status, 200, 'a token is back after 2 s');
    const entries = s.core.ledger.query({ types: ['search.performed'], actor: 'lex' });
    assert.equal(entries.length, 31);
    assert.equal(entries[0].data.query, 'from:alice@clinic.example #0');
    assert.equal(entries[0].data.ip, '127.0.0.11');
    const other = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    assert.equal((await send(`${side.url}/search?q=x`, { headers: { cookie: other.cookie } })).status, 403, 'admins do not search');
  });

  it('lets auditors filter by actor, type, subject and time, and page by sequence number', async () => {
    const s = stele();
    const auditor = await login(s, 'audra', auditorPassword, undefined, { localAddress: AUDITOR_IP });
    const get = async (q: string) => {
      const res = await auditor.fetch(`/api/v1/audit?${q}`);
      assert.equal(res.status, 200, q);
      return (await res.json()) as { entries: Array<{ seq: number; type: string; actor: string; subject?: string; time: string }>; next: { after: number } | null };
    };
    const byActor = await get('actor=admin&type=user.created,user.updated');
    assert.ok(byActor.entries.length >= 2 && byActor.entries.every((e) => e.actor === 'admin' && ['user.created', 'user.updated'].includes(e.type)));
    const bySubject = await get('subject=dana');
    assert.ok(bySubject.entries.every((e) => e.subject === 'dana'));
    const page1 = await get('limit=3');
    assert.equal(page1.entries.length, 3);
    assert.ok(page1.next);
    const page2 = await get(`limit=3&after=${page1.next.after}`);
    assert.equal(page2.entries[0].seq, page1.entries[2].seq + 1);
    const future = await get(`since=${new Date(clock.now().getTime() + 3_600_000).toISOString()}`);
    assert.equal(future.entries.length, 0);
    const until = await get(`until=${page1.entries[0].time}`);
    assert.equal(until.entries.length, 0, 'until is exclusive and nothing precedes the first entry');
    assert.equal((await auditor.fetch('/api/v1/audit?limit=5000')).status, 400, 'JSON pages are bounded');
    assert.equal((await auditor.fetch('/api/v1/audit?since=yesterday')).status, 400);
    const reads = s.core.ledger.query({ types: ['audit.read'], actor: 'audra' });
    assert.ok(reads.length >= 6 && reads.every((e) => e.data.ip === AUDITOR_IP), 'reading the trail is on the trail');
  });

  it('exports CSV with formula-looking cells defused', async () => {
    const s = stele();
    const pw = await s.createUser('lexi', ['legal']);
    const legal = await login(s, 'lexi', pw);
    await send(`${side.url}/search?q=x&subject=${encodeURIComponent('=HYPERLINK("http://evil.example")')}`, { headers: { cookie: legal.cookie } });
    const auditor = await login(s, 'audra', auditorPassword);
    const res = await auditor.fetch('/api/v1/audit?format=csv&actor=lexi&type=search.performed');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="?stele-audit-\d+-\d+\.csv"?/);
    const lines = (await res.text()).trimEnd().split('\r\n');
    assert.equal(lines[0], 'seq,time,type,actor,subject,ip,data,prev,hash');
    assert.equal(lines.length, 2);
    assert.match(lines[1], /,search\.performed,lexi,"'=HYPERLINK\(""http:\/\/evil\.example""\)",127\.0\.0\.1,/);
  });
});
