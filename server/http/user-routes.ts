// /api/v1/users, /api/v1/mfa-policy and /api/v1/ingest-tokens: what admins do to accounts.
// Every change is on the ledger with the admin as actor, the account as subject, before/after.
import { createHash, randomBytes } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { SteleError } from '../../core/errors.ts';
import { rolesSchema, usernameSchema, viewOf } from '../accounts/accounts.ts';
import type { AuthServices } from '../auth/index.ts';
import { authOf } from '../auth/request-auth.ts';
import { handle, jsonBody, parse } from '../auth/validate.ts';

export const USER_CREATED = 'user.created';
export const USER_UPDATED = 'user.updated';
export const USER_PASSWORD_RESET = 'user.password_reset';
export const USER_SESSIONS_REVOKED = 'user.sessions_revoked';
export const USER_MFA_RESET = 'user.mfa_reset';
export const MFA_POLICY_CHANGED = 'policy.mfa_changed';
export const TOKEN_CREATED = 'token.created';
export const TOKEN_REVOKED = 'token.revoked';

const matters = z.array(z.string().min(1).max(128)).max(1000).nullable();
const createBody = z.object({ username: usernameSchema, roles: rolesSchema, password: z.string().max(1024).optional(), matters: matters.optional() }).strict();
const patchBody = z.object({ roles: rolesSchema.optional(), disabled: z.boolean().optional(), matters: matters.optional() }).strict();
const resetBody = z.object({ password: z.string().max(1024).optional() }).strict();
const mfaPolicyBody = z.object({ requiredRoles: rolesSchema }).strict();
const tokenBody = z.object({ label: z.string().trim().min(1).max(200) }).strict();
const nameParam = (req: Request) => parse(usernameSchema, req.params.username, 'username');

export function userRoutes(a: AuthServices): Router {
  const r = Router();
  const manage = a.authorize('users.manage');
  r.get('/api/v1/users', manage, handle((_req, res) => void res.json({ users: a.accounts.list().map(viewOf) })));
  r.post('/api/v1/users', manage, jsonBody, handle((req, res) => createUser(a, req, res)));
  r.get('/api/v1/users/:username', manage, handle((req, res) => void res.json({ user: viewOf(a.accounts.mustGet(nameParam(req))) })));
  r.patch('/api/v1/users/:username', manage, jsonBody, handle((req, res) => patchUser(a, req, res)));
  r.post('/api/v1/users/:username/password', manage, jsonBody, handle((req, res) => resetPassword(a, req, res)));
  r.delete('/api/v1/users/:username/sessions', manage, handle((req, res) => revokeSessions(a, req, res)));
  r.delete('/api/v1/users/:username/totp', manage, handle((req, res) => resetMfa(a, req, res)));
  r.get('/api/v1/mfa-policy', manage, handle((_req, res) => void res.json({ requiredRoles: a.mfa.requiredRoles() })));
  r.put('/api/v1/mfa-policy', manage, jsonBody, handle((req, res) => setMfaPolicy(a, req, res)));
  const tokens = a.authorize('tokens.manage');
  r.get('/api/v1/ingest-tokens', tokens, handle((_req, res) => void res.json({ tokens: a.catalog.tokens().map(({ id, label, createdAt }) => ({ id, label, createdAt })) })));
  r.post('/api/v1/ingest-tokens', tokens, jsonBody, handle((req, res) => createToken(a, req, res)));
  r.delete('/api/v1/ingest-tokens/:id', tokens, handle((req, res) => revokeToken(a, req, res)));
  return r;
}

async function createUser(a: AuthServices, req: Request, res: Response): Promise<void> {
  const body = parse(createBody, req.body);
  const { user, generatedPassword } = await a.accounts.create(body);
  await a.audit(req, { type: USER_CREATED, subject: user.username, data: { roles: user.roles, matters: user.matters ?? null, passwordGenerated: !!generatedPassword } });
  res.status(201).set('Cache-Control', 'no-store').json({ user: viewOf(user), ...(generatedPassword ? { password: generatedPassword } : {}) });
}

