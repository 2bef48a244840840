// An HTML message with a script and a remote image, opened in the UI's HTML tab in real
// Chromium: the script does not run, the image's server never hears a thing, nothing leaves the
// archive's origin, and the frame's page carries the strict CSP (sandbox, no remote loads).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { buildMail } from '../fixtures/mail.ts';
import { journalHttp, removeDir, startTestStele, type TestStele } from '../harness.ts';
import { MESSAGE_HTML_CSP } from '../../server/http/message-html.ts';
import { launch, openPage, SCREENSHOT_DIR, signIn, uiUnavailable, type UiPage } from './browser.ts';

const skip = uiUnavailable();
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('HTML mail in the browser', { skip: skip ?? false }, () => {
  let s: TestStele;
  let browser: Browser;
  let p: UiPage;
  let tracker: Server;
  const trackerHits: string[] = [];
  let raw: Buffer;

  before(async () => {
    // The "sender's" server: any request to it would tell the sender the mail was opened.
    tracker = createServer((req, res) => {
      trackerHits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'image/png' }).end();
    });
    await new Promise<void>((r) => tracker.listen(0, '127.0.0.1', r));
    const remote = `http://127.0.0.1:${(tracker.address() as AddressInfo).port}`;
    s = await startTestStele();
    browser = await launch();
    raw = buildMail({
      from: 'Mallory <mallory@evil.example>', to: ['cfo@acme.example'], subject: 'Invoice overdue',
      text: 'Please see the HTML version.\r\n',
      html: [
        '<h1>Invoice 4711 is overdue</h1>',
        `<script>parent.document.title='pwned'; document.body.dataset.pwned='1'; fetch('${remote}/script')</script>`,
        `<img src="${remote}/tracker.png" onerror="parent.document.title='pwned'; document.body.dataset.pwned='2'" alt="logo">`,
        `<p style="background:url(${remote}/bg.png)">Pay by <a href="${remote}/pay">Friday</a>.</p>`,
      ].join('\n'),
    });
    assert.equal((await journalHttp(s.httpUrl, raw)).status, 201);
    await s.caughtUp();
    await s.createUser('lena', ['legal'], 'amber meadow 72 lighthouses');
  });

  after(async () => {
    await p?.close();
    await browser?.close();
    tracker?.close();
    if (s) {
      await s.stop();
      await removeDir(s.dataDir);
    }
  });

  it('shows the HTML sanitised in a sandboxed frame: no script runs, no remote request', async () => {
    p = await openPage(browser, s.httpUrl);
    const { page } = p;
    await signIn(p, 'lena', 'amber meadow 72 lighthouses');
    const id = sha256(raw);
    await page.goto(`/messages/${id}`);
    await page.getByRole('heading', { name: 'Invoice overdue' }).waitFor();
    assert.match(await page.getByTestId('message-text').innerText(), /Please see the HTML version/, 'plain text by default');
    const framed = page.waitForResponse((r) => r.url().endsWith(`/api/v1/messages/${id}/html`));
    await page.getByRole('tab', { name: 'HTML' }).click();
    const response = await framed;
    assert.equal(response.status(), 200);
    assert.equal(response.headers()['content-security-policy'], MESSAGE_HTML_CSP);
    assert.equal(response.headers()['x-content-type-options'], 'nosniff');

    const iframe = page.locator('iframe.message-html');
    assert.equal(await iframe.getAttribute('sandbox'), '', 'sandboxed with no allowances');
    const frame = page.frameLocator('iframe.message-html');
    await frame.getByRole('heading', { name: 'Invoice 4711 is overdue' }).waitFor();
    const blocked = frame.locator('img[alt="[image not loaded: logo]"]');
    await blocked.waitFor({ state: 'attached' });
    assert.equal(await blocked.getAttribute('src'), null, 'the remote image has no source');
    assert.equal(await frame.getByText('Friday').evaluate((el) => el.hasAttribute('href')), false, 'links disarmed');
    // The viewport, not the full page: Chromium's full-page capture leaves sandboxed (out-of-process) frames blank.
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'message-html.png') });

    assert.notEqual(await page.title(), 'pwned');
    assert.equal(await frame.locator('body').getAttribute('data-pwned'), null, 'the script did not run');
    assert.deepEqual(trackerHits, [], 'the tracker heard nothing');
    assert.deepEqual(p.foreignRequests(), []);
    assert.ok(!p.requests.some((u) => u.includes('/tracker.png') || u.includes('/script') || u.includes('/bg.png')));
    assert.deepEqual(p.errors.filter((e) => !/status of 401/.test(e)), []);
  });
});
