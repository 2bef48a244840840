// /api/v1/alerts: the admin area's list of security alerts, acknowledging them, and the
// addresses blocked after repeated failed sign-ins (with the admin's way to lift a block).
import { isIP } from 'node:net';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { SteleError } from '../../core/errors.ts';
import type { AuthServices } from '../auth/index.ts';
import { authOf, clientIp } from '../auth/request-auth.ts';
import { handle, parse } from '../auth/validate.ts';

export const ADDRESS_UNBLOCKED = 'address.unblocked';

const listQuery = z
  .object({
    before: z.coerce.number().int().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    open: z.enum(['true', 'false']).optional(),
  })
  .strict();
const idParam = z.coerce.number().int().min(1);
const addressParam = z.string().refine((s) => isIP(s) !== 0, 'must be an IP address');

export function alertsRoutes(a: AuthServices): Router {
  const r = Router();
  r.get('/api/v1/alerts', a.authorize('alerts.read'), handle((req, res) => list(a, req, res)));
  r.post('/api/v1/alerts/:id/ack', a.authorize('alerts.manage'), handle((req, res) => acknowledge(a, req, res)));
  r.get('/api/v1/alerts/blocked-addresses', a.authorize('alerts.read'), handle((_req, res) => void res.json({ blocked: a.throttle.blockedAddresses() })));
  r.delete('/api/v1/alerts/blocked-addresses/:address', a.authorize('alerts.manage'), handle((req, res) => unblock(a, req, res)));
  return r;
}

function list(a: AuthServices, req: Request, res: Response): void {
  const q = parse(listQuery, req.query, 'query');
  const alerts = a.alerts.list({ beforeId: q.before, limit: q.limit, open: q.open === 'true' });
  const next = alerts.length === q.limit ? alerts[alerts.length - 1].id : null;
  res.set('Cache-Control', 'no-store').json({ alerts, next: next === null ? null : { before: next } });
}

async function acknowledge(a: AuthServices, req: Request, res: Response): Promise<void> {
  const id = parse(idParam, req.params.id, 'id');
  if (!(await a.alerts.acknowledge(id, authOf(req)!.user.username, clientIp(req)))) {
    throw new SteleError('not_found', `no open alert ${id}`);
  }
  res.status(204).end();
}

async function unblock(a: AuthServices, req: Request, res: Response): Promise<void> {
  const address = parse(addressParam, req.params.address, 'address');
  if (!a.throttle.unblock(address)) throw new SteleError('not_found', `address ${address} is not blocked`);
  await a.audit(req, { type: ADDRESS_UNBLOCKED, subject: address, data: {} });
  res.status(204).end();
}
