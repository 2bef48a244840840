// The express app: routes per resource, each given its dependencies; errors mapped in one place.
import express, { type Express, type RequestHandler, type Router } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../../core/log.ts';
import { journalHandler, type JournalRouteDeps } from '../../ingest/index.ts';
import { errorHandler } from './http-errors.ts';
import { healthRoute, type HealthCheck } from './health-route.ts';
import { uiHandler } from './ui-route.ts';

export interface AppDeps {
  log: Logger;
  journal: JournalRouteDeps;
  health: HealthCheck;
  registry: Registry;
  /** Sessions and the auth, user, audit and alert routes (server/auth/index.ts createAuth). */
  auth: { session: RequestHandler; router: Router };
  /** The resource routers (search, messages, retention, ...), each declaring its actions. */
  resources: Router[];
  /** Where the built UI is (ui/dist by default). */
  uiDir?: string;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.post('/api/v1/journal', journalHandler(deps.journal));
  app.get('/api/v1/health', healthRoute(deps.health));
  app.get('/metrics', async (_req, res, next) => {
    try {
      res.type(deps.registry.contentType).send(await deps.registry.metrics());
    } catch (err) {
      next(err);
    }
  });
  // The UI's files are public (code, no data); every request they make goes through the API below.
  app.use(uiHandler(deps.uiDir));
  // Public routes above (each listed in server/auth/policy.ts PUBLIC_ROUTES); below, a session.
  app.use(deps.auth.session);
  app.use(deps.auth.router);
  for (const router of deps.resources) app.use(router);
  app.use('/api', (_req, res) => res.status(404).json({ error: { code: 'not_found', message: 'no such API route' } }));
  app.use(errorHandler(deps.log));
  return app;
}
