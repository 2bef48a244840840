// The hold administrator's journey in real Chromium against a real Stele: sign in with TOTP,
// preview a custodian hold (the right count), place it, see it listed; a records manager's
// disposition run then leaves the held mail out of the batch (holds win), and once the admin
// releases the hold with a reason, its history tells the story and that mail falls due again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { buildMail } from '../fixtures/mail.ts';
import { enrolTotp, journalHttp, login, removeDir, startTestStele, totpCode, TEST_ADMIN_PASSWORD, type SignedInClient, type TestStele } from '../harness.ts';
import { launch, openPage, signIn, uiUnavailable, type UiPage } from './browser.ts';

const skip = uiUnavailable();
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const CUSTODIAN = 'hana@clinic.example';

interface Review { batch: { id: string; count: number }; sample: Array<{ sha256: string; held: boolean }> }

describe('holds in the browser', { skip: skip ?? false }, () => {
  let s: TestStele;
  let browser: Browser;
  let records: SignedInClient;
  let secret = '';
  /** Mail from 2015: past the default six-year retention, so due for disposition now. */
  const heldOld: string[] = [];
  const freeOld: string[] = [];

  const journal = async (spec: Parameters<typeof buildMail>[0]) => {
    const raw = buildMail(spec);
    assert.equal((await journalHttp(s.httpUrl, raw)).status, 201);
    return sha256(raw);
  };

  /** Proposes disposition as the records manager; answers every message id in the new batches. */
  async function proposedIds(): Promise<string[]> {
    const run = await records.fetch('/api/v1/disposition/run', { method: 'POST' });
    assert.equal(run.status, 201, await run.clone().text());
    const ids: string[] = [];
    for (const b of ((await run.json()) as { batches: Array<{ id: string }> }).batches) {
      const review = (await (await records.fetch(`/api/v1/disposition/batches/${b.id}?sample=500`)).json()) as Review;
      assert.equal(review.sample.length, review.batch.count, 'the sample is the whole batch');
      ids.push(...review.sample.map((x) => x.sha256));
    }
    return ids.sort();
  }

  before(async () => {
    s = await startTestStele();
    browser = await launch();
    for (let i = 1; i <= 3; i++) heldOld.push(await journal({ from: `Hana Ito <${CUSTODIAN}>`, to: ['board@clinic.example'], subject: `Incident ${i}`, date: `Mon, 0${i} Jun 2015 10:00:00 +0000` }));
    await journal({ from: 'pharmacy@clinic.example', to: [CUSTODIAN], subject: 'Recent', date: 'Tue, 01 Sep 2026 10:00:00 +0000' });
    for (let i = 1; i <= 2; i++) freeOld.push(await journal({ from: 'ivan@clinic.example', to: ['board@clinic.example'], subject: `Rota ${i}`, date: `Mon, 0${i} Jun 2015 11:00:00 +0000` }));
    await s.caughtUp();
    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    // Enrol with the previous 30 s code, so the current one is still unused when the admin signs in.
    secret = (await enrolTotp(admin, new Date(Date.now() - 30_000))).secret;
    records = await login(s, 'rita', await s.createUser('rita', ['records_manager']));
  });

  after(async () => {
    await browser?.close();
    await s?.stop();
    if (s) await removeDir(s.dataDir);
  });

  it('places a custodian hold after a preview, which then keeps its mail out of disposition until released', async () => {
    const p: UiPage = await openPage(browser, s.httpUrl);
    const { page } = p;
    try {
      await signIn(p, 'admin', TEST_ADMIN_PASSWORD, () => totpCode(secret, new Date()));
      await page.getByRole('link', { name: 'Holds' }).click();
      await page.getByRole('heading', { name: 'Legal holds', level: 1 }).waitFor();
      await page.getByText('No holds have been placed.').waitFor();

      await page.getByLabel('Hold name').fill('Ito incident reports');
      await page.getByLabel('Matter', { exact: true }).fill('Ito v. Northside Clinic');
      await page.getByLabel(/^Custodians/).fill(CUSTODIAN);
      await page.getByLabel(/^Reason/).fill('Litigation reasonably anticipated (letter of 1 Dec)');
      const place = page.getByRole('button', { name: /^Place hold/ });
      assert.equal(await place.isDisabled(), true, 'nothing is placed before a preview');
      await page.getByRole('button', { name: 'Preview' }).click();
      const preview = page.locator('.preview-box');
      await preview.getByText('4 messages covered now').waitFor();
      assert.match(await preview.innerText(), new RegExp(`custodians ${CUSTODIAN}`));
      await p.screenshot('hold-create-preview');

      await page.getByRole('button', { name: 'Place hold on 4 messages' }).click();
      await page.getByRole('heading', { name: 'Ito incident reports', level: 2 }).waitFor();
      await page.getByRole('list', { name: 'History' }).getByText('Placed', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'Close' }).click();
      const row = page.getByRole('row', { name: /Ito incident reports/ });
      await row.waitFor();
      assert.match(await row.innerText(), /Active/);
      assert.equal((await row.locator('td.num').innerText()).trim(), '4');
      await p.screenshot('holds-list');

      // Holds win: the due mail of the custodian is not proposed; the rest is.
      assert.deepEqual(await proposedIds(), [...freeOld].sort(), 'the held messages are not in the disposition batch');

      await row.getByRole('button', { name: 'History of Ito incident reports' }).click();
      const release = page.getByRole('button', { name: 'Release hold' });
      assert.equal(await release.isDisabled(), true, 'a release needs a reason');
      await page.getByLabel('Reason for release').fill('Claim withdrawn on 3 Dec');
      await release.click();
      const history = page.getByRole('list', { name: 'History' });
      await history.getByText('Released', { exact: true }).waitFor();
      const story = await history.innerText();
      assert.match(story, /Placed[\s\S]*Applied to messages[\s\S]*4 messages newly held[\s\S]*Released/);
      assert.match(story, /Reason: Claim withdrawn on 3 Dec/);
      assert.match(story, /Reason: Litigation reasonably anticipated/);
      assert.match(await page.getByRole('row', { name: /Ito incident reports/ }).innerText(), /Released/);
      await p.screenshot('hold-history');

      // Released, the custodian's due mail is proposed at last (the recent message is not due).
      assert.deepEqual(await proposedIds(), [...heldOld].sort());

      assert.deepEqual(p.foreignRequests(), []);
      assert.deepEqual(p.errors.filter((e) => !/401 \(Unauthorized\)/.test(e)), []);
    } finally {
      await p.close();
    }
  });
});
