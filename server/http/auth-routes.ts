// /api/v1/auth: sign in and out, the second factor (enrol, verify), who am I, own password.
// Sign-in is the one public route here; the rest act on the caller's own account ("self").
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { SteleError } from '../../core/errors.ts';
import { viewOf } from '../accounts/accounts.ts';
import type { AuthServices } from '../auth/index.ts';
import { LOGIN_FAILED } from '../auth/login-flow.ts';
import { ACTIONS, can } from '../auth/policy.ts';
import { authOf, clientIp, type AuthContext, type AuthorizeOptions } from '../auth/request-auth.ts';
import { handle, jsonBody, parse } from '../auth/validate.ts';

export const LOGOUT = 'auth.logout';
export const TOTP_ENROLMENT_STARTED = 'auth.totp.enrolment_started';
export const TOTP_ENROLLED = 'auth.totp.enrolled';
export const PASSWORD_CHANGED = 'auth.password.changed';

const code = z.string().trim().regex(/^\d{6}$/, 'must be 6 digits');
const recoveryCode = z.string().trim().min(8).max(64);
const loginBody = z.object({
  username: z.string().min(1).max(256),
  password: z.string().min(1).max(1024),
  totp: code.optional(),
  recoveryCode: recoveryCode.optional(),
});
const verifyBody = z.object({ code: code.optional(), recoveryCode: recoveryCode.optional() }).refine((b) => !!b.code !== !!b.recoveryCode, 'give either code or recoveryCode');
const passwordBody = z.object({ currentPassword: z.string().min(1).max(1024), newPassword: z.string().min(1).max(1024) });

const ANY_STAGE: AuthorizeOptions = { stages: ['full', 'mfa', 'enroll'] };
const from = (req: Request) => ({ ip: clientIp(req), userAgent: req.get('user-agent') });
const ctxOf = (req: Request): AuthContext => authOf(req)!;

export function authRoutes(a: AuthServices): Router {
  const r = Router();
  const { authorize } = a;
  r.post('/api/v1/auth/login', jsonBody, handle((req, res) => login(a, req, res)));
  r.post('/api/v1/auth/logout', authorize('self', ANY_STAGE), handle((req, res) => logout(a, req, res)));
  r.get('/api/v1/auth/me', authorize('self', ANY_STAGE), handle((req, res) => me(a, req, res)));
  r.post('/api/v1/auth/totp/enroll', authorize('self', { stages: ['full', 'enroll'] }), handle((req, res) => enroll(a, req, res)));
  r.post('/api/v1/auth/totp/verify', authorize('self', ANY_STAGE), jsonBody, handle((req, res) => verify(a, req, res)));
  r.post('/api/v1/auth/password', authorize('self'), jsonBody, handle((req, res) => changePassword(a, req, res)));
  return r;
}

function sessionAnswer(a: AuthServices, res: Response, ctx: { user: AuthContext['user']; session: AuthContext['session'] }, token?: string) {
  if (token) a.sessions.setCookies(res, token, ctx.session.csrf);
  res.set('Cache-Control', 'no-store').json({
    user: viewOf(ctx.user),
    stage: ctx.session.stage,
    mfaRequired: ctx.session.stage === 'mfa',
    mfaEnrolmentRequired: ctx.session.stage === 'enroll',
    csrfToken: ctx.session.csrf,
    actions: ctx.session.stage === 'full' ? ACTIONS.filter((x) => can(ctx.user.roles, x)) : [],
  });
}

async function login(a: AuthServices, req: Request, res: Response): Promise<void> {
  a.requestAuth.checkOrigin(req); // login CSRF: a foreign page must not sign a victim into its account
  const body = parse(loginBody, req.body);
  const stale = a.sessions.tokenOf(req);
  const signedIn = await a.flow.login(body, from(req));
  const old = stale ? a.sessions.resolve(stale) : null;
  if (old && 'row' in old) a.sessions.revoke(old.row.id); // one browser, one session
  a.requestAuth.setContext(req, { user: signedIn.user, session: signedIn.session });
  sessionAnswer(a, res, signedIn, signedIn.token);
}

