// Every main screen, signed in as each role with real data, checked by axe-core inside real
// Chromium: no 'serious' or 'critical' violation (labels, names, contrast, landmarks, tables).
// Runs at 1280x720, the narrower laptop, and saves each screen as a11y-<screen>.png to look at.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Browser, Locator } from 'playwright-core';
import { ManualClock } from '../../core/clock.ts';
import { HELD_CUSTODIAN, HOLD_NAME, seedRetention, type Seeded } from '../fixtures/retention-seed.ts';
import { login, removeDir, startTestStele, TEST_ADMIN_PASSWORD, type TestStele } from '../harness.ts';
import { launch, openPage, signIn, uiUnavailable, type UiPage } from './browser.ts';

const skip = uiUnavailable();
const MATTER = 'Smith v Clinic';
const VIEWPORT = { width: 1280, height: 720 };

interface AxeNode { target: unknown[]; failureSummary?: string }
interface AxeViolation { id: string; impact: string | null; help: string; nodes: AxeNode[] }

/** One screen: where it is, and what shows once its data has arrived. */
interface Screen {
  name: string;
  path: string;
  ready: (p: UiPage) => Locator;
  /** Opens a state the screen does not start in (a form, a detail), then waits for it. */
  act?: (p: UiPage) => Promise<void>;
}

