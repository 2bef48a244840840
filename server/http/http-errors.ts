// The one place errors become HTTP answers. Storage faults are 503 with Retry-After so a
// journaling client retries; bodies carry the stable code, never a stack or message content.
import type { ErrorRequestHandler } from 'express';
import { isSteleError, type ErrorCode } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  too_large: 413,
  object_exists: 409,
  conflict: 409,
  retention_active: 409,
  legal_hold: 409,
  retention_shorten: 409,
  rate_limited: 429,
  storage_unavailable: 503,
  integrity: 500,
  internal: 500,
};

/** Seconds a client should wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 30;

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    // body-parser and raw-body errors carry a status of their own (413, 400).
    const bodyStatus = typeof err?.status === 'number' && err.status < 500 ? (err.status as number) : undefined;
    if (!isSteleError(err) && bodyStatus) {
      res.status(bodyStatus).json({ error: { code: bodyStatus === 413 ? 'too_large' : 'bad_request', message: 'request body refused' } });
      return;
    }
    const status = isSteleError(err) ? STATUS[err.code] : 500;
    if (status >= 500) log.error('request failed', { method: req.method, path: req.path, err });
    if (status === 503) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    if (status === 429) res.set('Retry-After', String(retryAfter(err)));
    const code = isSteleError(err) ? err.code : 'internal';
    const message = isSteleError(err) && status < 500 ? err.message : status === 503 ? 'storage temporarily unavailable, retry later' : 'internal error';
    res.status(status).json({ error: { code, message, ...(isSteleError(err) && status < 500 && err.details ? { details: err.details } : {}) } });
  };
}

/** Whole seconds from a rate_limited error's details, at least 1 (RFC 9110 §10.2.3). */
function retryAfter(err: { details?: Record<string, unknown> }): number {
  const s = Number(err.details?.retryAfterSeconds);
  return Number.isFinite(s) && s > 0 ? Math.ceil(s) : 1;
}
