// With a certificate configured, SMTP offers STARTTLS and HTTP is HTTPS; a source outside the
// SMTP allow-list is refused; a public listener without TLS does not start.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { isSteleError } from '../core/errors.ts';
import { buildMail } from './fixtures/mail.ts';
import { useTestStele, removeDir, startTestStele, type TestStele } from './harness.ts';
import { sendSmtp } from './smtp-client.ts';

describe('TLS and who may connect', () => {
  const stele = useTestStele({ tls: true });
  let s: TestStele;
  beforeEach(() => {
    s = stele();
  });

  it('journals over SMTP with STARTTLS required by the client', async () => {
    const options: SMTPTransport.Options = { host: '127.0.0.1', port: s.smtpPort, requireTLS: true, tls: { rejectUnauthorized: false } };
    const transport = nodemailer.createTransport(options);
    const info = await transport.sendMail({ envelope: { from: 'a@clinic.example', to: ['b@clinic.example'] }, raw: buildMail({ subject: 'over TLS' }) });
    transport.close();
    assert.match(info.response, /^250 .*Archived/);
  });

  it('serves the API over HTTPS', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port: s.httpPort, path: '/api/v1/health', rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject).end();
    });
    assert.equal(status, 200);
  });
});

describe('the SMTP allow-list', () => {
  let s: TestStele;
  before(async () => {
    s = await startTestStele({ env: { STELE_SMTP_ALLOW: '192.0.2.0/24' } });
  });
  after(async () => {
    await s.stop();
    await removeDir(s.dataDir);
  });

  it('refuses a server that is not on it with 554, before any mail is read', async () => {
    const r = await sendSmtp(s.smtpPort, buildMail(), { from: 'a@clinic.example', to: ['b@clinic.example'] });
    assert.equal(r.code, 554, r.response);
    const metrics = await (await fetch(`${s.httpUrl}/metrics`)).text();
    assert.match(metrics, /stele_ingest_refused_total\{reason="not_allowed"\} [1-9]/);
  });
});

describe('a public listener', () => {
  it('does not start without TLS unless plaintext is explicitly allowed', async () => {
    await assert.rejects(startTestStele({ env: { STELE_BIND: '0.0.0.0' } }), (err) => isSteleError(err, 'bad_request') && /TLS/.test(err.message));
  });
});
