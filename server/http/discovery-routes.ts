// Discovery API: matters, saved searches, hold links and exports. Legal users see and act only
// in matters they belong to (a non-member gets 404, so a matter's existence is not disclosed);
// admins list matters and set their members (users.manage: membership is people management).
import express, { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import {
  EVENTS, EXPORT_ID, MATTER_ID, exportInput, holdLinkInput, matterChange, matterInput, membersInput, searchInput, type Discovery,
} from '../../discovery/index.ts';
import { authOf } from '../auth/request-auth.ts';
import { h, parse } from './route-kit.ts';

export interface DiscoveryRouteDeps {
  discovery: Discovery;
  authorize: (action: string, opts?: { matter?: (req: Request) => string | undefined }) => RequestHandler;
  audit: (req: Request, event: { type: string; subject?: string; data: Record<string, unknown> }) => Promise<void>;
}

const PART = z.string().regex(/^exp-\d{8}-[0-9a-f]{8}-\d{3}\.zip$/);


export function discoveryRoutes(deps: DiscoveryRouteDeps): Router {
  const r = Router();
  const d = deps.discovery;
  const user = (req: Request) => authOf(req)?.user.username ?? 'unknown';
  const matterParam = (req: Request) => (typeof req.params.id === 'string' ? req.params.id : undefined);
  // authorize() also applies the account's own matter list (server/auth/request-auth.ts mayAccessMatter).
  const can = (action: string) => deps.authorize(action, { matter: matterParam });
  /** The matter of the path, if the signed-in user is one of its members. */
  const member = (req: Request) => d.memberMatter(parse(MATTER_ID, req.params.id, 'matter id'), user(req));
  const exportId = (req: Request) => parse(EXPORT_ID, req.params.exportId, 'export id');
  r.use(['/api/v1/matters', '/api/v1/admin/matters'], express.json({ limit: '64mb' })); // a selection can list many ids

  r.get('/api/v1/matters', deps.authorize('matters.read'), h(async (req, res) => res.json({ matters: d.matters(user(req)) })));
  r.post('/api/v1/matters', deps.authorize('matters.manage'), h(async (req, res) => res.status(201).json(await d.createMatter(parse(matterInput, req.body, 'body'), user(req)))));
  r.get('/api/v1/matters/:id', can('matters.read'), h(async (req, res) => res.json(d.detail(member(req).id))));
  r.patch('/api/v1/matters/:id', can('matters.manage'), h(async (req, res) => res.json(await d.updateMatter(member(req).id, parse(matterChange, req.body, 'body'), user(req)))));
  r.post('/api/v1/matters/:id/searches', can('matters.manage'), h(async (req, res) => {
    res.status(201).json(await d.saveSearch(member(req).id, parse(searchInput, req.body, 'body'), user(req)));
  }));
  r.post('/api/v1/matters/:id/holds', can('matters.manage'), h(async (req, res) => {
    const m = member(req);
    await d.linkHold(m.id, parse(holdLinkInput, req.body, 'body').holdId, user(req));
    res.json(d.detail(m.id).holds);
  }));

  r.post('/api/v1/matters/:id/exports', can('exports.create'), h(async (req, res) => {
    const m = member(req);
    const input = parse(exportInput, req.body, 'body');
    const exp = d.startExport(m.id, input, user(req));
    await deps.audit(req, {
      type: EVENTS.exportRequested, subject: exp.id,
      data: { matter: m.id, source: exp.source, prefix: input.prefix, startNumber: input.startNumber, splitBytes: input.splitBytes, mbox: input.mbox },
    });
    res.status(202).location(`/api/v1/matters/${m.id}/exports/${exp.id}`).json(exp);
  }));
  r.get('/api/v1/matters/:id/exports', can('exports.read'), h(async (req, res) => res.json({ exports: d.detail(member(req).id).exports })));
  r.get('/api/v1/matters/:id/exports/:exportId', can('exports.read'), h(async (req, res) => {
    const exp = d.exportOf(member(req).id, exportId(req));
    res.set('Cache-Control', 'no-store').json({ ...exp, percent: exp.total ? Math.floor((100 * exp.done) / exp.total) : 0 });
  }));
  r.get('/api/v1/matters/:id/exports/:exportId/parts/:part', can('exports.download'), h(async (req, res) => {
    const m = member(req);
    const id = exportId(req);
    const part = parse(PART, req.params.part, 'part');
    const vol = d.openPart(m.id, id, part);
    await deps.audit(req, { type: EVENTS.exportDownloaded, subject: id, data: { matter: m.id, part, sha256: vol.sha256 } });
    res.set({ 'Content-Type': 'application/zip', 'Content-Length': String(vol.bytes), 'Cache-Control': 'no-store', 'X-Content-SHA256': vol.sha256 });
    res.attachment(part);
    vol.stream.on('error', (err) => res.destroy(err));
    vol.stream.pipe(res);
  }));

  r.get('/api/v1/admin/matters', deps.authorize('users.manage'), h(async (_req, res) => {
    // Names and members only: admins manage who works in a matter, not what is in it.
    res.json({ matters: d.matters().map((m) => ({ id: m.id, name: m.name, members: m.members, createdBy: m.createdBy, createdAt: m.createdAt })) });
  }));
  r.put('/api/v1/admin/matters/:id/members', deps.authorize('users.manage'), h(async (req, res) => {
    const m = await d.setMembers(parse(MATTER_ID, req.params.id, 'matter id'), parse(membersInput, req.body, 'body').members, user(req));
    res.json({ id: m.id, name: m.name, members: m.members });
  }));
  return r;
}