async function patchUser(a: AuthServices, req: Request, res: Response): Promise<void> {
  const username = nameParam(req);
  const body = parse(patchBody, req.body);
  const { before, after } = a.accounts.update(username, body);
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  if (body.roles) changes.roles = { from: before.roles, to: after.roles };
  if (body.disabled !== undefined) changes.disabled = { from: !!before.disabled, to: !!after.disabled };
  if (body.matters !== undefined) changes.matters = { from: before.matters ?? null, to: after.matters ?? null };
  // A disabled account's sessions end now, not at their idle timeout.
  const revoked = after.disabled && !before.disabled ? a.sessions.revokeAllOf(username) : 0;
  await a.audit(req, { type: USER_UPDATED, subject: username, data: { changes, sessionsRevoked: revoked } });
  res.json({ user: viewOf(after) });
}

async function resetPassword(a: AuthServices, req: Request, res: Response): Promise<void> {
  const username = nameParam(req);
  const body = parse(resetBody, req.body);
  const generated = await a.accounts.setPassword(username, body.password);
  const revoked = a.sessions.revokeAllOf(username);
  a.throttle.unlockAccount(username);
  await a.audit(req, { type: USER_PASSWORD_RESET, subject: username, data: { generated: !!generated, sessionsRevoked: revoked } });
  res.set('Cache-Control', 'no-store').json(generated ? { password: generated } : {});
}

async function revokeSessions(a: AuthServices, req: Request, res: Response): Promise<void> {
  const username = a.accounts.mustGet(nameParam(req)).username;
  const self = authOf(req)!;
  // Revoking one's own sessions keeps the one in use, or the admin could not see the answer.
  const revoked = a.sessions.revokeAllOf(username, username === self.user.username ? self.session.id : undefined);
  await a.audit(req, { type: USER_SESSIONS_REVOKED, subject: username, data: { count: revoked } });
  res.json({ revoked });
}

async function resetMfa(a: AuthServices, req: Request, res: Response): Promise<void> {
  const username = a.accounts.mustGet(nameParam(req)).username;
  a.mfa.reset(username);
  const revoked = a.sessions.revokeAllOf(username);
  await a.audit(req, { type: USER_MFA_RESET, subject: username, data: { sessionsRevoked: revoked } });
  res.status(204).end();
}

async function setMfaPolicy(a: AuthServices, req: Request, res: Response): Promise<void> {
  const body = parse(mfaPolicyBody, req.body);
  const before = a.mfa.requiredRoles();
  a.mfa.setRequiredRoles(body.requiredRoles);
  await a.audit(req, { type: MFA_POLICY_CHANGED, data: { from: before, to: body.requiredRoles } });
  res.json({ requiredRoles: body.requiredRoles });
}

async function createToken(a: AuthServices, req: Request, res: Response): Promise<void> {
  const body = parse(tokenBody, req.body);
  const token = `stl_${randomBytes(24).toString('base64url')}`;
  const id = randomBytes(6).toString('hex');
  a.catalog.addToken({ id, sha256: createHash('sha256').update(token).digest('hex'), label: body.label, createdAt: a.clock.now().toISOString() });
  await a.audit(req, { type: TOKEN_CREATED, subject: id, data: { label: body.label } });
  res.status(201).set('Cache-Control', 'no-store').json({ id, label: body.label, token });
}

async function revokeToken(a: AuthServices, req: Request, res: Response): Promise<void> {
  const id = parse(z.string().regex(/^[a-z0-9-]{1,64}$/), req.params.id, 'id');
  if (!a.catalog.deleteToken(id)) throw new SteleError('not_found', `no ingest token ${id}`);
  await a.audit(req, { type: TOKEN_REVOKED, subject: id, data: {} });
  res.status(204).end();
}
