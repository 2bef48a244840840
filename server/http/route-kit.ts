// Small pieces every resource router shares: request validation with zod that fails as a 400
// naming the field, and a wrapper that hands a handler's rejection to the error handler.
import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';
import { SteleError } from '../../core/errors.ts';

export function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  throw new SteleError('bad_request', `invalid ${what}${first?.path.length ? `.${first.path.join('.')}` : ''}: ${first?.message ?? 'malformed'}`);
}

export type Handler = (req: Request, res: Response) => Promise<unknown>;

/** Express 5 forwards rejections, but one wrapper keeps every route's shape the same. */
export const h = (fn: Handler) => (req: Request, res: Response, next: NextFunction) => fn(req, res).catch(next);