async function logout(a: AuthServices, req: Request, res: Response): Promise<void> {
  const ctx = ctxOf(req);
  a.sessions.revoke(ctx.session.id);
  a.sessions.clearCookies(res);
  await a.audit(req, { type: LOGOUT, data: {} });
  res.status(204).end();
}

function me(a: AuthServices, req: Request, res: Response): void {
  sessionAnswer(a, res, ctxOf(req));
}

async function enroll(a: AuthServices, req: Request, res: Response): Promise<void> {
  const { user } = ctxOf(req);
  if (user.totpSecret) throw new SteleError('conflict', 'a second factor is already enrolled; an admin can reset it');
  const started = a.mfa.begin(user);
  await a.audit(req, { type: TOTP_ENROLMENT_STARTED, subject: user.username, data: {} });
  res.set('Cache-Control', 'no-store').json({ ...started, next: 'POST /api/v1/auth/totp/verify with a code from the app' });
}

async function verify(a: AuthServices, req: Request, res: Response): Promise<void> {
  const ctx = ctxOf(req);
  const body = parse(verifyBody, req.body);
  if (ctx.session.stage === 'mfa') {
    const signedIn = await a.flow.secondFactor(ctx.user, ctx.session, body, from(req));
    a.requestAuth.setContext(req, { user: signedIn.user, session: signedIn.session });
    sessionAnswer(a, res, signedIn, signedIn.token);
    return;
  }
  const user = a.accounts.mustGet(ctx.user.username);
  if (!user.totpPending) throw new SteleError('conflict', 'no enrolment in progress: POST /api/v1/auth/totp/enroll first');
  const codes = body.code ? a.mfa.confirm(user, body.code) : null;
  if (!codes) {
    await a.audit(req, { type: LOGIN_FAILED, data: { reason: 'bad_enrolment_code' } });
    throw new SteleError('bad_request', 'wrong or already used code; check the app and the device clock', { details: { field: 'code' } });
  }
  await a.audit(req, { type: TOTP_ENROLLED, subject: user.username, data: { recoveryCodes: codes.length } });
  let session = ctx.session;
  let token: string | undefined;
  if (session.stage === 'enroll') ({ row: session, token } = a.sessions.rotate(session, 'full', clientIp(req)));
  const after = a.accounts.mustGet(user.username);
  a.requestAuth.setContext(req, { user: after, session });
  if (token) a.sessions.setCookies(res, token, session.csrf);
  res.set('Cache-Control', 'no-store').json({ user: viewOf(after), stage: session.stage, csrfToken: session.csrf, recoveryCodes: codes });
}

async function changePassword(a: AuthServices, req: Request, res: Response): Promise<void> {
  const ctx = ctxOf(req);
  const body = parse(passwordBody, req.body);
  // A stolen session must not become a way to guess the password without the sign-in limits.
  const refusal = a.throttle.check(ctx.user.username, clientIp(req));
  if (refusal) throw new SteleError('rate_limited', `too many failed attempts; retry in ${refusal.retryAfterSeconds} s`, { details: { ...refusal } });
  const check = await a.accounts.checkPassword(ctx.user.username, body.currentPassword);
  if (!check.user) {
    a.throttle.recordFailure(ctx.user.username, clientIp(req));
    await a.audit(req, { type: LOGIN_FAILED, data: { reason: 'bad_current_password' } });
    throw new SteleError('forbidden', 'the current password is wrong', { details: { field: 'currentPassword' } });
  }
  await a.accounts.setPassword(ctx.user.username, body.newPassword);
  const revoked = a.sessions.revokeAllOf(ctx.user.username, ctx.session.id);
  await a.audit(req, { type: PASSWORD_CHANGED, subject: ctx.user.username, data: { otherSessionsRevoked: revoked } });
  res.status(204).end();
}
