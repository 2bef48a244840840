// Invariant 9: no password, token, TOTP seed or code, recovery code, session or CSRF token, or
// message content reaches a log line. Runs a full flow (MFA enrolment and sign-in, user and
// token administration, failed sign-ins, HTTP ingest with tokens, a search) and greps the log.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { silentLogger } from '../core/log.ts';
import { listRoutes } from '../server/auth/route-inventory.ts';
import { base32Decode } from '../server/auth/totp.ts';
import { errorHandler } from '../server/http/http-errors.ts';
import { parseQuery } from '../search/index.ts';
import { buildMail } from './fixtures/mail.ts';
import { enrolTotp, journalHttp, login, send, TEST_ADMIN_PASSWORD, TEST_TOKEN, totpCode, useTestStele, type SignedInClient, type TestStele } from './harness.ts';

const BODY = 'Log-Secret-Body-5d1e: biopsy shows stage II, start chemo Monday';
const SUBJECT = 'Log-Secret-Subject-a07c';
const LEGAL_PASSWORD = 'Quiet-Harbour-Lantern-417';
const WRONG_GUESS = 'Wrong-Guess-Password-88zz';

describe('secrets never reach the log', () => {
  const stele = useTestStele({ env: { STELE_MFA_REQUIRED_ROLES: 'admin,legal,records_manager,auditor' } });

  it('logs none of the secrets or content used in a full flow', async () => {
    const s = stele();
    const secrets: string[] = [TEST_ADMIN_PASSWORD, TEST_TOKEN, LEGAL_PASSWORD, WRONG_GUESS, BODY, SUBJECT, 'Log-Secret-Body'];
    const codes: string[] = [];
    const track = (c: SignedInClient) => secrets.push(c.csrf, ...c.cookie.split('; ').map((kv) => kv.slice(kv.indexOf('=') + 1)));

    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    assert.equal(admin.answer.stage, 'enroll');
    const adminMfa = await enrolTotp(admin, new Date());
    track(admin);
    secrets.push(adminMfa.secret, base32Decode(adminMfa.secret).toString('hex'), base32Decode(adminMfa.secret).toString('base64'), ...adminMfa.recoveryCodes);
    codes.push(adminMfa.code);

    const created = await admin.fetch('/api/v1/users', { json: { username: 'lydia', roles: ['legal'], password: LEGAL_PASSWORD } });
    assert.equal(created.status, 201);
    const generated = (await (await admin.fetch('/api/v1/users', { json: { username: 'rita', roles: ['records_manager'] } })).json()) as { password: string };
    const reset = (await (await admin.fetch('/api/v1/users/rita/password', { json: {} })).json()) as { password: string };
    const token = (await (await admin.fetch('/api/v1/ingest-tokens', { json: { label: 'edge relay' } })).json()) as { token: string };
    secrets.push(generated.password, reset.password, token.token);

    const first = await login(s, 'lydia', LEGAL_PASSWORD);
    const legalMfa = await enrolTotp(first, new Date());
    track(first);
    secrets.push(legalMfa.secret, base32Decode(legalMfa.secret).toString('hex'), ...legalMfa.recoveryCodes);
    codes.push(legalMfa.code);
    await first.fetch('/api/v1/auth/logout', { method: 'POST' });
    const nextCode = totpCode(legalMfa.secret, new Date(), 1);
    codes.push(nextCode);
    const legal = await login(s, 'lydia', LEGAL_PASSWORD, nextCode);
    track(legal);
    track(await login(s, 'lydia', LEGAL_PASSWORD, { recoveryCode: legalMfa.recoveryCodes[0] }));

    const failed = (body: unknown) => send(`${s.httpUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await failed({ username: 'lydia', password: WRONG_GUESS })).status, 401);
    assert.equal((await failed({ username: LEGAL_PASSWORD, password: WRONG_GUESS })).status, 401, 'a password typed as the user name');
    assert.equal((await failed({ username: 'lydia', password: LEGAL_PASSWORD, totp: nextCode })).status, 401, 'a replayed code');
    assert.equal((await journalHttp(s.httpUrl, 'x', { token: WRONG_GUESS })).status, 401);

    const raw = buildMail({ subject: SUBJECT, text: BODY });
    assert.equal((await journalHttp(s.httpUrl, raw)).status, 201);
    assert.equal((await journalHttp(s.httpUrl, buildMail({ subject: SUBJECT, text: BODY + ' (2)' }), { token: token.token })).status, 201);
    await s.caughtUp();
    const hits = await searchFor(s, legal, 'biopsy');
    assert.ok(hits >= 1, 'the search found the message');

    assert.ok(s.logLines.filter((l) => l.includes('"audited"')).length >= 8, 'the flow was logged');
    assert.ok(s.logLines.some((l) => l.includes('sign-in refused')), 'the refusals were logged');
    const leaks: string[] = [];
    for (const line of s.logLines) {
      for (const secret of secrets) if (secret && line.includes(secret)) leaks.push(`${JSON.stringify(secret.slice(0, 12))}... in ${line.slice(0, 160)}`);
      for (const code of codes) if (line.includes(`"${code}"`)) leaks.push(`TOTP code in ${line.slice(0, 160)}`);
      if (/biopsy|chemo/i.test(line)) leaks.push(`message text in ${line.slice(0, 160)}`);
    }
    assert.deepEqual(leaks, []);
  });
});

/** Searches through the app's search route when mounted, else a stand-in route on the same auth. */
async function searchFor(s: TestStele, c: SignedInClient, q: string): Promise<number> {
  let base = s.httpUrl;
  let close = async () => {};
  if (!listRoutes(s.app).some((r) => r.method === 'GET' && r.path === '/api/v1/search')) {
    const app = express();
    app.get('/api/v1/search', s.auth.authorize('search'), async (req, res, next) => {
      try {
        const result = await s.core.index.search(parseQuery(String(req.query.q)), { limit: 10 });
        await s.auth.audit(req, { type: 'search.performed', data: { query: String(req.query.q), total: result.total } });
        res.json({ total: result.total, hits: result.hits });
      } catch (err) {
        next(err);
      }
    });
    app.use(errorHandler(silentLogger));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  }
  const res = await send(`${base}/api/v1/search?q=${encodeURIComponent(q)}`, { headers: { cookie: c.cookie } });
  await close();
  assert.equal(res.status, 200);
  return ((await res.json()) as { total: number }).total;
}
