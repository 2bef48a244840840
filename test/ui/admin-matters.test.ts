// An admin who cannot read matters still decides who works in them: in real Chromium the admin
// opens Administration → Matters, adds a colleague and removes the opener, and the server then
// lets the one in and keeps the other out (404), with the change on the ledger.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { login, removeDir, startTestStele, TEST_ADMIN_PASSWORD, type SignedInClient, type TestStele } from '../harness.ts';
import { launch, openPage, signIn, uiUnavailable, type UiPage } from './browser.ts';

const skip = uiUnavailable();
const MATTER = 'Okafor v. Riverside Trust';

describe('matter members in the admin screen', { skip: skip ?? false }, () => {
  let s: TestStele;
  let browser: Browser;
  let lara: SignedInClient;
  let nico: SignedInClient;
  let matterId = '';

  before(async () => {
    s = await startTestStele();
    browser = await launch();
    lara = await login(s, 'lara', await s.createUser('lara', ['legal']));
    nico = await login(s, 'nico', await s.createUser('nico', ['legal']));
    await s.createUser('rita', ['records_manager']);
    const made = await lara.fetch('/api/v1/matters', { json: { name: MATTER, custodians: ['okafor@riverside.example'] } });
    assert.equal(made.status, 201);
    matterId = ((await made.json()) as { id: string }).id;
  });

  after(async () => {
    await browser?.close();
    await s?.stop();
    if (s) await removeDir(s.dataDir);
  });

  it('adds and removes members among legal users, and the server follows', async () => {
    assert.equal((await nico.fetch(`/api/v1/matters/${matterId}`)).status, 404, 'not a member yet');
    const p: UiPage = await openPage(browser, s.httpUrl);
    const { page } = p;
    try {
      await signIn(p, 'admin', TEST_ADMIN_PASSWORD);
      await page.getByRole('link', { name: 'Admin', exact: true }).click();
      await page.getByRole('tab', { name: 'Matters' }).click();
      const row = page.getByRole('row', { name: new RegExp(MATTER) });
      await row.getByText('lara', { exact: true }).waitFor();
      await row.getByRole('button', { name: `Edit members of ${MATTER}` }).click();

      const editor = page.getByRole('form', { name: `Members of ${MATTER}` });
      assert.deepEqual(await editor.getByRole('checkbox').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value)), ['lara', 'nico'],
        'only legal users are offered (not the records manager or the admin)');
      await editor.getByLabel('nico').check();
      await editor.getByLabel('lara').uncheck();
      await editor.getByRole('button', { name: 'Save members' }).click();
      await page.getByText(`Members of ${MATTER}: nico.`).waitFor();
      await row.getByText('nico', { exact: true }).waitFor();
      assert.equal(await row.getByText('lara', { exact: true }).count(), 0);
      await p.screenshot('admin-matters');

      assert.equal((await nico.fetch(`/api/v1/matters/${matterId}`)).status, 200, 'the new member sees the matter');
      assert.equal((await lara.fetch(`/api/v1/matters/${matterId}`)).status, 404, 'the removed member no longer does');
      const changes = s.core.ledger.query({ types: ['matter.members_changed'] });
      assert.deepEqual(changes.map((e) => [e.actor, e.subject, e.data.to]), [['admin', matterId, ['nico']]]);

      assert.deepEqual(p.foreignRequests(), []);
      assert.deepEqual(p.errors.filter((e) => !/401 \(Unauthorized\)/.test(e)), []);
    } finally {
      await p.close();
    }
  });
});
