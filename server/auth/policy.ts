// The one authorisation policy: which role may perform which action. Every route declares its
// action through authorize(action) (request-auth.ts); nothing else decides who may do what.
// docs/security.md carries the same table for people; a test keeps them in step.

export const ROLES = ['admin', 'legal', 'records_manager', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Each action and the roles allowed to perform it. Message content (bodies, raw bytes,
 * attachments, search hits with subjects and snippets) is read only through search and
 * message.*, which only `legal` holds: admins, records managers and auditors work on metadata
 * (hashes, dates, categories, envelope addresses) and never see what a message says.
 * `self` is what any signed-in user may do to their own account (me, logout, MFA, password).
 */
export const POLICY = {
  self: ['admin', 'legal', 'records_manager', 'auditor'],
  // admin: the archive's configuration and its people
  'users.manage': ['admin'],
  'tokens.manage': ['admin'],
  'holds.read': ['admin', 'legal', 'records_manager'],
  'holds.manage': ['admin'],
  'categories.read': ['admin', 'records_manager'],
  'categories.manage': ['admin'],
  'rules.manage': ['admin'],
  'alerts.read': ['admin'],
  'alerts.manage': ['admin'],
  'smtp.manage': ['admin'],
  // legal: discovery inside matters
  search: ['legal'],
  'message.read': ['legal'],
  'message.raw': ['legal'],
  'message.attachment': ['legal'],
  'matters.read': ['legal'],
  'matters.manage': ['legal'],
  'exports.create': ['legal'],
  'exports.read': ['legal'],
  'exports.download': ['legal'],
  // records_manager: retention and disposition
  'retention.review': ['records_manager'],
  'disposition.approve': ['records_manager'],
  'certificates.read': ['records_manager', 'auditor'],
  // auditor: read-only oversight
  'audit.read': ['auditor'],
  'verify.run': ['auditor'],
} as const satisfies Record<string, readonly Role[]>;

export type Action = keyof typeof POLICY;
export const ACTIONS = Object.keys(POLICY) as Action[];

export function isAction(a: string): a is Action {
  return Object.prototype.hasOwnProperty.call(POLICY, a);
}

export function isRole(r: string): r is Role {
  return (ROLES as readonly string[]).includes(r);
}

/**
 * True when any of `roles` may perform `action`; an unknown action is never allowed. `self` is
 * open to every signed-in user, even one left with no role, who must still be able to sign out.
 */
export function can(roles: readonly string[], action: string): boolean {
  if (!isAction(action)) return false;
  if (action === 'self') return true;
  const allowed: readonly string[] = POLICY[action];
  return roles.some((r) => allowed.includes(r));
}

/**
 * Token buckets for actions that are costly or disclose a lot at once: a runaway script or a
 * stolen session cannot page through the archive at full speed. Per user, in memory.
 */
export const RATE_LIMITS: Partial<Record<Action, { bucket: string; capacity: number; perMinute: number }>> = {
  search: { bucket: 'search', capacity: 30, perMinute: 30 },
  'exports.create': { bucket: 'export', capacity: 5, perMinute: 2 },
};

/**
 * Routes that declare no action, and why. A route missing both an action and a line here fails
 * test/role-matrix.test.ts, so nothing can be added to the API without a decision about it.
 */
export const PUBLIC_ROUTES: ReadonlyArray<{ method: string; path: string; why: string }> = [
  { method: 'POST', path: '/api/v1/journal', why: 'mail servers ingest with a bearer ingest token, checked by the route' },
  { method: 'GET', path: '/api/v1/health', why: 'component states only, no data' },
  { method: 'GET', path: '/metrics', why: 'Prometheus counters only, no data' },
  { method: 'POST', path: '/api/v1/auth/login', why: 'how a session starts; throttled and audited' },
];
