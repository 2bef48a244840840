// Signing in through real sockets: cookies, failures, lockout with back-off, session timeouts
// (on an injected clock), revocation and CSRF refusal; each outcome checked on the ledger.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../core/clock.ts';
import { login, send, TEST_ADMIN_PASSWORD, useTestStele } from './harness.ts';

const clock = new ManualClock(new Date());
const advance = (ms: number) => clock.set(new Date(clock.now().getTime() + ms));
const MIN = 60_000;

describe('sign-in, sessions and CSRF', () => {
  const stele = useTestStele({ clock });
  const postLogin = (body: unknown, opts: { origin?: string; localAddress?: string } = {}) =>
    send(`${stele().httpUrl}/api/v1/auth/login`, {
      method: 'POST', localAddress: opts.localAddress,
      headers: { 'content-type': 'application/json', ...(opts.origin ? { origin: opts.origin } : {}) },
      body: JSON.stringify(body),
    });

  it('signs in with HttpOnly, SameSite=Strict cookies (not Secure over plain loopback http) and audits it', async () => {
    const s = stele();
    const password = await s.createUser('alice', ['legal']);
    const res = await postLogin({ username: 'Alice', password }, { origin: s.httpUrl });
    assert.equal(res.status, 200);
    const cookies = res.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('stele_session='))!;
    const csrf = cookies.find((c) => c.startsWith('stele_csrf='))!;
    assert.match(session, /HttpOnly/i);
    assert.match(session, /SameSite=Strict/i);
    assert.doesNotMatch(session, /Secure/i);
    assert.doesNotMatch(csrf, /HttpOnly/i, 'the page must be able to read the CSRF token');
    const body = (await res.json()) as { user: { username: string }; stage: string; actions: string[] };
    assert.equal(body.user.username, 'alice');
    assert.equal(body.stage, 'full');
    assert.ok(body.actions.includes('search') && !body.actions.includes('users.manage'));
    const [entry] = s.core.ledger.query({ types: ['auth.login'], actor: 'alice' });
    assert.equal(entry.data.ip, '127.0.0.1');
    assert.equal(entry.data.mfa, 'none');
  });

  it('answers a wrong password and an unknown user alike, and audits both', async () => {
    const s = stele();
    const wrong = await postLogin({ username: 'alice', password: 'not the password at all' });
    const unknown = await postLogin({ username: 'nobody-here', password: 'not the password at all' });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.deepEqual(await wrong.json(), await unknown.json());
    const failed = s.core.ledger.query({ types: ['auth.login.failed'] });
    assert.ok(failed.some((e) => e.actor === 'alice' && e.data.reason === 'bad_password' && e.data.ip === '127.0.0.1'));
    assert.ok(failed.some((e) => e.actor === 'anonymous' && e.data.attemptedUsername === 'nobody-here' && e.data.reason === 'unknown_user'));
    assert.equal((await postLogin({ username: 'alice' })).status, 400, 'a malformed body is a validation error');
  });

  it('delays an account after 5 failures, doubling the delay, and alerts once', async () => {
    const s = stele();
    const password = await s.createUser('locky', ['auditor']);
    const from = { localAddress: '127.0.0.3' };
    for (let i = 1; i <= 5; i++) assert.equal((await postLogin({ username: 'locky', password: 'wrong password ' + i }, from)).status, 401);
    const locked = await postLogin({ username: 'locky', password }, from);
    assert.equal(locked.status, 429, 'even the right password waits');
    assert.ok(Number(locked.headers.get('retry-after')) >= 29 && Number(locked.headers.get('retry-after')) <= 30);
    advance(31_000);
    assert.equal((await postLogin({ username: 'locky', password: 'wrong again, sixth' }, from)).status, 401);
    const longer = await postLogin({ username: 'locky', password }, from);
    assert.equal(longer.status, 429);
    assert.ok(Number(longer.headers.get('retry-after')) >= 59, 'the second delay is twice the first');
    advance(61_000);
    assert.equal((await postLogin({ username: 'locky', password }, from)).status, 200);
    assert.equal((await postLogin({ username: 'locky', password: 'wrong once more' }, from)).status, 401, 'success reset the count');
    assert.equal((await postLogin({ username: 'locky', password }, from)).status, 200);
    const alerts = s.core.ledger.query({ types: ['alert.raised'], subject: 'locky' });
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].data.kind, 'login.repeated_failures');
    const refused = s.core.ledger.query({ types: ['auth.login.failed'], actor: 'locky' }).filter((e) => e.data.reason === 'account_locked');
    assert.equal(refused.length, 2);
    assert.equal(refused[0].data.ip, '127.0.0.3');
  });

  it('ends a session after 30 idle minutes', async () => {
    const s = stele();
    const password = await s.createUser('idler', ['auditor']);
    const c = await login(s, 'idler', password);
    advance(29 * MIN);
    assert.equal((await c.fetch('/api/v1/auth/me')).status, 200, 'activity keeps it alive');
    advance(29 * MIN);
    assert.equal((await c.fetch('/api/v1/auth/me')).status, 200);
    advance(31 * MIN);
    const gone = await c.fetch('/api/v1/auth/me');
    assert.equal(gone.status, 401);
    assert.ok(gone.headers.getSetCookie().some((x) => x.startsWith('stele_session=;')), 'the dead cookie is cleared');
  });

  it('ends a session 12 hours after sign-in however active it is', async () => {
    const s = stele();
    const password = await s.createUser('worker', ['auditor']);
    const c = await login(s, 'worker', password);
    for (let t = 0; t + 25 < 12 * 60; t += 25) {
      advance(25 * MIN);
      assert.equal((await c.fetch('/api/v1/auth/me')).status, 200, `at ${t + 25} min`);
    }
    advance(25 * MIN);
    assert.equal((await c.fetch('/api/v1/auth/me')).status, 401);
  });

  it('revokes: logout, an admin revoking a user, a password change ending the other sessions', async () => {
    const s = stele();
    const password = await s.createUser('revvy', ['legal']);
    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);

    const a = await login(s, 'revvy', password);
    assert.equal((await a.fetch('/api/v1/auth/logout', { method: 'POST' })).status, 204);
    assert.equal((await a.fetch('/api/v1/auth/me')).status, 401);
    assert.equal(s.core.ledger.query({ types: ['auth.logout'], actor: 'revvy' }).length, 1);

    const b1 = await login(s, 'revvy', password);
    const b2 = await login(s, 'revvy', password);
    const revoked = await admin.fetch('/api/v1/users/revvy/sessions', { method: 'DELETE' });
    assert.deepEqual(await revoked.json(), { revoked: 2 });
    assert.equal((await b1.fetch('/api/v1/auth/me')).status, 401);
    assert.equal((await b2.fetch('/api/v1/auth/me')).status, 401);
    const [ev] = s.core.ledger.query({ types: ['user.sessions_revoked'], subject: 'revvy' });
    assert.equal(ev.actor, 'admin');

    const c1 = await login(s, 'revvy', password);
    const c2 = await login(s, 'revvy', password);
    const next = 'a different long passphrase';
    assert.equal((await c1.fetch('/api/v1/auth/password', { json: { currentPassword: password, newPassword: next } })).status, 204);
    assert.equal((await c2.fetch('/api/v1/auth/me')).status, 401, 'other sessions end');
    assert.equal((await c1.fetch('/api/v1/auth/me')).status, 200, 'the one that changed it stays');
    assert.equal((await postLogin({ username: 'revvy', password })).status, 401);
    await login(s, 'revvy', next);

    const d = await login(s, 'revvy', next);
    assert.equal((await admin.fetch('/api/v1/users/revvy', { method: 'PATCH', json: { disabled: true } })).status, 200);
    assert.equal((await d.fetch('/api/v1/auth/me')).status, 401, 'disabling ends sessions at once');
    assert.equal((await postLogin({ username: 'revvy', password: next })).status, 401);
  });

  it('refuses state-changing requests without the CSRF token, with a wrong one, or from a foreign Origin', async () => {
    const s = stele();
    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    const create = (headers: Record<string, string>, name: string) =>
      send(`${s.httpUrl}/api/v1/users`, { method: 'POST', headers: { cookie: admin.cookie, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ username: name, roles: ['auditor'] }) });
    const missing = await create({}, 'csrf1');
    assert.equal(missing.status, 403);
    assert.equal(((await missing.json()) as { error: { details: { reason: string } } }).error.details.reason, 'csrf');
    assert.equal((await create({ 'x-csrf-token': 'x'.repeat(43) }, 'csrf2')).status, 403);
    const foreign = await create({ 'x-csrf-token': admin.csrf, origin: 'https://evil.example' }, 'csrf3');
    assert.equal(foreign.status, 403);
    assert.equal(((await foreign.json()) as { error: { details: { reason: string } } }).error.details.reason, 'origin');
    assert.equal((await create({ 'x-csrf-token': admin.csrf, 'sec-fetch-site': 'cross-site' }, 'csrf4')).status, 403);
    assert.equal((await create({ 'x-csrf-token': admin.csrf, origin: s.httpUrl }, 'csrf5')).status, 201);
    assert.equal(s.core.catalog.getUser('csrf1'), null, 'nothing was created by the refused requests');
    assert.equal((await postLogin({ username: 'admin', password: TEST_ADMIN_PASSWORD }, { origin: 'https://evil.example' })).status, 403, 'login CSRF');
    assert.equal((await send(`${s.httpUrl}/api/v1/auth/me`, { headers: { cookie: admin.cookie } })).status, 200, 'reads need no token');
  });
});
