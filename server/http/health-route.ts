// GET /api/v1/health: each component's state, without auth (it reveals no data). A component
// that is down makes the answer 503; one that needs a person's attention (warn) does not.
import type { RequestHandler } from 'express';
import { describe } from '../../core/errors.ts';

export type ComponentState =
  | { status: 'ok'; lag?: number; detail?: string }
  | { status: 'warn'; detail: string }
  | { status: 'down'; error: string };

export interface HealthCheck {
  (): Promise<Record<string, ComponentState>>;
}

export function healthRoute(check: HealthCheck): RequestHandler {
  return async (_req, res, next) => {
    try {
      const components = await check();
      const ok = Object.values(components).every((c) => c.status !== 'down');
      res.status(ok ? 200 : 503).set('Cache-Control', 'no-store').json({ status: ok ? 'ok' : 'degraded', components });
    } catch (err) {
      next(err);
    }
  };
}

/** What the health check reads; the composition root supplies each part. */
export interface HealthSources {
  regions: ReadonlyArray<{ region: string; ping(): Promise<void> }>;
  ledgerHealthy: () => boolean;
  indexLag: () => Promise<number>;
  smtp: () => { listening: boolean; allowEntries: number };
  /** The replication checker's last pass, null before its first. */
  replication: () => { ok: boolean; findings: ReadonlyArray<{ kind: string; repaired?: boolean }>; seconds: number } | null;
}

/** Regions, ledger, index, SMTP and replication, in that order. */
export function componentHealth(src: HealthSources): HealthCheck {
  return async () => {
    const out: Record<string, ComponentState> = {};
    const regions = await Promise.all(src.regions.map(async (r): Promise<[string, ComponentState]> => {
      try {
        await r.ping();
        return [`region_${r.region}`, { status: 'ok' }];
      } catch (err) {
        return [`region_${r.region}`, { status: 'down', error: describe(err) }];
      }
    }));
    for (const [k, v] of regions.sort(([a], [b]) => a.localeCompare(b))) out[k] = v;
    out.ledger = src.ledgerHealthy() ? { status: 'ok' } : { status: 'down', error: 'a ledger block is not yet in every region' };
    try {
      out.index = { status: 'ok', lag: await src.indexLag() };
    } catch (err) {
      out.index = { status: 'down', error: describe(err) };
    }
    const smtp = src.smtp();
    out.smtp = smtp.listening ? { status: 'ok', detail: `accepting from ${smtp.allowEntries} allow-list entr${smtp.allowEntries === 1 ? 'y' : 'ies'}` } : { status: 'down', error: 'not listening' };
    out.replication = replicationState(src.replication());
    return out;
  };
}

function replicationState(last: ReturnType<HealthSources['replication']>): ComponentState {
  if (!last) return { status: 'ok', detail: 'no pass yet since start' };
  const left = last.findings.filter((f) => !f.repaired && f.kind !== 'unacknowledged').length;
  if (!last.ok || left > 0) return { status: 'warn', detail: `${left} cop${left === 1 ? 'y' : 'ies'} left unrepaired by the last pass` };
  const repaired = last.findings.filter((f) => f.repaired).length;
  return { status: 'ok', detail: repaired ? `last pass repaired ${repaired}` : 'regions in step at the last pass' };
}
