// GET /api/v1/health: each component's state, without auth (it reveals no data).
import type { RequestHandler } from 'express';

export type ComponentState = { status: 'ok'; lag?: number } | { status: 'down'; error: string };

export interface HealthCheck {
  (): Promise<Record<string, ComponentState>>;
}

export function healthRoute(check: HealthCheck): RequestHandler {
  return async (_req, res, next) => {
    try {
      const components = await check();
      const ok = Object.values(components).every((c) => c.status === 'ok');
      res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', components });
    } catch (err) {
      next(err);
    }
  };
}
