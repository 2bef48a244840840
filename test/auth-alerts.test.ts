// Alerts through real sockets: a sign-in from a new address and an address that keeps failing
// raise alerts that admins list and acknowledge, and that reach a local webhook receiver and a
// local SMTP relay; the blocked address is refused until an admin lifts the block.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { login, removeDir, send, startTestStele, TEST_ADMIN_PASSWORD, type TestStele } from './harness.ts';

interface Received {
  webhook: Array<{ kind: string; severity: string; summary: string; data: Record<string, unknown> }>;
  mail: string[];
}

async function receivers(): Promise<{ received: Received; http: Server; smtp: SMTPServer; webhookUrl: string; smtpUrl: string }> {
  const received: Received = { webhook: [], mail: [] };
  const http = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.webhook.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      let raw = '';
      stream.on('data', (c) => (raw += c));
      stream.on('end', () => {
        received.mail.push(raw);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  return { received, http, smtp, webhookUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}/hooks/stele`, smtpUrl: `smtp://127.0.0.1:${smtpPort}` };
}

describe('security alerts', () => {
  let s: TestStele;
  let r: Awaited<ReturnType<typeof receivers>>;
  before(async () => {
    r = await receivers();
    s = await startTestStele({
      env: { STELE_ALERT_WEBHOOK: r.webhookUrl, STELE_ALERT_SMTP: r.smtpUrl, STELE_ALERT_EMAIL_TO: 'security@clinic.example', STELE_ALERT_EMAIL_FROM: 'stele@clinic.example' },
    });
  });
  after(async () => {
    await s.stop();
    await removeDir(s.dataDir);
    await new Promise<void>((resolve) => r.http.close(() => resolve()));
    await new Promise<void>((resolve) => r.smtp.close(() => resolve()));
  });

  it('alerts on a sign-in from an address not seen for the account, by webhook and email', async () => {
    const password = await s.createUser('nomad', ['auditor']);
    await login(s, 'nomad', password); // the baseline: no alert for a first sign-in
    await login(s, 'nomad', password);
    await s.auth.alerts.idle();
    assert.equal(r.received.webhook.length, 0);
    await login(s, 'nomad', password, undefined, { localAddress: '127.0.0.20' });
    await s.auth.alerts.idle();
    const [hook] = r.received.webhook;
    assert.equal(hook.kind, 'login.new_address');
    assert.equal(hook.data.ip, '127.0.0.20');
    assert.equal(hook.data.username, 'nomad');
    const mail = r.received.mail.at(-1)!;
    assert.match(mail, /^Subject: \[Stele warning\] login\.new_address on stele\.local/m);
    assert.match(mail, /^To: security@clinic\.example/m);
    assert.match(mail, /nomad signed in from 127\.0\.0\.20/);
    const [ledger] = s.core.ledger.query({ types: ['alert.raised'], actor: 'nomad' });
    assert.equal(ledger.data.kind, 'login.new_address');

    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    const list = (await (await admin.fetch('/api/v1/alerts?open=true')).json()) as { alerts: Array<{ id: number; kind: string }> };
    const alert = list.alerts.find((a) => a.kind === 'login.new_address')!;
    assert.equal((await admin.fetch(`/api/v1/alerts/${alert.id}/ack`, { method: 'POST' })).status, 204);
    assert.equal((await admin.fetch(`/api/v1/alerts/${alert.id}/ack`, { method: 'POST' })).status, 404, 'already acknowledged');
    const open = (await (await admin.fetch('/api/v1/alerts?open=true')).json()) as { alerts: Array<{ id: number }> };
    assert.ok(!open.alerts.some((a) => a.id === alert.id));
    assert.equal(s.core.ledger.query({ types: ['alert.acknowledged'], actor: 'admin' }).length, 1);
  });

  it('blocks an address that keeps failing, alerts, and lets an admin lift the block', async () => {
    const password = await s.createUser('victim', ['auditor']);
    const attacker = '127.0.0.21';
    const attempt = (username: string, pw: string, localAddress = attacker) =>
      send(`${s.httpUrl}/api/v1/auth/login`, { method: 'POST', localAddress, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: pw }) });
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) statuses.push((await attempt(`ghost${i}`, 'guessing a password')).status);
    assert.deepEqual(statuses.slice(0, 20), Array(20).fill(401));
    assert.ok(statuses.slice(20).every((st) => st === 429), 'back-off after 20 failures from one address');
    assert.equal((await attempt('victim', password)).status, 403, 'blocked: not even the right password');
    assert.equal((await attempt('victim', password, '127.0.0.1')).status, 200, 'other addresses are unaffected');
    await s.auth.alerts.idle();
    assert.ok(r.received.webhook.some((w) => w.kind === 'address.blocked' && w.data.ip === attacker));

    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    const blocked = (await (await admin.fetch('/api/v1/alerts/blocked-addresses')).json()) as { blocked: Array<{ address: string }> };
    assert.deepEqual(blocked.blocked.map((b) => b.address), [attacker]);
    assert.equal((await admin.fetch(`/api/v1/alerts/blocked-addresses/${attacker}`, { method: 'DELETE' })).status, 204);
    assert.equal((await attempt('victim', password)).status, 200);
    const [unblock] = s.core.ledger.query({ types: ['address.unblocked'], subject: attacker });
    assert.equal(unblock.actor, 'admin');
  });
});
