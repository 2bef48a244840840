// The admin's and the auditor's journeys in real Chromium: an admin (TOTP) creates an auditor,
// enforces MFA for the role, issues an ingest token that then journals, admits a mail server to
// the SMTP allow-list and sees health; the auditor (TOTP) finds those actions in the trail,
// exports them as CSV, verifies the archive clean, then sees a flipped byte in one region.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { messageKey } from '../../vault/index.ts';
import { buildMail } from '../fixtures/mail.ts';
import { enrolTotp, journalHttp, login, removeDir, startTestStele, totpCode, TEST_ADMIN_PASSWORD, type TestStele } from '../harness.ts';
import { sendSmtp } from '../smtp-client.ts';
import { launch, openPage, signIn, uiUnavailable, type UiPage } from './browser.ts';

const skip = uiUnavailable();
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const envelope = { from: 'relay@clinic.example', to: ['records@clinic.example'] };
/** A 401 from /auth/me before signing in is expected; nothing else may reach the console. */
const unexpected = (errors: string[]) => errors.filter((e) => !/401 \(Unauthorized\)/.test(e));

describe('admin and auditor in the browser', { skip: skip ?? false }, () => {
  let s: TestStele;
  let browser: Browser;
  let adminSecret: string;
  let auditorPassword = '';
  let tokenId = '';
  const ids: string[] = [];

  before(async () => {
    // Only 127.0.0.1 is configured: 127.0.0.2 plays a relay the admin admits through the UI.
    s = await startTestStele({ env: { STELE_SMTP_ALLOW: '127.0.0.1/32' } });
    browser = await launch();
    for (let i = 0; i < 3; i++) {
      const raw = buildMail({ subject: `Board minutes ${i}` });
      assert.equal((await journalHttp(s.httpUrl, raw)).status, 201);
      ids.push(sha(raw));
    }
    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    // Enrol with the previous 30 s code, so the current one is still unused at sign-in.
    adminSecret = (await enrolTotp(admin, new Date(Date.now() - 30_000))).secret;
  });

  after(async () => {
    await browser?.close();
    await s?.stop();
    if (s) await removeDir(s.dataDir);
  });

  it('lets an admin manage people, MFA, tokens and the SMTP allow-list, and see health', async () => {
    const p: UiPage = await openPage(browser, s.httpUrl);
    const { page } = p;
    try {
      await signIn(p, 'admin', TEST_ADMIN_PASSWORD, () => totpCode(adminSecret, new Date()));
      await page.getByRole('link', { name: 'Admin', exact: true }).click();
      await page.getByRole('heading', { name: 'Administration', level: 1 }).waitFor();

      const create = page.getByRole('form', { name: 'New user' });
      await create.getByLabel('New user name').fill('audra');
      await create.getByLabel('Auditor').check();
      await create.getByRole('button', { name: 'Create user' }).click();
      const shown = create.locator('code.secret');
      await shown.waitFor();
      auditorPassword = (await shown.textContent())!.trim();
      assert.ok(auditorPassword.length >= 16, 'a generated password is shown once');
      const row = page.getByRole('row', { name: /audra/ });
      await row.getByText('Auditor').waitFor();

      const mfa = page.getByRole('form', { name: 'MFA enforcement' });
      await mfa.getByLabel('Auditor').check();
      await mfa.getByRole('button', { name: 'Save MFA policy' }).click();
      await mfa.getByText('A second factor is now required for: Auditor.').waitFor();
      const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD, totpCode(adminSecret, new Date(), 1));
      assert.deepEqual(((await (await admin.fetch('/api/v1/mfa-policy')).json()) as { requiredRoles: string[] }).requiredRoles, ['auditor']);
      await p.screenshot('admin-users');

      await page.getByRole('tab', { name: 'Ingest tokens' }).click();
      await page.getByLabel('Token label').fill('Exchange journal rule, London');
      await page.getByRole('button', { name: 'Create token' }).click();
      const tokenField = page.getByLabel('New ingest token');
      await tokenField.waitFor();
      const token = await tokenField.inputValue();
      assert.match(token, /^stl_/);
      await page.getByRole('row', { name: /Exchange journal rule, London/ }).waitFor();
      const viaToken = buildMail({ subject: 'Journaled with the new token' });
      assert.equal((await journalHttp(s.httpUrl, viaToken, { token })).status, 201, 'the token shown once journals');
      assert.equal((await journalHttp(s.httpUrl, buildMail({ subject: 'forged' }), { token: `${token}x` })).status, 401);
      ids.push(sha(viaToken));
      tokenId = s.core.ledger.query({ types: ['token.created'] })[0].subject!;
      await p.screenshot('admin-tokens');

      const before = await sendSmtp(s.smtpPort, buildMail({ subject: 'relay before' }), envelope, { localAddress: '127.0.0.2' });
      assert.equal(before.code, 554, `refused before it is allowed: ${before.response}`);
      await page.getByRole('tab', { name: 'SMTP allow-list' }).click();
      await page.getByRole('row', { name: /127\.0\.0\.1\/32/ }).getByText('fixed').waitFor();
      await page.getByLabel('Address or CIDR range').fill('127.0.0.2');
      await page.getByLabel('Label').fill('Postfix relay, second site');
      await page.getByRole('button', { name: 'Add to allow-list' }).click();
      await page.getByText('127.0.0.2/32 may now journal over SMTP.').waitFor();
      const viaSmtp = buildMail({ subject: 'relay after' });
      const afterAdd = await sendSmtp(s.smtpPort, viaSmtp, envelope, { localAddress: '127.0.0.2' });
      assert.equal(afterAdd.code, 250, `accepted once allowed: ${afterAdd.response}`);
      ids.push(sha(viaSmtp));
      await p.screenshot('admin-allow-list');

      await page.getByRole('tab', { name: 'Health' }).click();
      const components = page.getByRole('list', { name: 'Components' });
      for (const name of ['Vault region a', 'Vault region b', 'Ledger', 'Search index', 'SMTP receiver', 'Replication']) {
        await components.getByText(name, { exact: true }).waitFor();
      }
      await page.getByText('Operational').waitFor();
      assert.equal(await components.getByText('OK', { exact: true }).count(), 6);
      await p.screenshot('admin-health');

      assert.deepEqual(p.foreignRequests(), []);
      assert.deepEqual(unexpected(p.errors), []);
    } finally {
      await p.close();
    }
  });

  it('lets an auditor find, export and verify what happened, and see a damaged copy', async () => {
    assert.ok(auditorPassword, 'the admin journey created the auditor');
    // MFA is now required for auditors: the first sign-in enrols (through the API here).
    const first = await login(s, 'audra', auditorPassword);
    assert.equal(first.answer.stage, 'enroll');
    const { secret } = await enrolTotp(first, new Date(Date.now() - 30_000));
    await s.caughtUp();

    const p: UiPage = await openPage(browser, s.httpUrl);
    const { page } = p;
    try {
      await signIn(p, 'audra', auditorPassword, () => totpCode(secret, new Date()));
      await page.getByRole('link', { name: 'Audit' }).click();
      await page.getByRole('heading', { name: 'Audit', level: 1 }).waitFor();

      await page.getByLabel('Actor').fill('admin');
      await page.getByLabel(/^Event type/).fill('user.created, token.created');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      const rows = page.getByRole('table', { name: /Audit trail entries/ }).locator('tbody tr');
      // The unfiltered first page also holds these events: wait for the filtered answer itself.
      await page.waitForFunction(() => {
        const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> } }).document;
        const r = Array.from(doc.querySelectorAll('table.audit-table tbody tr'));
        return r.length === 2 && r.every((x) => /user\.created|token\.created/.test(x.textContent ?? ''));
      });
      assert.match((await rows.nth(0).textContent())!, /user\.created.*admin.*audra/s);
      assert.match((await rows.nth(1).textContent())!, new RegExp(`token\\.created.*admin.*${tokenId}`, 's'));
      await p.screenshot('audit-trail');

      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
      const csv = await readFile((await download.path())!, 'utf8');
      const lines = csv.trimEnd().split('\r\n');
      assert.equal(lines[0], 'seq,time,type,actor,subject,ip,data,prev,hash');
      assert.equal(lines.length, 3, csv);
      assert.match(lines[1], /,user\.created,admin,audra,/);
      assert.match(lines[2], new RegExp(`,token\\.created,admin,${tokenId},`));
      await page.getByText(/^Saved stele-audit-/).waitFor();

      await page.getByRole('tab', { name: 'Integrity' }).click();
      await page.getByRole('button', { name: 'Verify integrity' }).click();
      await page.getByText(/Verified: every region is intact/).waitFor({ timeout: 30_000 });
      for (const region of ['a', 'b']) {
        const card = page.getByRole('article', { name: new RegExp(`Region ${region}`) });
        await card.getByText('Clean', { exact: true }).waitFor();
        assert.match((await card.locator('dl').textContent())!, new RegExp(`Objects checked${ids.length}Intact${ids.length}Ledger chainIntactCheckpointsValid`));
      }
      await p.screenshot('audit-verify');

      // Someone with disk access flips one byte of a sealed message in region a.
      const file = join(s.dataDir, 'vault', 'a', 'objects', messageKey(ids[0]));
      const bytes = await readFile(file);
      bytes[bytes.length - 10] ^= 0xff;
      await chmod(file, 0o644);
      await writeFile(file, bytes);
      await page.getByRole('button', { name: 'Verify integrity' }).click();
      await page.getByText(/Integrity findings: 1 finding\b/).waitFor({ timeout: 30_000 });
      const a = page.getByRole('article', { name: /Region a/ });
      await a.getByText('Findings', { exact: true }).waitFor();
      assert.equal(await a.getByRole('row', { name: 'Hash mismatch 1' }).count(), 1);
      assert.match((await a.locator('dl').textContent())!, new RegExp(`Intact${ids.length - 1}Ledger`));
      await page.getByRole('article', { name: /Region b/ }).getByText('Clean', { exact: true }).waitFor();
      await page.getByRole('cell', { name: messageKey(ids[0]), exact: true }).waitFor();
      await p.screenshot('audit-verify-finding');

      const runs = s.core.ledger.query({ types: ['verify.completed'] });
      assert.deepEqual(runs.map((e) => [e.actor, e.data.ok]), [['audra', true], ['audra', false]]);
      assert.deepEqual(p.foreignRequests(), []);
      assert.deepEqual(unexpected(p.errors), []);
    } finally {
      await p.close();
    }
  });
});
