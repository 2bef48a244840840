// The search API: GET /api/v1/search runs a discovery query (docs/query-language.md) over the
// index and records who searched for what on the ledger (invariant 6) before answering.
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { SteleError } from '../../core/errors.ts';
import { parseQuery, type SearchIndex, type SearchResult } from '../../search/index.ts';

export const SEARCH_PERFORMED = 'search.performed';

export interface AuditEvent {
  type: string;
  subject?: string;
  data: Record<string, unknown>;
}

/** Appends an event to the ledger as the request's user; resolves once it is durable. */
export type Audit = (req: Request, event: AuditEvent) => Promise<void>;
/** Middleware that lets the request through only if its user may perform `action`. */
export type Authorize = (action: string) => RequestHandler;

export interface SearchRouteDeps {
  index: SearchIndex;
  authorize: Authorize;
  audit: Audit;
}

/** Matches the index port's bounds (search/port.ts): 0 counts only, 1000 at most per page. */
const searchParams = z.object({
  q: z.string().default(''),
  sort: z.enum(['date_desc', 'date_asc', 'relevance']).default('date_desc'),
  cursor: z.string().min(1).max(2048).optional(),
  limit: z.coerce.number().int().min(0).max(1000).default(50),
  facets: z.enum(['true', 'false']).optional(),
});

/** Turns a zod failure on a query string or path into the one error type, naming the field. */
export function badParams(error: z.ZodError): SteleError {
  const first = error.issues[0];
  const field = first?.path.join('.') || 'query';
  return new SteleError('bad_request', `invalid ${field}: ${first?.message ?? 'malformed'}`, {
    details: { field, issues: error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) },
  });
}

export interface SearchResponse {
  total: number;
  hits: SearchResult['hits'];
  nextCursor: string | null;
  /** Over the whole result set. Computed for a first page (or facets=true); null on later pages. */
  facets: NonNullable<SearchResult['facets']> | null;
}

export function searchRoutes(deps: SearchRouteDeps): Router {
  const router = Router();
  router.get('/api/v1/search', deps.authorize('search'), async (req: Request, res: Response, next: NextFunction) => {
    try {
      const parsed = searchParams.safeParse(req.query);
      if (!parsed.success) throw badParams(parsed.error);
      const p = parsed.data;
      // Facets count the whole result set: worth it once per query, not on every further page.
      const facets = p.facets === undefined ? p.cursor === undefined : p.facets === 'true';
      const query = parseQuery(p.q); // a syntax error is a bad_request with details.position and expected
      const result = await deps.index.search(query, { sort: p.sort, limit: p.limit, cursor: p.cursor, facets });
      await deps.audit(req, {
        type: SEARCH_PERFORMED,
        data: { query: p.q, sort: p.sort, total: result.total, returned: result.hits.length, page: p.cursor ? 'next' : 'first' },
      });
      const body: SearchResponse = { total: result.total, hits: result.hits, nextCursor: result.nextCursor, facets: result.facets ?? null };
      res.set('Cache-Control', 'no-store').json(body);
    } catch (err) {
      next(err);
    }
  });
  return router;
}
