// /api/v1/smtp-allow: which mail servers may journal over SMTP. The configured list is shown
// read-only; admins add and remove managed entries, effective for the next SMTP connection.
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Clock } from '../../core/clock.ts';
import type { SmtpAllowList } from '../catalog/smtp-allow-list.ts';
import { authOf } from '../auth/request-auth.ts';
import { handle, jsonBody, parse } from '../auth/validate.ts';

export const SMTP_ALLOW_ADDED = 'smtp_allow.added';
export const SMTP_ALLOW_REMOVED = 'smtp_allow.removed';

export interface SmtpAllowRouteDeps {
  allowList: SmtpAllowList;
  clock: Clock;
  authorize: (action: string) => RequestHandler;
  audit: (req: Request, event: { type: string; subject?: string; data: Record<string, unknown> }) => Promise<void>;
}

const addBody = z.object({ cidr: z.string().trim().min(1).max(64), label: z.string().trim().max(200).default('') }).strict();
const idParam = z.string().regex(/^[0-9a-f]{12}$/, 'not an allow-list entry id');

export function smtpAllowRoutes(deps: SmtpAllowRouteDeps): Router {
  const r = Router();
  const manage = deps.authorize('smtp.manage');
  r.get('/api/v1/smtp-allow', manage, handle((_req, res) => list(deps, res)));
  r.post('/api/v1/smtp-allow', manage, jsonBody, handle((req, res) => add(deps, req, res)));
  r.delete('/api/v1/smtp-allow/:id', manage, handle((req, res) => remove(deps, req, res)));
  return r;
}

function list(deps: SmtpAllowRouteDeps, res: Response): void {
  res.set('Cache-Control', 'no-store').json({ configured: deps.allowList.configured, entries: deps.allowList.entries() });
}

async function add(deps: SmtpAllowRouteDeps, req: Request, res: Response): Promise<void> {
  const body = parse(addBody, req.body);
  const entry = deps.allowList.add(body.cidr, body.label, authOf(req)!.user.username, deps.clock.now());
  await deps.audit(req, { type: SMTP_ALLOW_ADDED, subject: entry.cidr, data: { id: entry.id, label: entry.label } });
  res.status(201).json({ entry });
}

async function remove(deps: SmtpAllowRouteDeps, req: Request, res: Response): Promise<void> {
  const entry = deps.allowList.remove(parse(idParam, req.params.id, 'id'));
  await deps.audit(req, { type: SMTP_ALLOW_REMOVED, subject: entry.cidr, data: { id: entry.id, label: entry.label } });
  res.status(204).end();
}
