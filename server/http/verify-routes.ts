// /api/v1/verify: auditors run `stele verify` against the live archive as a background job and
// poll it; who started it is on the ledger at once, and its outcome when it ends.
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { SteleError } from '../../core/errors.ts';
import { authOf, clientIp } from '../auth/request-auth.ts';
import { handle, parse } from '../auth/validate.ts';
import type { VerifyJobs } from './verify-jobs.ts';

export const VERIFY_STARTED = 'verify.started';

export interface VerifyRouteDeps {
  jobs: VerifyJobs;
  authorize: (action: string) => RequestHandler;
  audit: (req: Request, event: { type: string; subject?: string; data: Record<string, unknown> }) => Promise<void>;
}

const idParam = z.string().regex(/^verify-[0-9a-f]{12}$/, 'not a verify job id');

export function verifyRoutes(deps: VerifyRouteDeps): Router {
  const r = Router();
  const run = deps.authorize('verify.run');
  r.get('/api/v1/verify', run, handle((_req, res) => void res.set('Cache-Control', 'no-store').json({ jobs: deps.jobs.list() })));
  r.post('/api/v1/verify', run, handle((req, res) => start(deps, req, res)));
  r.get('/api/v1/verify/:id', run, handle((req, res) => show(deps, req, res)));
  return r;
}

async function start(deps: VerifyRouteDeps, req: Request, res: Response): Promise<void> {
  const running = deps.jobs.current();
  if (running) {
    // One pass at a time reads the archive once; a second auditor follows the running one.
    res.status(200).json({ job: running });
    return;
  }
  const ctx = authOf(req)!;
  const data = { ip: clientIp(req), session: ctx.session.id.slice(0, 16) };
  const job = await deps.jobs.start(ctx.user.username, data, (id) => deps.audit(req, { type: VERIFY_STARTED, subject: id, data: {} }));
  res.status(202).location(`/api/v1/verify/${job.id}`).json({ job });
}

function show(deps: VerifyRouteDeps, req: Request, res: Response): void {
  const job = deps.jobs.get(parse(idParam, req.params.id, 'id'));
  if (!job) throw new SteleError('not_found', 'no such verify job (jobs are kept until the service restarts; outcomes are on the ledger)');
  res.set('Cache-Control', 'no-store').json({ job });
}
