// The SMTP allow-list admins manage: an address added through the API is admitted on the next
// connection and refused again once removed; entries are audited and survive a restart.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildMail } from './fixtures/mail.ts';
import { login, removeDir, startTestStele, TEST_ADMIN_PASSWORD, type SignedInClient, type TestStele } from './harness.ts';
import { sendSmtp } from './smtp-client.ts';

const envelope = { from: 'mta@clinic.example', to: ['records@clinic.example'] };

describe('SMTP allow-list API', () => {
  let s: TestStele;
  let admin: SignedInClient;
  before(async () => {
    // Only 127.0.0.1 is configured, so 127.0.0.2 plays a mail server not yet admitted.
    s = await startTestStele({ env: { STELE_SMTP_ALLOW: '127.0.0.1/32' } });
    admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
  });
  after(async () => {
    await s.stop();
    await removeDir(s.dataDir);
  });

  it('admits a source once added and refuses it again once removed', async () => {
    const before = await sendSmtp(s.smtpPort, buildMail({ subject: 'allow before' }), envelope, { localAddress: '127.0.0.2' });
    assert.equal(before.code, 554, before.response);

    const added = await admin.fetch('/api/v1/smtp-allow', { json: { cidr: '127.0.0.2', label: 'second relay' } });
    assert.equal(added.status, 201);
    const { entry } = (await added.json()) as { entry: { id: string; cidr: string; addedBy: string } };
    assert.equal(entry.cidr, '127.0.0.2/32');
    assert.equal(entry.addedBy, 'admin');

    const during = await sendSmtp(s.smtpPort, buildMail({ subject: 'allow during' }), envelope, { localAddress: '127.0.0.2' });
    assert.equal(during.code, 250, during.response);

    const list = (await (await admin.fetch('/api/v1/smtp-allow')).json()) as { configured: string[]; entries: Array<{ cidr: string }> };
    assert.deepEqual(list.configured, ['127.0.0.1/32']);
    assert.deepEqual(list.entries.map((e) => e.cidr), ['127.0.0.2/32']);

    assert.equal((await admin.fetch(`/api/v1/smtp-allow/${entry.id}`, { method: 'DELETE' })).status, 204);
    const afterRemoval = await sendSmtp(s.smtpPort, buildMail({ subject: 'allow after' }), envelope, { localAddress: '127.0.0.2' });
    assert.equal(afterRemoval.code, 554, afterRemoval.response);

    const events = s.core.ledger.query({ types: ['smtp_allow.added', 'smtp_allow.removed'] });
    assert.deepEqual(events.map((e) => [e.type, e.actor, e.subject]), [['smtp_allow.added', 'admin', '127.0.0.2/32'], ['smtp_allow.removed', 'admin', '127.0.0.2/32']]);
  });

  it('refuses malformed and duplicate entries, and other roles', async () => {
    for (const cidr of ['not-an-ip', '10.0.0.0/33', '10.0.0.1/', '::1/129', '1.2.3.4/8/1']) {
      const r = await admin.fetch('/api/v1/smtp-allow', { json: { cidr } });
      assert.equal(r.status, 400, cidr);
    }
    assert.equal((await admin.fetch('/api/v1/smtp-allow', { json: { cidr: '192.0.2.0/24' } })).status, 201);
    assert.equal((await admin.fetch('/api/v1/smtp-allow', { json: { cidr: '192.0.2.0/24' } })).status, 409);
    assert.equal((await admin.fetch('/api/v1/smtp-allow/0123456789ab', { method: 'DELETE' })).status, 404);
    const pw = await s.createUser('aud-smtp', ['auditor']);
    const auditor = await login(s, 'aud-smtp', pw);
    assert.equal((await auditor.fetch('/api/v1/smtp-allow')).status, 403);
  });

  it('keeps managed entries in the catalog across a restart', async () => {
    s = await s.restart();
    admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    const list = (await (await admin.fetch('/api/v1/smtp-allow')).json()) as { entries: Array<{ cidr: string }> };
    assert.deepEqual(list.entries.map((e) => e.cidr), ['192.0.2.0/24']);
    const health = (await (await fetch(`${s.httpUrl}/api/v1/health`)).json()) as { components: Record<string, { status: string; detail?: string }> };
    assert.equal(health.components.smtp.status, 'ok');
    assert.match(health.components.smtp.detail ?? '', /2 allow-list entries/);
  });
});
