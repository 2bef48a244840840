// Retention API: categories and rules (admin), holds (admin), disposition review and approval
// (records manager), the records manager's charts, and destruction certificates (JSON, a
// printable page, and a check against the archive's key, copies and ledger). Each route
// declares its action; decisions are recorded by retention/ on the ledger as the request's user.
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { SteleError } from '../../core/errors.ts';
import {
  categoryInput, decisionInput, holdChange, holdInput, renderCertificateHtml, ruleInput, type Retention,
} from '../../retention/index.ts';
import { authOf } from '../auth/request-auth.ts';
import { h, parse } from './route-kit.ts';

export interface RetentionRouteDeps {
  retention: Retention;
  authorize: (action: string) => RequestHandler;
  audit: (req: Request, event: { type: string; subject?: string; data: Record<string, unknown> }) => Promise<void>;
  /** Who is acting (defaults to the signed-in user's name). */
  actorOf?: (req: Request) => string;
}

const NAME = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/);
const ID = z.string().regex(/^[a-z]+-\d{8}-[0-9a-f]{8}$/);
const dryRunInput = z.object({
  rules: z.array(ruleInput.omit({ reason: true }).extend({ id: z.string().min(1).max(80) })).max(1000).optional(),
  categories: z.array(categoryInput.omit({ reason: true }).extend({ name: NAME })).max(200).optional(),
});
/** The due chart looks up to two years ahead by default (the brief: the coming 12-24 months). */
const statsParams = z.object({ months: z.coerce.number().int().min(1).max(60).default(24) });
const reviewParams = z.object({ q: z.string().max(10_000).optional(), sample: z.coerce.number().int().min(0).max(500).optional() });


export function retentionRoutes(deps: RetentionRouteDeps): Router {
  const r = Router();
  const { retention: ret, authorize: can } = deps;
  const actor = deps.actorOf ?? ((req: Request) => authOf(req)?.user.username ?? 'unknown');
  const id = (req: Request) => parse(ID, req.params.id, 'id');
  const json = (res: Response, body: unknown, status = 200) => res.status(status).json(body);
  // Scoped to these prefixes so other routes (the journal's raw bodies) are untouched.
  r.use(['/api/v1/retention', '/api/v1/holds', '/api/v1/disposition', '/api/v1/certificates'], express.json({ limit: '1mb' }));

  r.get('/api/v1/retention/categories', can('categories.read'), h(async (_q, res) => json(res, { categories: ret.categories() })));
  r.put('/api/v1/retention/categories/:name', can('categories.manage'), h(async (req, res) => {
    const out = await ret.putCategory(parse(NAME, req.params.name, 'name'), parse(categoryInput, req.body, 'body'), actor(req));
    json(res, out, out.job ? 202 : 200);
  }));
  r.get('/api/v1/retention/rules', can('categories.read'), h(async (_q, res) => json(res, { rules: ret.rules() })));
  r.post('/api/v1/retention/rules', can('rules.manage'), h(async (req, res) => json(res, await ret.putRule(null, parse(ruleInput, req.body, 'body'), actor(req)), 202)));
  r.put('/api/v1/retention/rules/:id', can('rules.manage'), h(async (req, res) => json(res, await ret.putRule(id(req), parse(ruleInput, req.body, 'body'), actor(req)), 202)));
  r.delete('/api/v1/retention/rules/:id', can('rules.manage'), h(async (req, res) => {
    await ret.deleteRule(id(req), actor(req), parse(decisionInput, req.body, 'body').reason);
    res.status(204).end();
  }));
  // A dry run changes nothing: whoever may read the policy may preview a change to it (counts and metadata only).
  r.post('/api/v1/retention/rules/dry-run', can('categories.read'), h(async (req, res) => {
    const body = parse(dryRunInput, req.body, 'body');
    const now = new Date().toISOString();
    json(res, await ret.dryRun({ rules: body.rules, categories: body.categories?.map((c) => ({ ...c, updatedAt: now })) }));
  }));
  r.get('/api/v1/retention/stats', can('retention.review'), h(async (req, res) => {
    const { months } = parse(statsParams, req.query, 'query');
    const out = await ret.stats(months);
    await deps.audit(req, { type: 'retention.stats.viewed', data: { months } });
    json(res, out);
  }));
  r.get('/api/v1/retention/jobs/:id', can('categories.read'), h(async (req, res) => {
    const job = ret.job(id(req));
    if (!job) throw new SteleError('not_found', 'no such job');
    json(res, job);
  }));

  r.get('/api/v1/holds', can('holds.read'), h(async (_q, res) => json(res, { holds: ret.holdsWithCounts() })));
  r.get('/api/v1/holds/:id', can('holds.read'), h(async (req, res) => json(res, ret.hold(id(req)))));
  r.post('/api/v1/holds', can('holds.manage'), h(async (req, res) => json(res, await ret.placeHold(parse(holdInput, req.body, 'body'), actor(req)), 201)));
  r.patch('/api/v1/holds/:id', can('holds.manage'), h(async (req, res) => json(res, await ret.changeHold(id(req), parse(holdChange, req.body, 'body'), actor(req)))));
  r.post('/api/v1/holds/:id/release', can('holds.manage'), h(async (req, res) => json(res, await ret.releaseHold(id(req), actor(req), parse(decisionInput, req.body, 'body').reason))));

  r.get('/api/v1/disposition/batches', can('retention.review'), h(async (_q, res) => json(res, { batches: ret.batches() })));
  r.get('/api/v1/disposition/batches/:id', can('retention.review'), h(async (req, res) => {
    const p = parse(reviewParams, req.query, 'query');
    const review = await ret.review(id(req), { query: p.q, sample: p.sample });
    await deps.audit(req, { type: 'disposition.reviewed', subject: review.batch.id, data: { query: p.q ?? null } });
    json(res, { ...review, excluded: ret.batchExclusions(review.batch.id) });
  }));
  r.post('/api/v1/disposition/run', can('retention.review'), h(async (req, res) => json(res, { batches: await ret.propose(actor(req)) }, 201)));
  r.post('/api/v1/disposition/batches/:id/approve', can('disposition.approve'), h(async (req, res) => json(res, await ret.approve(id(req), actor(req), parse(decisionInput, req.body, 'body').reason))));
  r.post('/api/v1/disposition/batches/:id/reject', can('disposition.approve'), h(async (req, res) => json(res, await ret.reject(id(req), actor(req), parse(decisionInput, req.body, 'body').reason))));

  r.get('/api/v1/certificates', can('certificates.read'), h(async (_q, res) => json(res, { certificates: ret.certificates(), publicKey: ret.publicKey() })));
  r.post('/api/v1/certificates/:id/verify', can('certificates.read'), h(async (req, res) => {
    const out = await ret.verifyCertificate(id(req));
    await deps.audit(req, { type: 'certificate.verified', subject: out.id, data: { valid: out.valid, failed: out.checks.filter((c) => !c.ok).map((c) => c.name) } });
    json(res, out);
  }));
  r.get('/api/v1/certificates/:id', can('certificates.read'), h(async (req, res) => {
    const { certificate, sha256 } = ret.certificate(id(req));
    await deps.audit(req, { type: 'certificate.viewed', subject: certificate.batchId, data: { sha256 } });
    if (req.query.format === 'html') return res.type('html').send(renderCertificateHtml(certificate, sha256));
    // The signed bytes as stored, so a download verifies with `stele certificate verify`.
    if (req.query.download === 'true') return res.type('json').attachment(`${certificate.batchId}.json`).send(ret.certificateBytes(certificate.batchId));
    json(res, { certificate, sha256 });
  }));
  return r;
}
