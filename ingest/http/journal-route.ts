// POST /api/v1/journal: the HTTP journaling receiver. The body is the raw RFC 822 message;
// the envelope may be given as X-Stele-Mail-From / X-Stele-Rcpt-To headers (comma-separated).
// 201 only after the pipeline says the message is durable.
import type { RequestHandler } from 'express';
import { SteleError } from '../../core/errors.ts';
import type { IngestPipeline } from '../pipeline.ts';
import type { IngestMetrics } from '../metrics.ts';
import { readCapped } from '../read-capped.ts';

export interface JournalRouteDeps {
  pipeline: IngestPipeline;
  metrics: IngestMetrics;
  maxMessageBytes: number;
  /** Returns the token's id when the bearer token may ingest, else null. */
  checkToken(token: string): string | null;
}

export function journalHandler(deps: JournalRouteDeps): RequestHandler {
  return async (req, res, next) => {
    try {
      const token = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1];
      const tokenId = token ? deps.checkToken(token) : null;
      if (!tokenId) {
        deps.metrics.refused.inc({ reason: 'unauthorized' });
        req.resume();
        res.set('WWW-Authenticate', 'Bearer realm="stele-journal"');
        throw new SteleError('unauthorized', 'a valid ingest token is required');
      }
      const announced = Number(req.get('content-length') ?? 0);
      if (announced > deps.maxMessageBytes) {
        deps.metrics.refused.inc({ reason: 'too_large' });
        req.resume();
        throw new SteleError('too_large', `message of ${announced} bytes is over the ${deps.maxMessageBytes}-byte limit`);
      }
      const read = await readCapped(req, deps.maxMessageBytes, deps.pipeline.receiveBudget);
      try {
        if (read.tooLarge) {
          deps.metrics.refused.inc({ reason: 'too_large' });
          throw new SteleError('too_large', `message is over the ${deps.maxMessageBytes}-byte limit`);
        }
        if (read.overBudget) {
          // Too much mail being received at once: 503 with Retry-After, the client retries.
          deps.metrics.refused.inc({ reason: 'busy' });
          throw new SteleError('storage_unavailable', 'receive buffer full');
        }
        if (read.raw.length === 0) throw new SteleError('bad_request', 'the body must be the raw message');
        const list = (h?: string) => (h ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        const result = await deps.pipeline.ingest({
          raw: read.raw,
          source: 'http',
          actor: `token:${tokenId}`,
          envelope: { mailFrom: req.get('x-stele-mail-from') || undefined, rcptTo: list(req.get('x-stele-rcpt-to')), remoteAddress: req.ip },
        });
        res.status(201).json(result);
      } finally {
        read.release();
      }
    } catch (err) {
      next(err);
    }
  };
}
