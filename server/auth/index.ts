// Accounts, sessions, MFA, authorisation and the audit trail, built from the catalog and the
// ledger. The composition root calls createAuth once and mounts `router`; other route modules
// receive `authorize` and `audit` as arguments.
import { Router, type Request, type RequestHandler } from 'express';
import { systemClock, type Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import type { Keyring, Ledger } from '../../vault/index.ts';
import { Accounts } from '../accounts/accounts.ts';
import type { SqliteCatalog } from '../catalog/sqlite-catalog.ts';
import { alertsRoutes } from '../http/alerts-routes.ts';
import { auditRoutes } from '../http/audit-routes.ts';
import { authRoutes } from '../http/auth-routes.ts';
import { userRoutes } from '../http/user-routes.ts';
import { alertChannels } from './alert-delivery.ts';
import type { AuthConfig } from './auth-config.ts';
import { Alerts } from './alerts.ts';
import { LoginFlow } from './login-flow.ts';
import { Mfa } from './mfa.ts';
import { RateLimiter } from './rate-limit.ts';
import { RequestAuth, type AuditEvent, type AuthorizeOptions } from './request-auth.ts';
import { SecretBox } from './secret-box.ts';
import { Sessions } from './sessions.ts';
import { LoginThrottle } from './throttle.ts';

export { authOf, clientIp, mayAccessMatter, type AuditEvent, type AuthContext, type AuthorizeOptions } from './request-auth.ts';
export { POLICY, ROLES, ACTIONS, PUBLIC_ROUTES, can, type Action, type Role } from './policy.ts';
export { parseAuthConfig, type AuthConfig } from './auth-config.ts';
export type { NewAlert } from './alerts.ts';

/** Expired sessions are dropped when presented; this sweeps the ones nobody presents again. */
const PURGE_EVERY_MS = 10 * 60_000;

export interface AuthDeps {
  catalog: SqliteCatalog;
  ledger: Ledger;
  log: Logger;
  config: { auth: AuthConfig; hostname: string };
  keyring: Keyring;
  clock?: Clock;
  /** Overrides config.auth.bcryptCost (tests use 4). */
  bcryptCost?: number;
}

export type Authorize = (action: string, opts?: AuthorizeOptions) => RequestHandler;
export type Audit = (req: Request, event: AuditEvent) => Promise<void>;

/** Everything the auth routes need; also handy to tests. */
export interface AuthServices {
  catalog: SqliteCatalog;
  ledger: Ledger;
  log: Logger;
  clock: Clock;
  accounts: Accounts;
  mfa: Mfa;
  sessions: Sessions;
  throttle: LoginThrottle;
  alerts: Alerts;
  flow: LoginFlow;
  requestAuth: RequestAuth;
  authorize: Authorize;
  audit: Audit;
}

export interface Auth {
  /** /api/v1/auth, /users, /mfa-policy, /ingest-tokens, /audit, /alerts. */
  router: Router;
  /** Resolves the session cookie for every request (authorize() also does, so mount order is free). */
  session: RequestHandler;
  authorize: Authorize;
  audit: Audit;
  /** raise() for other components' alerts (ingest volume, region errors). */
  alerts: Alerts;
  accounts: Accounts;
  services: AuthServices;
  close(): Promise<void>;
}

export function createAuth(deps: AuthDeps): Auth {
  const clock = deps.clock ?? systemClock;
  const cfg = deps.config.auth;
  const { catalog, ledger, log } = deps;
  const sessions = new Sessions(catalog, clock, { idleMs: cfg.sessionIdleMs, maxMs: cfg.sessionMaxMs, secure: cfg.cookieSecure });
  const accounts = new Accounts(catalog, clock, deps.bcryptCost ?? cfg.bcryptCost);
  const mfa = new Mfa(catalog, new SecretBox(deps.keyring), clock, cfg.mfaRequiredRoles);
  const throttle = new LoginThrottle(catalog, clock);
  const alerts = new Alerts({ catalog, ledger, log, clock, channels: alertChannels(cfg.alerts, deps.config.hostname) });
  const requestAuth = new RequestAuth({ catalog, ledger, log, sessions, limiter: new RateLimiter(clock), publicOrigins: cfg.publicOrigins });
  const flow = new LoginFlow({ catalog, accounts, mfa, sessions, throttle, alerts, ledger, log, clock });
  const authorize: Authorize = (action, opts) => requestAuth.authorize(action, opts);
  const audit: Audit = (req, ev) => requestAuth.audit(req, ev);
  const services: AuthServices = { catalog, ledger, log, clock, accounts, mfa, sessions, throttle, alerts, flow, requestAuth, authorize, audit };

  const router = Router();
  router.use(authRoutes(services), userRoutes(services), auditRoutes(services), alertsRoutes(services));
  const purge = setInterval(() => {
    try {
      sessions.purge();
    } catch (err) {
      log.warn('session purge failed', { err });
    }
  }, PURGE_EVERY_MS);
  purge.unref();

  return {
    router, session: requestAuth.session, authorize, audit, alerts, accounts, services,
    async close() {
      clearInterval(purge);
      await alerts.close();
    },
  };
}
