// What an admin needs around a legal hold that the retention routes do not answer: a preview of
// how many messages a scope covers now (admins lack the `search` action, and must see the reach
// of a hold before placing it), and a hold's history read from the ledger.
import express, { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { EVENTS as DISCOVERY_EVENTS } from '../../discovery/index.ts';
import { holdInput, type Retention } from '../../retention/index.ts';
// The one scope -> query translation placeHold/applyHold use, so the preview counts what a hold would cover.
import { holdQuery } from '../../retention/rules.ts';
import type { SearchIndex } from '../../search/index.ts';
import type { Ledger, LedgerEntry } from '../../vault/index.ts';
import { h, parse } from './route-kit.ts';

export interface HoldPreviewRouteDeps {
  retention: Retention;
  index: SearchIndex;
  ledger: Ledger;
  /** Resolves once everything on the ledger so far is indexed (Indexer.caughtUp). */
  indexCaughtUp: () => Promise<void>;
  authorize: (action: string) => RequestHandler;
  audit: (req: Request, event: { type: string; subject?: string; data: Record<string, unknown> }) => Promise<void>;
}

export const HOLD_PREVIEWED = 'hold.previewed';
const HOLD_ID = z.string().regex(/^hold-\d{8}-[0-9a-f]{8}$/);
const previewInput = z.object({ scope: holdInput.shape.scope }).strict();
/** A hold's own events are few (placed, applied per sweep, changed, released); more pages are not needed. */
const HISTORY_LIMIT = 1000;

export interface HoldHistoryEvent {
  seq: number;
  time: string;
  type: string;
  actor: string;
  /** The event's data; message id lists are replaced by their count (a hold may cover millions). */
  data: Record<string, unknown>;
}

export function holdPreviewRoutes(deps: HoldPreviewRouteDeps): Router {
  const r = Router();
  r.use('/api/v1/holds', express.json({ limit: '1mb' }));

  r.post('/api/v1/holds/preview', deps.authorize('holds.manage'), h(async (req, res) => {
    const { scope } = parse(previewInput, req.body, 'body');
    const query = holdQuery(scope); // a malformed query is a bad_request naming its position
    await deps.indexCaughtUp();
    const { total } = await deps.index.search(query, { limit: 0 });
    await deps.audit(req, { type: HOLD_PREVIEWED, data: { scope, count: total } });
    res.set('Cache-Control', 'no-store').json({ count: total });
  }));

  r.get('/api/v1/holds/:id/history', deps.authorize('holds.read'), h(async (req, res) => {
    const id = parse(HOLD_ID, req.params.id, 'id');
    deps.retention.hold(id); // not_found for an unknown hold
    const own = deps.ledger.query({ subject: id, limit: HISTORY_LIMIT });
    // Linking a hold to a matter is recorded on the matter; it belongs in the hold's story too.
    const links = deps.ledger.query({ types: [DISCOVERY_EVENTS.holdLinked], limit: HISTORY_LIMIT }).filter((e) => e.data.hold === id);
    const events = [...own, ...links].sort((a, b) => a.seq - b.seq).map(historyEvent);
    res.set('Cache-Control', 'no-store').json({ hold: id, events });
  }));
  return r;
}

function historyEvent(e: LedgerEntry): HoldHistoryEvent {
  const data: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e.data)) {
    if (k === 'ids' && Array.isArray(v)) data.idCount = v.length;
    else if (k !== 'ip' && k !== 'session') data[k] = v;
  }
  if (e.type === DISCOVERY_EVENTS.holdLinked && e.subject) data.matter = e.subject;
  return { seq: e.seq, time: e.time, type: e.type, actor: e.actor, data };
}
