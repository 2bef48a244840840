// User administration through real sockets: the password policy at the edge, roles, the last
// admin kept, generated passwords shown once, ingest tokens issued and revoked.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { isSteleError } from '../core/errors.ts';
import { silentLogger } from '../core/log.ts';
import { errorHandler } from '../server/http/http-errors.ts';
import { buildMail } from './fixtures/mail.ts';
import { journalHttp, login, send, TEST_ADMIN_PASSWORD, useTestStele } from './harness.ts';

interface ErrorBody {
  error: { code: string; message: string; details?: { problems?: string[]; field?: string } };
}

describe('user administration', () => {
  const stele = useTestStele();

  it('applies the password policy when an admin sets a password', async () => {
    const admin = await login(stele(), 'admin', TEST_ADMIN_PASSWORD);
    const create = (username: string, password?: string) => admin.fetch('/api/v1/users', { json: { username, roles: ['legal'], ...(password ? { password } : {}) } });
    const common = await create('pat', 'password1234');
    assert.equal(common.status, 400);
    assert.deepEqual(((await common.json()) as ErrorBody).error.details?.problems, ['is a commonly used or breached password']);
    assert.equal((await create('pat', 'short')).status, 400);
    const named = await create('patricia', 'i-am-patricia-2026');
    assert.deepEqual(((await named.json()) as ErrorBody).error.details?.problems, ['must not contain the user name']);
    const made = await create('pat', 'seven blue herons at noon');
    assert.equal(made.status, 201);
    assert.equal(((await made.json()) as { password?: string }).password, undefined, 'a chosen password is not echoed');
    const generated = (await (await create('gen')).json()) as { password: string; user: { roles: string[] } };
    assert.ok(generated.password.length >= 20);
    await login(stele(), 'gen', generated.password);
    assert.equal((await create('Pat', 'seven blue herons at noon')).status, 409, 'names are case-insensitive');
    assert.equal((await admin.fetch('/api/v1/users', { json: { username: 'x y', roles: [] } })).status, 400);
    assert.equal((await admin.fetch('/api/v1/users', { json: { username: 'zed', roles: ['superuser'] } })).status, 400);
    assert.equal((await admin.fetch('/api/v1/users', { json: { username: 'zed', roles: [], extra: 1 } })).status, 400, 'unknown fields refused');
  });

  it('lists users without any secret, and changes roles with immediate effect', async () => {
    const s = stele();
    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    const pw = await s.createUser('switch', ['auditor']);
    const user = await login(s, 'switch', pw);
    assert.equal((await user.fetch('/api/v1/audit')).status, 200);
    const listed = await (await admin.fetch('/api/v1/users')).text();
    assert.doesNotMatch(listed, /\$2[aby]\$|passwordHash|totpSecret|recoveryCodes"/);
    assert.equal((await admin.fetch('/api/v1/users/switch', { method: 'PATCH', json: { roles: ['records_manager'] } })).status, 200);
    assert.equal((await user.fetch('/api/v1/audit')).status, 403, 'the session sees the new roles at once');
  });

  it('keeps at least one enabled admin', async () => {
    const admin = await login(stele(), 'admin', TEST_ADMIN_PASSWORD);
    assert.equal((await admin.fetch('/api/v1/users/admin', { method: 'PATCH', json: { roles: ['auditor'] } })).status, 409);
    assert.equal((await admin.fetch('/api/v1/users/admin', { method: 'PATCH', json: { disabled: true } })).status, 409);
    assert.equal((await admin.fetch('/api/v1/users/nobody', { method: 'PATCH', json: { disabled: true } })).status, 404);
  });

  it('issues ingest tokens shown once, which journal until revoked', async () => {
    const s = stele();
    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    const made = (await (await admin.fetch('/api/v1/ingest-tokens', { json: { label: 'exchange-2' } })).json()) as { id: string; token: string };
    assert.match(made.token, /^stl_/);
    const listed = await (await admin.fetch('/api/v1/ingest-tokens')).text();
    assert.ok(listed.includes(made.id) && !listed.includes(made.token));
    assert.equal((await journalHttp(s.httpUrl, buildMail({ subject: 'via new token' }), { token: made.token })).status, 201);
    assert.equal((await admin.fetch(`/api/v1/ingest-tokens/${made.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await journalHttp(s.httpUrl, buildMail({ subject: 'after revocation' }), { token: made.token })).status, 401);
  });

  it('confines a legal user to the matters an admin names (the hook for discovery/ routes)', async () => {
    const s = stele();
    const app = express();
    app.get('/api/v1/matters/:matterId', s.auth.authorize('matters.read', { matter: (req) => String(req.params.matterId) }), (req, res) => void res.json({ id: req.params.matterId }));
    app.use(errorHandler(silentLogger));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
      const free = await s.createUser('freda', ['legal']);
      const scoped = await s.createUser('scott', ['legal']);
      assert.equal((await admin.fetch('/api/v1/users/scott', { method: 'PATCH', json: { matters: ['m-100'] } })).status, 200);
      const get = async (user: string, pw: string, matter: string) => (await send(`${base}/api/v1/matters/${matter}`, { headers: { cookie: (await login(s, user, pw)).cookie } })).status;
      assert.equal(await get('scott', scoped, 'm-100'), 200);
      assert.equal(await get('scott', scoped, 'm-200'), 403);
      assert.equal(await get('freda', free, 'm-200'), 200, 'an unconfined legal user sees every matter');
      const [denied] = s.core.ledger.query({ types: ['authz.denied'], actor: 'scott' });
      assert.equal(denied.data.matter, 'm-200');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses to build a route whose action is not in the policy', () => {
    assert.throws(() => stele().auth.authorize('messages.delete_everything'), (err) => isSteleError(err, 'internal') && /policy\.ts/.test(err.message));
  });
});
