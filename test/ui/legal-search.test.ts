// The legal user's journey in real Chromium against a real Stele: enrol TOTP on the sign-in page
// (the role requires it), search with the query language (exact total, highlights, a facet to
// refine, a syntax error pointed at, paging past the first page, back and forward), open a
// message from the keyboard, see its Bcc from the journal envelope and its record facts,
// download the original byte for byte, and after the session is revoked be told kindly, sign
// in again with a TOTP code and land back where they were.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { corpusMessages } from '../corpus-files.ts';
import { buildJournalReport, buildMail } from '../fixtures/mail.ts';
import { journalHttp, login, removeDir, startTestStele, totpCode, TEST_ADMIN_PASSWORD, type TestStele } from '../harness.ts';
import { totpStep } from '../../server/auth/totp.ts';
import { launch, openPage, uiUnavailable, type UiPage } from './browser.ts';

const skip = uiUnavailable();
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** Status reports about project falcon: more than one page of hits (the UI loads 50 at a time). */
const STATUS_REPORTS = 52;
/** Errors the journey causes on purpose: /auth/me before signing in, the refused query, the revoked session. */
const EXPECTED_ERRORS = /status of (400|401)/;

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 35_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('legal search in the browser', { skip: skip ?? false }, () => {
  let s: TestStele;
  let browser: Browser;
  let p: UiPage;
  let password = '';
  let secret = '';
  let enrolStep = 0;
  let everything = 0;
  const serverErrors: string[] = [];
  const report = buildJournalReport(
    buildMail({
      from: 'Cora Ceo <ceo@acme.example>', to: ['cfo@acme.example'], subject: 'Merger term sheet',
      text: 'Confidential: the falcon merger term sheet is attached.\r\n', date: 'Wed, 04 Mar 2026 09:00:00 +0000',
      attachments: [{ filename: 'terms.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4 terms') }],
    }),
    ['Sender: ceo@acme.example', 'Subject: Merger term sheet', 'To: cfo@acme.example', 'Bcc: counsel@lawfirm.example'],
  );

  before(async () => {
    s = await startTestStele({ env: { STELE_MFA_REQUIRED_ROLES: 'legal' } });
    browser = await launch();
    password = await s.createUser('lena', ['legal'], 'amber meadow 72 lighthouses');
    const ids = new Set<string>();
    const journal = async (raw: Buffer) => {
      assert.equal((await journalHttp(s.httpUrl, raw)).status, 201);
      ids.add(sha256(raw));
    };
    for (let n = 1; n <= STATUS_REPORTS; n++) {
      const year = n <= 20 ? 2025 : 2026;
      await journal(buildMail({
        from: 'Alice Archer <alice@acme.example>', to: ['team@acme.example'], subject: `Weekly status ${n}`,
        text: `Project falcon status for week ${n}. Budget on track.\r\n`, date: `Mon, 0${(n % 9) + 1} Jun ${year} 10:00:00 +0000`,
      }));
    }
    for (const n of [1, 2]) {
      await journal(buildMail({ from: `Gus Globex <gus@globex.example>`, to: ['alice@acme.example'], subject: `Falcon pricing ${n}`, text: 'Our falcon pricing proposal.\r\n' }));
    }
    await journal(report);
    // Real odd mail from the shared corpus sits beside it, so "every message" is the real mix.
    for (const path of (await corpusMessages()).filter((f) => f.includes('/messages/')).slice(0, 8)) await journal(await readFile(path));
    everything = ids.size;
    await s.caughtUp();
  });

  after(async () => {
    await p?.close();
    await browser?.close();
    if (s) {
      await s.stop();
      await removeDir(s.dataDir);
    }
  });

  it('enrols an authenticator on the sign-in page when the role requires one', async () => {
    p = await openPage(browser, s.httpUrl);
    const { page } = p;
    page.on('response', (r) => {
      if (r.status() >= 500) serverErrors.push(`${r.status()} ${r.url()}`);
    });
    await page.goto('/search');
    await page.getByLabel('Username').fill('lena');
    await page.getByLabel('Password', { exact: true }).fill(password);
    await p.screenshot('login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor();
    await page.locator('.qr-svg svg').waitFor();
    secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s/g, '');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await page.getByText('Show the setup link').click();
    assert.match(await page.getByTestId('totp-uri').innerText(), new RegExp(`^otpauth://totp/Stele%3Alena\\?secret=${secret}`));
    await p.screenshot('enrol');
    // The app's clock runs 30 s behind (the server allows one step): the current step stays
    // unused for the sign-in later. Not within 2 s of a step's end, so the code is still in the window.
    await until('a step with time left', () => Date.now() % 30_000 < 28_000);
    const now = new Date();
    enrolStep = totpStep(now) - 1;
    await page.getByLabel('Code from your authenticator app').fill(totpCode(secret, now, -1));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    assert.equal(await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').count(), 10);
    assert.equal(await page.getByRole('button', { name: 'Continue' }).isDisabled(), true, 'not before saying the codes are saved');
    await page.getByLabel('I have saved these recovery codes somewhere safe').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.waitForURL(/\/search$/);
  });

  it('searches: exact total, highlights, a facet to refine, back and forward through the URL', async () => {
    const { page } = p;
    const box = page.getByRole('combobox', { name: 'Search query' });
    // Autocomplete: typing a field's start offers it; the keyboard takes it.
    await box.fill('');
    await box.pressSequentially('partic');
    await page.getByRole('option', { name: /participant:/ }).waitFor();
    await box.press('Enter');
    assert.equal(await box.inputValue(), 'participant:');
    await box.fill('falcon');
    await box.press('Enter');
    const total = page.locator('#results-title');
    await total.getByText(`${STATUS_REPORTS + 3} messages`).waitFor();
    assert.match(page.url(), /\?q=falcon/);
    const marks = await page.locator('.hit-snippet mark').allInnerTexts();
    assert.ok(marks.length > 0 && marks.every((m) => m.toLowerCase() === 'falcon'), `highlights: ${marks.slice(0, 3)}`);
    await page.getByRole('button', { name: /Refine by sender domain globex\.example \(2\)/ }).click();
    await total.getByText('2 messages').waitFor();
    assert.equal(await box.inputValue(), 'falcon from:@globex.example');
    assert.deepEqual((await page.getByTestId('hit').locator('.hit-subject').allInnerTexts()).sort(), ['Falcon pricing 1', 'Falcon pricing 2']);
    await page.goBack();
    await total.getByText(`${STATUS_REPORTS + 3} messages`).waitFor();
    assert.equal(await box.inputValue(), 'falcon');
    await page.goForward();
    await total.getByText('2 messages').waitFor();
  });

  it('points at a syntax error where it is', async () => {
    const { page } = p;
    const box = page.getByRole('combobox', { name: 'Search query' });
    await box.fill('falcon sender:bob');
    await box.press('Enter');
    const problem = page.locator('#query-problem');
    await problem.getByText("unknown field 'sender:' at position 7").waitFor();
    assert.equal(await page.getByTestId('error-at').innerText(), 'sender:bob');
    assert.equal(await problem.locator('.err-caret').innerText(), `${' '.repeat(7)}^`);
    assert.equal(await box.getAttribute('aria-invalid'), 'true');
    await page.locator('#results-title').getByText('No results').waitFor();
    await p.screenshot('search-error');
  });

  it('pages through every hit and opens a message with the keyboard', async () => {
    const { page } = p;
    const box = page.getByRole('combobox', { name: 'Search query' });
    await box.fill('');
    await page.locator('h1').click(); // leave the box: "/" is a shortcut, not a character, outside it
    await page.keyboard.press('/');
    assert.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'query-input');
    await page.keyboard.type('falcon');
    await page.keyboard.press('Enter');
    await page.getByText(`Showing 50 of ${STATUS_REPORTS + 3}.`).or(page.getByText(`Showing ${STATUS_REPORTS + 3} of`)).waitFor();
    const loadMore = page.getByRole('button', { name: 'Load more' });
    if (await loadMore.isVisible()) await loadMore.click(); // infinite scrolling may have been first
    await page.getByText('End of results.').waitFor();
    assert.equal(await page.getByTestId('hit').count(), STATUS_REPORTS + 3);
    const subjects = await page.getByTestId('hit').locator('.hit-subject').allInnerTexts();
    assert.equal(new Set(subjects).size, STATUS_REPORTS + 3, 'every hit exactly once');
    await page.evaluate('window.scrollTo(0, 0)');
    await p.screenshot('search-results');

    await box.fill('merger');
    await box.press('Enter');
    await page.locator('#results-title').getByText('1 message').waitFor();
    await page.keyboard.press('Tab'); // out of the box, onto the Search button
    await page.keyboard.press('j');
    assert.equal(await page.evaluate('document.activeElement && document.activeElement.textContent'), 'Merger term sheet');
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/messages/${sha256(report)}$`));
    await page.getByRole('heading', { name: 'Merger term sheet' }).waitFor();
  });

  it('shows the message: Bcc from the journal envelope, record facts, attachments, and the original to download', async () => {
    const { page } = p;
    const id = sha256(report);
    assert.match(await page.getByTestId('bcc').innerText(), /counsel@lawfirm\.example/);
    assert.match(await page.getByTestId('envelope-to').innerText(), /counsel@lawfirm\.example/);
    assert.match(await page.getByTestId('message-text').innerText(), /falcon merger term sheet/);
    assert.equal(await page.getByTestId('sha256').innerText(), id);
    assert.equal(await page.getByTestId('category').innerText(), 'default');
    assert.match(await page.getByTestId('retain-until').innerText(), /20\d\d/);
    const entry = s.core.ledger.first('message.ingested', id)!;
    assert.match(await page.getByTestId('ledger-entry').innerText(), new RegExp(entry.hash));
    await page.getByRole('link', { name: 'Download terms.pdf' }).waitFor();
    await page.getByRole('heading', { name: 'Thread (1)' }).waitFor();
    await p.screenshot('message');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download original (.eml)' }).click()]);
    assert.equal(download.suggestedFilename(), `${id}.eml`);
    assert.deepEqual(await readFile((await download.path())!), report, 'the original, byte for byte');
  });

  it('after the session is revoked, says so kindly and returns there after a TOTP sign-in', async () => {
    const { page } = p;
    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    assert.equal((await admin.fetch('/api/v1/users/lena/sessions', { method: 'DELETE' })).status < 300, true);
    await page.getByRole('button', { name: '← Back to results' }).click();
    await page.locator('#results-title').getByText('1 message').waitFor();
    const box = page.getByRole('combobox', { name: 'Search query' });
    await box.fill('pricing');
    await box.press('Enter');
    await page.getByText('Your session ended; sign in again to continue.').waitFor();
    assert.match(decodeURIComponent(page.url()), /\/login\?next=\/search\?q=pricing.*&expired=1/);
    await p.screenshot('login-expired');
    await page.getByLabel('Username').fill('lena');
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const code = page.getByLabel('Code from your authenticator app');
    await code.waitFor();
    // A code works once per 30 s step: wait for the step after the enrolment's to begin.
    await until('the next TOTP step', () => totpStep(new Date()) > enrolStep);
    await code.fill(totpCode(secret, new Date()));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(/\/search\?q=pricing/);
    await page.locator('#results-title').getByText('2 messages').waitFor();

    await page.getByRole('combobox', { name: 'Search query' }).fill('');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.locator('#results-title').getByText(`${everything} messages`).waitFor();

    await page.getByRole('link', { name: 'lena' }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByText('Authenticator app set up').waitFor();
    await page.getByLabel('Current password').waitFor();
    await p.screenshot('account');

    assert.deepEqual(serverErrors, []);
    assert.deepEqual(p.foreignRequests(), []);
    assert.deepEqual(p.errors.filter((e) => !EXPECTED_ERRORS.test(e)), []);
  });
});