describe('accessibility of every screen (axe-core)', { skip: skip ?? false }, () => {
  const clock = new ManualClock();
  let s: TestStele;
  let browser: Browser;
  let axeSource = '';
  let seeded: Seeded;
  let matterId = '';
  let openBatch = '';
  let certificate = '';
  const passwords: Record<string, string> = {};
  const minor: string[] = [];

  before(async () => {
    axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    s = await startTestStele({ clock });
    browser = await launch();
    seeded = await seedRetention(s, clock);
    passwords.lena = await s.createUser('lena', ['legal']);
    passwords.rita = await s.createUser('rita', ['records_manager']);
    passwords.audra = await s.createUser('audra', ['auditor']);

    const lena = await login(s, 'lena', passwords.lena);
    const made = await lena.fetch('/api/v1/matters', { json: { name: MATTER, description: 'Complaint about care in May 2019.', custodians: [HELD_CUSTODIAN] } });
    assert.equal(made.status, 201, await made.clone().text());
    matterId = ((await made.json()) as { id: string }).id;
    assert.equal((await lena.fetch(`/api/v1/matters/${matterId}/searches`, { json: { name: 'Harry, all mail', query: `from:${HELD_CUSTODIAN}` } })).status, 201);
    assert.equal((await lena.fetch(`/api/v1/matters/${matterId}/holds`, { json: { holdId: seeded.holdId } })).status, 200);

    // The list of holds answers each hold's count itself (one GROUP BY), so the screen makes one request.
    const admin = await login(s, 'admin', TEST_ADMIN_PASSWORD);
    const { holds } = (await (await admin.fetch('/api/v1/holds')).json()) as { holds: Array<{ id: string; messages: number }> };
    assert.deepEqual(holds.map((h) => [h.id, h.messages]), [[seeded.holdId, 1]]);

    // Records: two batches proposed; the bulletins batch approved (one approval: four eyes off) gives a certificate.
    const rita = await login(s, 'rita', passwords.rita);
    const proposed = (await (await rita.fetch('/api/v1/disposition/run', { method: 'POST' })).json()) as { batches: Array<{ id: string; category: string }> };
    openBatch = proposed.batches.find((b) => b.category === 'default')!.id;
    certificate = proposed.batches.find((b) => b.category === 'bulletins')!.id;
    const approved = await rita.fetch(`/api/v1/disposition/batches/${certificate}/approve`, { json: { reason: 'Schedule item 4: one year' } });
    assert.equal(((await approved.json()) as { status: string }).status, 'destroyed');
    await s.caughtUp();
  });

  after(async () => {
    if (minor.length) console.log(`axe: ${minor.length} moderate or minor finding(s):\n${minor.join('\n')}`);
    await browser?.close();
    if (s) {
      await s.stop();
      await removeDir(s.dataDir);
    }
  });

  /** Runs axe on the page as it is; answers the serious and critical violations, described. */
  async function audit(p: UiPage, screen: string): Promise<string[]> {
    const has = await p.page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe !== 'undefined');
    // Evaluated through the DevTools protocol, so the UI's CSP (script-src 'self') stays in force.
    if (!has) await p.page.evaluate(axeSource);
    const violations = await p.page.evaluate(async () => {
      const axe = (globalThis as unknown as { axe: { run(ctx: unknown, o: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
      const doc = (globalThis as unknown as { document: unknown }).document;
      return (await axe.run(doc, { resultTypes: ['violations'], iframes: false })).violations;
    });
    const describe = (v: AxeViolation) => `${screen}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.slice(0, 4).map((n) => JSON.stringify(n.target)).join(', ')}`;
    // Moderate and minor findings are reported, not failed: worth reading, not worth a red build.
    for (const v of violations.filter((x) => x.impact !== 'serious' && x.impact !== 'critical')) minor.push(describe(v));
    return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map(describe);
  }

  async function visit(p: UiPage, screens: Screen[]): Promise<string[]> {
    const found: string[] = [];
    for (const sc of screens) {
      await p.page.goto(sc.path);
      await sc.ready(p).first().waitFor();
      await sc.act?.(p);
      // Wait out any list still loading (the screens mark it aria-busy), so axe sees the real content.
      await p.page.waitForFunction(() => !(globalThis as unknown as { document: { querySelector(s: string): unknown } }).document.querySelector('[aria-busy="true"]'));
      await p.screenshot(`a11y-${sc.name}`);
      found.push(...(await audit(p, sc.name)));
    }
    return found;
  }

  async function asRole(user: string, password: string, screens: Screen[]): Promise<void> {
    const p = await openPage(browser, s.httpUrl, { viewport: VIEWPORT });
    try {
      await signIn(p, user, password);
      const found = await visit(p, screens);
      assert.deepEqual(found, [], found.join('\n'));
      assert.deepEqual(p.foreignRequests(), []);
      assert.deepEqual(p.errors.filter((e) => !/401 \(Unauthorized\)/.test(e)), []);
    } finally {
      await p.close();
    }
  }

  const h1 = (name: string | RegExp) => (p: UiPage) => p.page.getByRole('heading', { level: 1, name });

  it('the sign-in page', async () => {
    const p = await openPage(browser, s.httpUrl, { viewport: VIEWPORT });
    try {
      const found = await visit(p, [
        { name: 'login', path: '/login', ready: (q) => q.page.getByRole('button', { name: 'Sign in' }) },
        { name: 'login-expired', path: '/login?expired=1&next=/search', ready: (q) => q.page.getByRole('button', { name: 'Sign in' }) },
      ]);
      assert.deepEqual(found, [], found.join('\n'));
    } finally {
      await p.close();
    }
  });

  it('a legal user: search with results, a message, matters, a matter, holds, account', async () => {
    await asRole('lena', passwords.lena, [
      { name: 'search', path: '/search?q=' + encodeURIComponent('from:alice@clinic.example'), ready: (p) => p.page.locator('[data-testid="hit"]') },
      {
        name: 'search-builder', path: '/search?q=' + encodeURIComponent('from:alice@clinic.example'), ready: (p) => p.page.locator('[data-testid="hit"]'),
        act: async (p) => p.page.getByText('Build a query with a form').click(),
      },
      { name: 'message', path: `/messages/${seeded.heldSha}`, ready: (p) => p.page.getByRole('heading', { name: 'Patient complaint follow-up', level: 1 }) },
      { name: 'matters', path: '/matters', ready: (p) => p.page.getByRole('link', { name: MATTER }) },
      { name: 'matter', path: `/matters/${matterId}`, ready: (p) => p.page.getByText('Harry, all mail') },
      { name: 'holds-legal', path: '/holds', ready: (p) => p.page.getByRole('row', { name: new RegExp(HOLD_NAME) }) },
      { name: 'account', path: '/account', ready: h1(/Account|Your account/) },
    ]);
  });

  it('an admin: holds, retention policy, every admin tab', async () => {
    await asRole('admin', TEST_ADMIN_PASSWORD, [
      {
        name: 'holds', path: '/holds', ready: (p) => p.page.getByRole('row', { name: new RegExp(HOLD_NAME) }),
        act: async (p) => {
          await p.page.getByRole('button', { name: `History of ${HOLD_NAME}` }).click();
          await p.page.getByRole('list', { name: 'History' }).getByText('Placed', { exact: true }).waitFor();
        },
      },
      { name: 'retention-admin', path: '/retention', ready: (p) => p.page.getByRole('button', { name: 'New category' }) },
      { name: 'admin-users', path: '/admin?tab=users', ready: (p) => p.page.getByRole('row', { name: /audra/ }) },
      {
        name: 'admin-matters', path: '/admin?tab=matters', ready: (p) => p.page.getByRole('row', { name: new RegExp(MATTER) }),
        act: async (p) => p.page.getByRole('button', { name: `Edit members of ${MATTER}` }).click(),
      },
      { name: 'admin-tokens', path: '/admin?tab=tokens', ready: (p) => p.page.getByRole('button', { name: 'Create token' }) },
      { name: 'admin-allow-list', path: '/admin?tab=allow-list', ready: (p) => p.page.getByRole('button', { name: 'Add to allow-list' }) },
      { name: 'admin-alerts', path: '/admin?tab=alerts', ready: h1('Administration') },
      { name: 'admin-health', path: '/admin?tab=health', ready: (p) => p.page.getByRole('list', { name: 'Components' }) },
    ]);
  });

  it('a records manager: retention, disposition, certificates, a certificate', async () => {
    await asRole('rita', passwords.rita, [
      { name: 'retention', path: '/retention', ready: (p) => p.page.getByRole('heading', { name: 'Volume and what falls due' }) },
      {
        name: 'retention-dry-run', path: '/retention', ready: (p) => p.page.getByRole('button', { name: 'Try a rule (dry run)' }),
        act: async (p) => {
          await p.page.getByRole('button', { name: 'Try a rule (dry run)' }).click();
          await p.page.getByLabel(/^From/).fill('bob@clinic.example');
          await p.page.getByRole('button', { name: 'Preview (dry run)' }).click();
          await p.page.getByText('Dry run finished: nothing was changed.').waitFor();
        },
      },
      { name: 'disposition', path: `/disposition?batch=${openBatch}`, ready: (p) => p.page.getByText('Held mail is excluded.') },
      { name: 'certificates', path: '/certificates', ready: (p) => p.page.getByRole('link', { name: certificate }) },
      { name: 'certificate', path: `/certificates/${certificate}`, ready: (p) => p.page.getByRole('heading', { name: 'Certificate of destruction' }) },
    ]);
  });

  it('an auditor: the audit trail, integrity, certificates', async () => {
    await asRole('audra', passwords.audra, [
      { name: 'audit', path: '/audit', ready: (p) => p.page.getByRole('table', { name: /Audit trail entries/ }).locator('tbody tr') },
      { name: 'audit-integrity', path: '/audit?tab=integrity', ready: (p) => p.page.getByRole('button', { name: 'Verify integrity' }) },
      { name: 'certificates-auditor', path: '/certificates', ready: (p) => p.page.getByRole('link', { name: certificate }) },
    ]);
  });
});
