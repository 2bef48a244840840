// The records manager's journey in real Chromium against a real Stele with years of journaled
// mail (a ManualClock): sign in with TOTP, read the charts (right numbers), dry-run a rule,
// propose disposition and see held mail excluded ("blocked by hold"), approve with four eyes
// (a second records manager), open the certificate, print it, verify it, download the signed
// file; then alter a stored copy on disk and see Verify fail.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { ManualClock } from '../../core/clock.ts';
import { verifyCertificate } from '../../retention/index.ts';
import { loadSodium } from '../../vault/sodium.ts';
import { HOLD_NAME, seedRetention, tamperRegionCopy } from '../fixtures/retention-seed.ts';
import { enrolTotp, login, removeDir, startTestStele, totpCode, TEST_ADMIN_PASSWORD, type SignedInClient, type TestStele } from '../harness.ts';
import { launch, openPage, signIn, uiUnavailable, type UiPage } from './browser.ts';

const skip = uiUnavailable();

describe('records manager in the browser', { skip: skip ?? false }, () => {
  const clock = new ManualClock();
  let s: TestStele;
  let browser: Browser;
  let p: UiPage;
  let ross: SignedInClient;
  let password = '';
  let secret = '';

  before(async () => {
    s = await startTestStele({ clock, env: { STELE_FOUR_EYES: 'true' } });
    browser = await launch();
    await seedRetention(s, clock);
    password = await s.createUser('rita', ['records_manager']);
    // The clock stands still: enrol with this step's code, sign in with the next (one step of drift is accepted).
    secret = (await enrolTotp(await login(s, 'rita', password), clock.now())).secret;
    ross = await login(s, 'ross', await s.createUser('ross', ['records_manager']));
    p = await openPage(browser, s.httpUrl);
  });

  after(async () => {
    await p?.close();
    await browser?.close();
    if (s) {
      await s.stop();
      await removeDir(s.dataDir);
    }
  });

  it('reads the charts, dry-runs a rule, approves a disposition that leaves held mail out, and verifies its certificate', async () => {
    const { page } = p;
    await signIn(p, 'rita', password, () => totpCode(secret, clock.now(), 1));

    // Retention: the charts' figures (read through the data-table alternative).
    await page.getByRole('link', { name: 'Retention', exact: true }).click();
    await page.getByRole('heading', { name: 'Retention', level: 1 }).waitFor();
    await page.getByText('4 message(s) fall due in the next 24 months; 5 are past their retain-until date.').waitFor();
    await page.getByRole('button', { name: /Show as a table \(Messages kept/ }).click();
    const volume = page.getByRole('table', { name: 'Messages kept, by category and year received' });
    assert.deepEqual(await volume.getByRole('row', { name: /^2019/ }).getByRole('cell').allInnerTexts(), ['0', '3', '3'], 'columns: bulletins, default, total');
    assert.deepEqual(await volume.getByRole('row', { name: /^2024/ }).getByRole('cell').allInnerTexts(), ['2', '0', '2']);
    assert.deepEqual(await volume.getByRole('row', { name: /^2022/ }).getByRole('cell').allInnerTexts(), ['0', '0', '0'], 'empty years are shown');
    await page.getByRole('button', { name: /Show as a table \(Falling due/ }).click();
    const due = page.getByRole('table', { name: 'Falling due in the next 24 months, by category' });
    assert.deepEqual(await due.getByRole('row', { name: /^Mar 2026/ }).getByRole('cell').allInnerTexts(), ['0', '2', '2']);
    assert.deepEqual(await due.getByRole('row', { name: /^Jun 2026/ }).getByRole('cell').allInnerTexts(), ['1', '0', '1']);
    assert.equal(await due.getByRole('row').count(), 1 + 24, 'a header and 24 months');
    const overdue = page.getByRole('row', { name: /^default/ }).filter({ hasText: 'held' });
    assert.match(await overdue.innerText(), /3\s+1 held\s+0\s+2/);
    assert.equal(await page.getByRole('button', { name: 'New category' }).count(), 0, 'a records manager does not edit categories');
    await p.screenshot('retention');

    // Dry run of a rule: bob's mail to bulletins.
    await page.getByRole('button', { name: 'Try a rule (dry run)' }).click();
    await page.getByLabel('Priority').fill('5');
    await page.getByLabel('Category', { exact: true }).selectOption('bulletins');
    await page.getByLabel(/^From/).fill('bob@clinic.example');
    assert.equal(await page.getByRole('button', { name: 'Save rule' }).count(), 0, 'only admins save rules');
    await page.getByRole('button', { name: 'Preview (dry run)' }).click();
    await page.getByText('Dry run finished: nothing was changed.').waitFor();
    const dry = page.getByRole('region', { name: 'Dry run' });
    assert.match(await dry.innerText(), /2 of 10 messages would move to another category/);
    assert.equal(await dry.getByRole('table').last().getByRole('row').count(), 1 + 2, 'a sample of the two moves');
    await p.screenshot('retention-dry-run');

    // Disposition: propose now; the default batch leaves the held message out and says why.
    await page.getByRole('link', { name: 'Disposition', exact: true }).click();
    await page.getByRole('button', { name: 'Propose now' }).click();
    await page.getByText(/2 batch\(es\) proposed/).waitFor();
    const batchRow = page.getByRole('row', { name: /^default/ });
    assert.match(await batchRow.innerText(), /\b2\b[\s\S]*awaiting approval[\s\S]*0 of 2/);
    await p.screenshot('disposition-queue');
    await batchRow.getByRole('button', { name: /Review/ }).click();
    await page.getByText('Held mail is excluded.').waitFor();
    assert.match(await page.locator('.held-note').innerText(), new RegExp(`1 due message\\(s\\) of category default are not in this batch[\\s\\S]*blocked by hold ${HOLD_NAME}`));
    assert.equal(await page.getByRole('table', { name: 'Sample of the batch' }).getByRole('row').count(), 1 + 2);
    await page.getByLabel('Search inside this batch').fill('subject:"Supply order"');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('1 of 2 messages in this batch match.').waitFor();
    await page.getByLabel(/^Reason/).fill('Past the six-year schedule; sample checked');
    await page.getByRole('button', { name: 'Approve destruction' }).click();
    await page.getByText('Approved (1 of 2). A second records manager must approve before anything is destroyed.').waitFor();
    await page.getByText(/You approved this batch on/).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Approve destruction' }).count(), 0, 'the same person cannot approve twice');
    await p.screenshot('disposition-batch');

    // The second pair of eyes approves through the API; rita sees the batch destroyed.
    const batchId = new URL(page.url()).searchParams.get('batch')!;
    const second = await ross.fetch(`/api/v1/disposition/batches/${batchId}/approve`, { json: { reason: 'Second review' } });
    assert.equal(((await second.json()) as { status: string }).status, 'destroyed');
    await page.reload();
    await page.getByRole('link', { name: 'Open the destruction certificate' }).click();

    // The certificate: printable, verifiable, downloadable.
    await page.getByRole('heading', { name: 'Certificate of destruction' }).waitFor();
    assert.match(await page.locator('article.certificate').innerText(), /rita[\s\S]*Past the six-year schedule[\s\S]*ross[\s\S]*Second review/);
    assert.equal(await page.locator('.cert-items tbody tr').count(), 2);
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.getByRole('button', { name: 'Verify' }).isVisible(), false, 'controls are hidden in print');
    assert.equal(await page.getByRole('heading', { name: 'Certificate of destruction' }).isVisible(), true);
    await p.screenshot('certificate-print');
    await page.emulateMedia({ media: 'screen' });
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('Certificate valid').waitFor();
    assert.equal(await page.locator('.verify-result .badge', { hasText: 'FAIL' }).count(), 0);
    assert.equal(await page.locator('.verify-result .badge', { hasText: 'pass' }).count(), 6);
    await p.screenshot('certificate-verified');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download signed JSON' }).click()]);
    const bytes = await readFile((await download.path())!);
    const check = verifyCertificate(await loadSodium(), bytes, s.core.vault.keyring.signing.publicKey);
    assert.ok(check.ok && check.certificate.batchId === batchId, 'the downloaded file verifies offline');

    await page.getByRole('link', { name: '← All certificates' }).click();
    await page.getByRole('link', { name: batchId }).waitFor();
    await p.screenshot('certificates');

    // A stored copy altered on disk: Verify says so and names the region.
    await tamperRegionCopy(s, 'b', batchId);
    await page.getByRole('link', { name: batchId }).click();
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('Certificate NOT valid').waitFor();
    assert.match(await page.locator('.verify-result').innerText(), /FAIL\s+Stored copy, region b/);

    assert.deepEqual(p.foreignRequests(), []);
    assert.deepEqual(p.errors.filter((e) => !/401|Unauthorized/.test(e)), []);
  });

  it('shows an admin the policy to edit but not the records manager\'s charts or queue', async () => {
    const a = await openPage(browser, s.httpUrl);
    try {
      await signIn(a, 'admin', TEST_ADMIN_PASSWORD);
      await a.page.getByRole('link', { name: 'Retention', exact: true }).click();
      await a.page.getByRole('button', { name: 'New category' }).waitFor();
      await a.page.getByRole('button', { name: 'New rule' }).click();
      await a.page.getByRole('button', { name: 'Save rule' }).waitFor();
      assert.equal(await a.page.getByRole('heading', { name: 'Volume and what falls due' }).count(), 0, 'the charts need retention.review');
      assert.equal(await a.page.getByRole('link', { name: 'Disposition', exact: true }).count(), 0);
      assert.deepEqual(a.errors.filter((e) => !/401|Unauthorized/.test(e)), []);
    } finally {
      await a.close();
    }
  });
});
