// Request validation at the edge with zod, turned into the one error type; and the wrapper
// that sends an async handler's failure to the error handler (express.ts maps it once).
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { SteleError } from '../../core/errors.ts';

/** Bodies of the auth and admin API are small JSON documents. */
export const jsonBody = express.json({ limit: '32kb', strict: true });

/** Parses with `schema`, or throws a bad_request naming the first bad field (never echoing values). */
export function parse<T>(schema: z.ZodType<T>, value: unknown, what = 'body'): T {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const field = first?.path.join('.') || what;
  throw new SteleError('bad_request', `invalid ${field}: ${first?.message ?? 'malformed'}`, {
    details: { field, issues: r.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) },
  });
}

export function handle(fn: (req: Request, res: Response) => Promise<void> | void): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      await fn(req, res);
    } catch (err) {
      next(err);
    }
  };
}
