// The whole role x route matrix through real sockets. Routes are listed from the running
// express app (not from a list in this file), so a route anyone adds later is covered: it must
// declare an action or be in PUBLIC_ROUTES, and every role gets exactly what POLICY says.
// Nothing a role may not read (the seeded message's subject and body) may appear in any answer.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { POLICY, PUBLIC_ROUTES, ROLES, can, type Role } from '../server/auth/index.ts';
import { listRoutes, type RouteInfo } from '../server/auth/route-inventory.ts';
import { buildMail } from './fixtures/mail.ts';
import { journalHttp, login, send, useTestStele, type TestStele } from './harness.ts';

const SUBJECT = 'Matrix-Leak-Subject-7f3a91';
const BODY = 'Matrix-Leak-Body-c2e8d4 oncology results for the patient';

interface Principal {
  name: string;
  roles: Role[] | null; // null: not signed in
}

const PRINCIPALS: Principal[] = [
  { name: 'anonymous', roles: null },
  ...ROLES.map((r) => ({ name: `m-${r.replace('_', '-')}`, roles: [r] })),
  { name: 'm-no-role', roles: [] },
  { name: 'm-legal-auditor', roles: ['legal', 'auditor'] },
];

const isPublic = (r: RouteInfo) => PUBLIC_ROUTES.some((p) => p.method === r.method && p.path === r.path);

/** A concrete URL for a route pattern: ids become the seeded message's hash, counters 0, names "x". */
function concrete(path: string, sha: string): string {
  return path
    .replace(/\{([^}]*)\}/g, '$1')
    .replace(/[:*]([A-Za-z_]\w*)/g, (_m, name: string) => (name === 'n' ? '0' : /id|sha|message/i.test(name) ? sha : 'x'));
}

describe('role x route matrix', () => {
  const stele = useTestStele();
  const passwords = new Map<string, string>();
  let sha = '';

  before(async () => {
    const s = stele();
    const raw = buildMail({ subject: SUBJECT, text: BODY });
    sha = createHash('sha256').update(raw).digest('hex');
    assert.equal((await journalHttp(s.httpUrl, raw)).status, 201);
    await s.caughtUp();
    for (const p of PRINCIPALS) if (p.roles) passwords.set(p.name, await s.createUser(p.name, p.roles));
  });

  it('finds the routes, and every one declares an action or is listed as public', () => {
    const routes = listRoutes(stele().app);
    assert.ok(routes.length >= 20, `found ${routes.length} routes`);
    const undeclared = routes.filter((r) => r.action === null && !isPublic(r)).map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(undeclared, [], 'routes without authorize(action) that are not in PUBLIC_ROUTES');
    for (const p of PUBLIC_ROUTES) assert.ok(routes.some((r) => r.method === p.method && r.path === p.path), `public route ${p.method} ${p.path} exists`);
  });

  it('gives every principal exactly what the policy allows on every route, and leaks nothing', async () => {
    const s = stele();
    const problems: string[] = [];
    for (const route of listRoutes(s.app)) {
      for (const p of PRINCIPALS) {
        const { status, text } = await call(s, route, p, passwords.get(p.name), sha);
        const label = `${p.name} ${route.method} ${route.path} -> ${status}`;
        const allowed = route.action === null ? true : p.roles !== null && can(p.roles, route.action);
        if (route.action !== null && !allowed && status !== (p.roles === null ? 401 : 403)) problems.push(`${label}: expected ${p.roles === null ? 401 : 403}`);
        if (allowed && route.action !== null && (status === 401 || status === 403)) problems.push(`${label}: allowed by policy but refused`);
        if (status >= 500) problems.push(`${label}: server error ${text.slice(0, 200)}`);
        const mayRead = p.roles !== null && allowed && can(p.roles, 'message.read');
        if (!mayRead && (text.includes(SUBJECT) || text.includes('Matrix-Leak-Body'))) problems.push(`${label}: leaked message content`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it('keeps docs/security.md in step with the policy table', async () => {
    const doc = await readFile(new URL('../docs/security.md', import.meta.url), 'utf8');
    for (const [action, roles] of Object.entries(POLICY)) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${action}\` |`));
      assert.ok(row, `docs/security.md has a row for ${action}`);
      const cells = row.split('|').slice(2, 2 + ROLES.length).map((c) => c.trim() === 'yes');
      assert.deepEqual(cells, ROLES.map((r) => (roles as readonly string[]).includes(r)), `row for ${action}`);
    }
  });
});

async function call(s: TestStele, route: RouteInfo, p: Principal, password: string | undefined, sha: string): Promise<{ status: number; text: string }> {
  const path = concrete(route.path, sha);
  const method = route.method === 'ALL' ? 'GET' : route.method;
  const hasBody = !['GET', 'HEAD', 'DELETE'].includes(method);
  const body = hasBody ? '{}' : undefined;
  let res: Response;
  if (p.roles === null) {
    res = await send(`${s.httpUrl}${path}`, { method, headers: hasBody ? { 'content-type': 'application/json', origin: s.httpUrl } : {}, body });
  } else {
    // A fresh session per request: some allowed routes (logout, MFA reset) end the one they run in.
    const c = await login(s, p.name, password!);
    res = await c.fetch(path, { method, body, headers: hasBody ? { 'content-type': 'application/json' } : {} });
  }
  return { status: res.status, text: await res.text() };
}
