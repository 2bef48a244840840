// Per-request authentication and authorisation: the session behind the cookie, the CSRF and
// Origin checks, the one authorize(action) middleware every route declares, and audit() that
// puts a request's action on the ledger as its user, from its address.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { SteleError } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import type { Ledger } from '../../vault/index.ts';
import type { SessionRow, SessionStage, SqliteCatalog, UserRow } from '../catalog/sqlite-catalog.ts';
import { RATE_LIMITS, can, isAction } from './policy.ts';
import type { RateLimiter } from './rate-limit.ts';
import { sameSecret, type Sessions } from './sessions.ts';

export const AUTHZ_DENIED = 'authz.denied';
/** Where route-inventory.ts finds the action a route declared. */
export const ACTION_TAG = Symbol.for('stele.action');
export const CSRF_HEADER = 'x-csrf-token';

export interface AuthContext {
  user: UserRow;
  session: SessionRow;
}

export interface AuditEvent {
  type: string;
  subject?: string;
  data: Record<string, unknown>;
}

export interface AuthorizeOptions {
  /** Session stages let through (default: only a fully signed-in session). */
  stages?: SessionStage[];
  /** Reads the matter a request is about, for legal users confined to some matters. */
  matter?: (req: Request) => string | undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const contexts = new WeakMap<Request, AuthContext | null>();

/** The signed-in user of a request, once the session middleware or authorize() has run. */
export function authOf(req: Request): AuthContext | null {
  return contexts.get(req) ?? null;
}

/** The peer address without the IPv4-mapped prefix; proxies are not trusted (app.ts). */
export function clientIp(req: Request): string {
  const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export interface RequestAuthDeps {
  catalog: SqliteCatalog;
  ledger: Ledger;
  log: Logger;
  sessions: Sessions;
  limiter: RateLimiter;
  publicOrigins: string[];
}

export class RequestAuth {
  constructor(private readonly deps: RequestAuthDeps) {}

  /** Resolves the session cookie once per request (idempotent); null when not signed in. */
  resolve(req: Request, res: Response): AuthContext | null {
    if (contexts.has(req)) return contexts.get(req)!;
    let ctx: AuthContext | null = null;
    const token = this.deps.sessions.tokenOf(req);
    const found = token ? this.deps.sessions.resolve(token) : null;
    if (found && 'row' in found) {
      const user = this.deps.catalog.getUser(found.row.username);
      if (user && !user.disabled) {
        this.deps.sessions.touch(found.row);
        ctx = { user, session: found.row };
      } else {
        this.deps.sessions.revoke(found.row.id);
      }
    }
    if (token && !ctx) this.deps.sessions.clearCookies(res);
    contexts.set(req, ctx);
    return ctx;
  }

  /** Replaces the request's context (after login or rotation, within the same request). */
  setContext(req: Request, ctx: AuthContext | null): void {
    contexts.set(req, ctx);
  }

  readonly session: RequestHandler = (req, res, next) => {
    try {
      this.resolve(req, res);
      next();
    } catch (err) {
      next(err);
    }
  };

  /** The one authorisation middleware; throws at start-up for an action the policy lacks. */
  authorize(action: string, opts: AuthorizeOptions = {}): RequestHandler {
    if (!isAction(action)) throw new SteleError('internal', `route declares unknown action ${JSON.stringify(action)}: add it to server/auth/policy.ts`);
    const stages = opts.stages ?? ['full'];
    const handler = async (req: Request, res: Response, next: NextFunction) => {
      try {
        const ctx = this.resolve(req, res);
        if (!ctx) throw new SteleError('unauthorized', 'sign in first');
        if (!SAFE_METHODS.has(req.method)) this.checkCsrf(req, ctx.session);
        if (!stages.includes(ctx.session.stage)) {
          const reason = ctx.session.stage === 'mfa' ? 'mfa_required' : 'mfa_enrolment_required';
          throw new SteleError('forbidden', reason === 'mfa_required' ? 'verify your second factor first' : 'enrol a second factor first (POST /api/v1/auth/totp/enroll)', { details: { reason } });
        }
        const matter = opts.matter?.(req);
        if (!can(ctx.user.roles, action) || (matter !== undefined && !mayAccessMatter(ctx.user, matter))) {
          await this.audit(req, { type: AUTHZ_DENIED, data: { action, method: req.method, path: req.path, ...(matter ? { matter } : {}) } });
          throw new SteleError('forbidden', `not allowed: ${action}`, { details: { action } });
        }
        this.limit(ctx.user.username, action);
        next();
      } catch (err) {
        next(err);
      }
    };
    Object.defineProperty(handler, ACTION_TAG, { value: action });
    return handler;
  }

  /** Appends an event as the request's user, with its address; resolves once durable. */
  async audit(req: Request, ev: AuditEvent): Promise<void> {
    const ctx = authOf(req);
    const actor = ctx?.user.username ?? 'anonymous';
    const ip = clientIp(req);
    await this.deps.ledger.append({
      type: ev.type,
      actor,
      subject: ev.subject,
      data: { ...ev.data, ip, ...(ctx ? { session: ctx.session.id.slice(0, 16) } : {}) },
    });
    // The log gets who did what from where; the event's data (queries, names) stays on the ledger.
    this.deps.log.debug('audited', { type: ev.type, actor, ip });
  }

  /**
   * Double submit: X-CSRF-Token must equal the session's token (also sent as a readable cookie),
   * which a cross-site page can neither read nor set; and Origin, when sent, must be ours.
   */
  checkCsrf(req: Request, session: SessionRow): void {
    this.checkOrigin(req);
    const header = req.get(CSRF_HEADER);
    if (!header || !sameSecret(header, session.csrf)) {
      throw new SteleError('forbidden', 'missing or wrong X-CSRF-Token', { details: { reason: 'csrf' } });
    }
  }

  /** Refuses a state-changing request from another site (also used by login, which has no session yet). */
  checkOrigin(req: Request): void {
    if (req.get('sec-fetch-site') === 'cross-site') throw csrfOrigin();
    const origin = req.get('origin') ?? refererOrigin(req.get('referer'));
    if (origin === undefined) return; // non-browser clients send neither; the token still guards
    const allowed = this.deps.publicOrigins.length ? this.deps.publicOrigins : [`${req.protocol}://${req.get('host')}`];
    if (!allowed.includes(origin)) throw csrfOrigin();
  }

  private limit(username: string, action: string): void {
    const rule = RATE_LIMITS[action as keyof typeof RATE_LIMITS];
    if (!rule) return;
    const wait = this.deps.limiter.take(`${rule.bucket}:${username}`, rule.capacity, rule.perMinute);
    if (wait > 0) throw new SteleError('rate_limited', `too many ${rule.bucket} requests; retry in ${wait} s`, { details: { retryAfterSeconds: wait } });
  }
}

/**
 * The hook for matter scoping (issue: matters come later): a user with `matters` set may only
 * act on those; null means unconfined. Routes opt in with authorize(action, { matter }).
 */
export function mayAccessMatter(user: UserRow, matterId: string): boolean {
  return user.matters == null || user.matters.includes(matterId);
}

function csrfOrigin(): SteleError {
  return new SteleError('forbidden', 'cross-site request refused', { details: { reason: 'origin' } });
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return 'null';
  }
}
