// The second factor through real sockets: TOTP enrolment, sign-in with a code, wrong and
// replayed codes refused, single-use recovery codes, the pending stage, per-role enforcement.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../core/clock.ts';
import { enrolTotp, login, send, TEST_ADMIN_PASSWORD, totpCode, useTestStele } from './harness.ts';

// Mid-step, so "the next step" is 30 s away whatever the wall clock says.
const clock = new ManualClock(new Date(Math.floor(Date.now() / 30_000) * 30_000 + 10_000));
const advance = (ms: number) => clock.set(new Date(clock.now().getTime() + ms));

describe('TOTP second factor', () => {
  const stele = useTestStele({ clock });

  it('enrols, then asks for a code at sign-in; refuses wrong and replayed codes; accepts the next one', async () => {
    const s = stele();
    const password = await s.createUser('tess', ['auditor']);
    const first = await login(s, 'tess', password);
    const { secret, code: enrolCode, recoveryCodes } = await enrolTotp(first, clock.now());
    assert.equal(recoveryCodes.length, 10);
    assert.equal(s.core.ledger.query({ types: ['auth.totp.enrolled'], actor: 'tess' }).length, 1);
    const stored = s.core.catalog.getUser('tess')!;
    assert.ok(stored.totpSecret && !stored.totpSecret.includes(secret), 'the seed is stored sealed');

    const pending = await login(s, 'tess', password);
    assert.equal(pending.answer.stage, 'mfa');
    const blocked = await pending.fetch('/api/v1/audit');
    assert.equal(blocked.status, 403, 'nothing but the second factor before it is given');
    assert.equal(((await blocked.json()) as { error: { details: { reason: string } } }).error.details.reason, 'mfa_required');
    assert.equal((await pending.fetch('/api/v1/auth/totp/verify', { json: { code: enrolCode === '000000' ? '111111' : '000000' } })).status, 401, 'wrong code');
    assert.equal((await pending.fetch('/api/v1/auth/totp/verify', { json: { code: enrolCode } })).status, 401, 'the enrolment code is spent');
    const cookieBefore = pending.cookie;
    advance(30_000);
    const ok = await pending.fetch('/api/v1/auth/totp/verify', { json: { code: totpCode(secret, clock.now()) } });
    assert.equal(ok.status, 200);
    assert.notEqual(pending.cookie, cookieBefore, 'the session id is replaced once the second factor is given');
    assert.equal((await send(`${s.httpUrl}/api/v1/auth/me`, { headers: { cookie: cookieBefore } })).status, 401, 'the old id is dead');
    assert.equal((await pending.fetch('/api/v1/audit')).status, 200);

    const replay = await send(`${s.httpUrl}/api/v1/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'tess', password, totp: totpCode(secret, clock.now()) }),
    });
    assert.equal(replay.status, 401, 'a code used once cannot sign in again');
    const next = await login(s, 'tess', password, totpCode(secret, clock.now(), 1));
    assert.equal(next.answer.stage, 'full', 'the next step within the window is fine');
    const logins = s.core.ledger.query({ types: ['auth.login'], actor: 'tess' });
    assert.deepEqual(logins.map((e) => e.data.mfa), ['none', 'totp', 'totp']);
    const failures = s.core.ledger.query({ types: ['auth.login.failed'], actor: 'tess' });
    assert.equal(failures.filter((e) => e.data.reason === 'bad_second_factor').length, 3);
  });

  it('accepts each recovery code once', async () => {
    const s = stele();
    const password = await s.createUser('rico', ['auditor']);
    const { recoveryCodes } = await enrolTotp(await login(s, 'rico', password), clock.now());
    const code = recoveryCodes[3].toUpperCase(); // as people retype them
    const c = await login(s, 'rico', password, { recoveryCode: code });
    assert.equal(c.answer.stage, 'full');
    assert.equal(s.core.catalog.getUser('rico')!.recoveryCodes!.length, 9);
    await assert.rejects(login(s, 'rico', password, { recoveryCode: code }), /answered 401/);
    const pending = await login(s, 'rico', password);
    assert.equal((await pending.fetch('/api/v1/auth/totp/verify', { json: { recoveryCode: recoveryCodes[3] } })).status, 401);
    assert.equal((await pending.fetch('/api/v1/auth/totp/verify', { json: { recoveryCode: recoveryCodes[4] } })).status, 200);
    const alerts = s.core.ledger.query({ types: ['alert.raised'], subject: 'rico' });
    assert.deepEqual(alerts.map((e) => e.data.kind), ['mfa.recovery_code_used', 'mfa.recovery_code_used']);
  });

  it('lets a pending second-factor session lapse after 5 minutes', async () => {
    const s = stele();
    const password = await s.createUser('slow', ['auditor']);
    const { secret } = await enrolTotp(await login(s, 'slow', password), clock.now());
    const pending = await login(s, 'slow', password);
    advance(5 * 60_000 + 1000);
    assert.equal((await pending.fetch('/api/v1/auth/totp/verify', { json: { code: totpCode(secret, clock.now()) } })).status, 401);
  });

  it('enforces enrolment for the roles an admin names, and lets an admin reset a lost device', async () => {
    const s = stele();
    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    const set = await admin.fetch('/api/v1/mfa-policy', { method: 'PUT', json: { requiredRoles: ['legal'] } });
    assert.equal(set.status, 200);
    const [change] = s.core.ledger.query({ types: ['policy.mfa_changed'] });
    assert.deepEqual(change.data.to, ['legal']);
    assert.equal(change.actor, 'admin');

    const password = await s.createUser('lena', ['legal']);
    const c = await login(s, 'lena', password);
    assert.equal(c.answer.stage, 'enroll');
    const refused = await c.fetch('/api/v1/auth/password', { json: { currentPassword: password, newPassword: 'another fine passphrase' } });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: { details: { reason: string } } }).error.details.reason, 'mfa_enrolment_required');
    await enrolTotp(c, clock.now());
    const me = (await (await c.fetch('/api/v1/auth/me')).json()) as { stage: string; user: { mfaEnrolled: boolean } };
    assert.equal(me.stage, 'full');
    assert.ok(me.user.mfaEnrolled);

    assert.equal((await admin.fetch('/api/v1/users/lena/totp', { method: 'DELETE' })).status, 204);
    assert.equal((await c.fetch('/api/v1/auth/me')).status, 401, 'a reset ends the sessions');
    assert.equal((await login(s, 'lena', password)).answer.stage, 'enroll', 'and the user enrols again');
    assert.equal((await admin.fetch('/api/v1/mfa-policy', { method: 'PUT', json: { requiredRoles: [] } })).status, 200);
  });
});
