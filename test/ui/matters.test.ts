// The legal team's matter journey in real Chromium against a real Stele: a member signs in with
// TOTP, opens her matter, saves a search, exports it watching the progress, downloads the ZIP
// through the page and finds every native byte-identical to what was journaled, with a load
// file; a colleague who is not a member neither sees the matter nor downloads its export.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { openEntry, readZipDirectory } from '../../discovery/zip-read.ts';
import { buildMail } from '../fixtures/mail.ts';
import { enrolTotp, journalHttp, login, removeDir, startTestStele, totpCode, TEST_ADMIN_PASSWORD, type TestStele } from '../harness.ts';
import { launch, openPage, signIn, uiUnavailable, type UiPage } from './browser.ts';

const skip = uiUnavailable();
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const CUSTODIAN = 'priya@clinic.example';
const MATTER = 'Reyes v. Northside Clinic';

async function entryBytes(zip: string, name: string): Promise<Buffer> {
  const entry = (await readZipDirectory(zip)).find((e) => e.name === name);
  assert.ok(entry, `${name} in the ZIP`);
  const chunks: Buffer[] = [];
  for await (const c of await openEntry(zip, entry)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Console noise a journey expects: the signed-out probe, and the 404s a non-member is shown. */
const unexpected = (errors: string[], also: RegExp[] = []) =>
  errors.filter((e) => !/401 \(Unauthorized\)/.test(e) && !also.some((re) => re.test(e)));

describe('matters in the browser', { skip: skip ?? false }, () => {
  let s: TestStele;
  let browser: Browser;
  let tmp: string;
  const journaled = new Map<string, Buffer>(); // sha256 -> the bytes sent, the custodian's mail only
  let matterId = '';
  let exportUrl = '';
  const users = { member: { name: 'lara', pw: '' }, outsider: { name: 'nico', pw: '' } };
  let secret = '';

  before(async () => {
    s = await startTestStele();
    browser = await launch();
    tmp = await mkdtemp(join(tmpdir(), 'stele-ui-matters-'));
    for (let i = 1; i <= 12; i++) {
      const raw = buildMail({
        from: `Priya Shah <${CUSTODIAN}>`, to: ['records@clinic.example'], subject: `Discharge summary ${i}`,
        date: `Wed, ${String(i).padStart(2, '0')} Mar 2023 09:00:00 +0000`, text: `Summary ${i}: follow-up in two weeks.\r\n`,
        ...(i % 4 === 0 ? { attachments: [{ filename: `scan-${i}.pdf`, contentType: 'application/pdf', content: Buffer.from(`%PDF-1.4 scan ${i}`) }] } : {}),
      });
      journaled.set(sha256(raw), raw);
      assert.equal((await journalHttp(s.httpUrl, raw)).status, 201);
    }
    for (let i = 1; i <= 3; i++) assert.equal((await journalHttp(s.httpUrl, buildMail({ from: 'omar@clinic.example', subject: `Rota ${i}` }))).status, 201);
    await s.caughtUp();
    users.member.pw = await s.createUser(users.member.name, ['legal']);
    users.outsider.pw = await s.createUser(users.outsider.name, ['legal']);
    const lara = await login(s, users.member.name, users.member.pw);
    // Enrol with the previous 30 s code, so the current one is still unused when she signs in.
    secret = (await enrolTotp(lara, new Date(Date.now() - 30_000))).secret;
    const made = await lara.fetch('/api/v1/matters', { json: { name: MATTER, description: 'Wrongful discharge claim; preserve and produce the discharge summaries.', custodians: [CUSTODIAN] } });
    assert.equal(made.status, 201);
    matterId = ((await made.json()) as { id: string }).id;
    // An admin preserves the custodian's mail under a hold naming the matter (not yet linked to it).
    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    const hold = await admin.fetch('/api/v1/holds', { json: { name: 'Shah mailbox', matter: MATTER, scope: { custodians: [CUSTODIAN] }, reason: 'preservation letter' } });
    assert.equal(hold.status, 201);
  });

  after(async () => {
    await browser?.close();
    await s?.stop();
    if (s) await removeDir(s.dataDir);
    if (tmp) await removeDir(tmp);
  });

  it('a member saves a search, exports it with live progress and downloads natives identical to the journaled mail', async () => {
    const p: UiPage = await openPage(browser, s.httpUrl);
    const { page } = p;
    try {
      await signIn(p, users.member.name, users.member.pw, () => totpCode(secret, new Date()));
      await page.getByRole('link', { name: 'Matters' }).click();
      await page.getByRole('heading', { name: 'Matters', level: 1 }).waitFor();
      const row = page.getByRole('row', { name: new RegExp(MATTER.replace(/\./g, '\\.')) });
      await row.waitFor();
      assert.match(await row.innerText(), /1 custodian/);
      await p.screenshot('matters-list');

      await row.getByRole('link', { name: MATTER }).click();
      await page.getByRole('heading', { name: MATTER, level: 1 }).waitFor();
      assert.match(await page.getByRole('region', { name: 'About this matter' }).innerText(), new RegExp(CUSTODIAN));
      const holds = page.getByRole('region', { name: 'Legal holds' });
      await holds.getByText('Shah mailbox', { exact: true }).waitFor();
      assert.match(await holds.innerText(), /Active[\s\S]*12 messages/);
      await holds.getByLabel('Link an existing hold').selectOption({ label: `Shah mailbox (${MATTER})` });
      await holds.getByRole('button', { name: 'Link hold' }).click();
      await holds.getByText('linked by lara').waitFor();

      const query = `from:${CUSTODIAN} after:2023-01-01`;
      await page.getByLabel('Search name').fill('Priya, discharge summaries');
      await page.getByLabel(/^Query/).fill(query);
      await page.getByRole('button', { name: 'Save search' }).click();
      const saved = page.getByRole('row', { name: /Priya, discharge summaries/ });
      await saved.waitFor();
      assert.equal(await saved.locator('code.query').innerText(), query, 'the query is kept exactly as typed');
      assert.match(await saved.innerText(), /lara/);
      assert.equal((await saved.locator('td.num').innerText()).trim(), '12');
      const run = saved.getByRole('link', { name: /^Run/ });
      const href = new URL((await run.getAttribute('href'))!, s.httpUrl);
      assert.equal(href.pathname, '/search');
      assert.equal(href.searchParams.get('q'), query, 'Run opens Search with the saved query');
      await p.screenshot('matter');

      await saved.getByRole('button', { name: /^Export/ }).click();
      await page.getByLabel('Bates prefix').fill('REYES');
      await page.getByLabel('Split ZIP at (MB)').fill('1');
      await page.getByLabel(/Also one \.mbox/).check();
      await page.getByRole('button', { name: 'Start export' }).click();
      // The new export shows its progress bar until the first poll (a second later) finds it done.
      await page.locator('.export-progress progress').first().waitFor();
      await p.screenshot('matter-export-progress');
      const done = page.getByRole('status').filter({ hasText: /12 messages exported as REYES 1–12/ });
      await done.waitFor({ timeout: 60_000 });
      await p.screenshot('matter-export-done');

      const link = page.getByRole('link', { name: /^Download exp-.*\.zip$/ });
      assert.equal(await link.count(), 1, 'one volume under 1 MB');
      exportUrl = (await link.getAttribute('href'))!;
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      const zip = join(tmp, download.suggestedFilename());
      await download.saveAs(zip);

      const names = (await readZipDirectory(zip)).map((e) => e.name);
      const natives = names.filter((n) => /^NATIVES\/REYES\d{7}\.eml$/.test(n));
      assert.equal(natives.length, journaled.size);
      const found = new Set<string>();
      for (const n of natives) {
        const bytes = await entryBytes(zip, n);
        const h = sha256(bytes);
        assert.ok(journaled.get(h)?.equals(bytes), `${n} is byte-identical to a journaled message`);
        found.add(h);
      }
      assert.deepEqual([...found].sort(), [...journaled.keys()].sort(), 'every journaled message, once');
      const mbox = names.find((n) => /^MBOX\/REYES_exp-.*\.mbox$/.test(n));
      assert.ok(mbox, `the .mbox asked for in ${names.join(', ')}`);
      const separators = (await entryBytes(zip, mbox)).toString('latin1').match(/^From /gm) ?? [];
      assert.equal(separators.length, journaled.size, 'one mbox message per journaled message');
      const dat = names.find((n) => /^DATA\/.*\.dat$/.test(n));
      const csv = names.find((n) => /^DATA\/.*\.csv$/.test(n));
      assert.ok(dat && csv, `a DAT and a CSV load file in ${names.join(', ')}`);
      const csvRows = (await entryBytes(zip, csv)).toString('utf8').replace(/^\uFEFF/, '').trim().split('\r\n');
      assert.equal(csvRows.length, journaled.size + 1, 'a header and one row per message');
      assert.equal((await entryBytes(zip, dat)).subarray(0, 3).toString('hex'), 'efbbbf', 'the DAT is UTF-8 with a BOM');
      const shown = (await page.getByRole('row', { name: new RegExp(download.suggestedFilename().replace(/\./g, '\\.')) }).locator('td.mono.small').innerText()).trim();
      assert.equal(sha256(await readFile(zip)), shown, 'the volume downloaded is the one whose SHA-256 the page shows');

      assert.deepEqual(p.foreignRequests(), []);
      assert.deepEqual(unexpected(p.errors), []);
    } finally {
      await p.close();
    }
  });

  it('a legal colleague who is not a member neither sees the matter nor downloads its export', async () => {
    assert.ok(exportUrl, 'the member exported first');
    const p = await openPage(browser, s.httpUrl);
    const { page } = p;
    try {
      await signIn(p, users.outsider.name, users.outsider.pw);
      await page.goto('/matters');
      await page.getByText('You are not a member of any matter yet.').waitFor();
      assert.equal(await page.getByText(MATTER).count(), 0);
      await page.goto(`/matters/${matterId}`);
      await page.getByRole('heading', { name: 'No such matter' }).waitFor();
      // The same session asks for the volume directly: the server refuses a non-member.
      const res = await page.request.get(exportUrl);
      assert.ok(res.status() === 404 || res.status() === 403, `a non-member's download answered ${res.status()}`);
      assert.doesNotMatch(res.headers()['content-type'] ?? '', /zip/);
      assert.deepEqual(p.foreignRequests(), []);
      assert.deepEqual(unexpected(p.errors, [/404 \(Not Found\)/]), []);
    } finally {
      await p.close();
    }
  });
});
