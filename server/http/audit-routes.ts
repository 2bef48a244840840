// GET /api/v1/audit: the audit trail (the ledger) for auditors, filtered and paged by sequence
// number, as JSON or CSV. Reading the trail is itself recorded on it.
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { LedgerEntry } from '../../vault/index.ts';
import type { AuthServices } from '../auth/index.ts';
import { handle, parse } from '../auth/validate.ts';

export const AUDIT_READ = 'audit.read';
/** One page of JSON; a CSV export may take a larger slice in one file. */
const MAX_JSON_LIMIT = 1000;
const MAX_CSV_LIMIT = 10_000;

const instant = z
  .string()
  .max(40)
  .refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date or date-time')
  .transform((s) => new Date(s).toISOString());

const query = z
  .object({
    actor: z.string().min(1).max(256).optional(),
    subject: z.string().min(1).max(256).optional(),
    type: z.string().max(2000).optional(),
    since: instant.optional(),
    until: instant.optional(),
    after: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_CSV_LIMIT).optional(),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict()
  .refine((q) => q.format === 'csv' || (q.limit ?? 0) <= MAX_JSON_LIMIT, { message: `at most ${MAX_JSON_LIMIT} per JSON page`, path: ['limit'] });

export function auditRoutes(a: AuthServices): Router {
  const r = Router();
  r.get('/api/v1/audit', a.authorize('audit.read'), handle((req, res) => readAudit(a, req, res)));
  return r;
}

async function readAudit(a: AuthServices, req: Request, res: Response): Promise<void> {
  const q = parse(query, req.query, 'query');
  const limit = q.limit ?? 100;
  const types = q.type?.split(',').map((t) => t.trim()).filter(Boolean);
  const entries = a.ledger.query({ actor: q.actor, subject: q.subject, types, since: q.since, until: q.until, afterSeq: q.after, limit });
  const next = entries.length === limit ? entries[entries.length - 1].seq : null;
  await a.audit(req, { type: AUDIT_READ, data: { filters: { actor: q.actor, subject: q.subject, types, since: q.since, until: q.until, after: q.after }, format: q.format, count: entries.length } });
  res.set('Cache-Control', 'no-store');
  if (q.format === 'json') {
    res.json({ entries, next: next === null ? null : { after: next } });
    return;
  }
  if (next !== null) res.set('X-Next-After', String(next));
  res.type('text/csv; charset=utf-8').attachment(`stele-audit-${entries[0]?.seq ?? 0}-${entries.at(-1)?.seq ?? 0}.csv`).send(toCsv(entries));
}

const COLUMNS = ['seq', 'time', 'type', 'actor', 'subject', 'ip', 'data', 'prev', 'hash'] as const;

function toCsv(entries: LedgerEntry[]): string {
  const lines = [COLUMNS.join(',')];
  for (const e of entries) {
    const ip = typeof e.data.ip === 'string' ? e.data.ip : '';
    lines.push([e.seq, e.time, e.type, e.actor, e.subject ?? '', ip, JSON.stringify(e.data), e.prev, e.hash].map(cell).join(','));
  }
  return lines.join('\r\n') + '\r\n'; // RFC 4180 line breaks
}

/** RFC 4180 quoting, and a leading quote on cells a spreadsheet would run as a formula (OWASP CSV injection). */
function cell(v: string | number): string {
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n']/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
