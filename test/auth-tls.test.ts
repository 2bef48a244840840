// Session cookies under TLS: Secure and __Host- prefixed over HTTPS (and when
// STELE_COOKIE_SECURE=true behind a TLS proxy), and the session works over HTTPS.
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSteleError } from '../core/errors.ts';
import { useTestStele, removeDir, send, startTestStele, TEST_ADMIN_PASSWORD, type TestStele } from './harness.ts';

function https(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; cookies: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cookies: res.headers['set-cookie'] ?? [], body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('session cookies over TLS', () => {
  const stele = useTestStele({ tls: true });
  let s: TestStele;
  beforeEach(() => {
    s = stele();
  });

  it('sets Secure, __Host- prefixed cookies that carry the session over HTTPS', async () => {
    const res = await https(s.httpPort, '/api/v1/auth/login', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD }),
    });
    assert.equal(res.status, 200);
    const session = res.cookies.find((c) => c.startsWith('__Host-stele_session='))!;
    const csrf = res.cookies.find((c) => c.startsWith('__Host-stele_csrf='))!;
    for (const c of [session, csrf]) {
      assert.match(c, /; Secure/);
      assert.match(c, /; Path=\//);
      assert.doesNotMatch(c, /Domain=/i);
    }
    assert.match(session, /; HttpOnly/);
    const cookie = [session, csrf].map((c) => c.split(';')[0]).join('; ');
    assert.equal((await https(s.httpPort, '/api/v1/auth/me', { headers: { cookie } })).status, 200);
  });
});

describe('session cookies behind a TLS proxy', () => {
  it('are Secure when STELE_COOKIE_SECURE=true, even over plain http', async () => {
    const s = await startTestStele({ env: { STELE_COOKIE_SECURE: 'true' } });
    try {
      const res = await send(`${s.httpUrl}/api/v1/auth/login`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD }),
      });
      assert.equal(res.status, 200);
      assert.ok(res.headers.getSetCookie().every((c) => c.startsWith('__Host-') && /; Secure/.test(c)));
    } finally {
      await s.stop();
      await removeDir(s.dataDir);
    }
  });
});

describe('listeners without TLS', () => {
  it('refuse any non-loopback address, IPv4 or IPv6, before anything is opened', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'stele-test-'));
    for (const bind of ['::', '192.0.2.10']) {
      await assert.rejects(startTestStele({ dataDir, env: { STELE_BIND: bind } }), (err) => isSteleError(err, 'bad_request') && /refusing to listen/.test(err.message), bind);
    }
    await removeDir(dataDir);
  });
});
