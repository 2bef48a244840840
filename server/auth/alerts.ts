// Security alerts: each one is a ledger event (alert.raised), a row in the catalog that admins
// list at GET /api/v1/alerts, and a message to the configured recipients. Other components
// (ingest volume, region errors) raise theirs through the same raise().
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/log.ts';
import type { Ledger } from '../../vault/index.ts';
import type { AlertRow, SqliteCatalog } from '../catalog/sqlite-catalog.ts';
import { deliver, type AlertChannel } from './alert-delivery.ts';

export const ALERT_RAISED = 'alert.raised';
export const ALERT_ACKNOWLEDGED = 'alert.acknowledged';

export interface NewAlert {
  kind: string;
  severity: AlertRow['severity'];
  /** One sentence for a person; names and addresses only, never a secret or message content. */
  summary: string;
  data: Record<string, unknown>;
  /** Who or what caused it (ledger actor); "system" by default. */
  actor?: string;
  subject?: string;
}

export class Alerts {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly deps: { catalog: SqliteCatalog; ledger: Ledger; log: Logger; clock: Clock; channels: AlertChannel[] },
  ) {}

  /** Records the alert durably (ledger, then catalog), then delivers it in the background. */
  async raise(a: NewAlert): Promise<AlertRow> {
    const time = this.deps.clock.now().toISOString();
    let data = a.data;
    try {
      await this.deps.ledger.append({ type: ALERT_RAISED, actor: a.actor ?? 'system', subject: a.subject, data: { kind: a.kind, severity: a.severity, summary: a.summary, ...a.data } });
    } catch (err) {
      // The alert that matters most (a region down) is the one the ledger cannot take: it still
      // goes to the catalog and out to its recipients, marked as not on the ledger.
      this.deps.log.error('alert could not be written to the ledger', { kind: a.kind, err });
      data = { ...a.data, ledger: 'unavailable' };
    }
    const row = this.deps.catalog.addAlert({ time, kind: a.kind, severity: a.severity, summary: a.summary, data });
    this.deps.log.warn('security alert', { alert: row.id, kind: a.kind, severity: a.severity });
    if (this.deps.channels.length) {
      const p = deliver(this.deps.channels, row, this.deps.log).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
    return row;
  }

  list(opts: { beforeId?: number; limit: number; open?: boolean }): AlertRow[] {
    return this.deps.catalog.listAlerts(opts);
  }

  async acknowledge(id: number, by: string, ip: string): Promise<boolean> {
    const ok = this.deps.catalog.acknowledgeAlert(id, by, this.deps.clock.now().toISOString());
    if (ok) await this.deps.ledger.append({ type: ALERT_ACKNOWLEDGED, actor: by, subject: String(id), data: { ip } });
    return ok;
  }

  /** Resolves once every delivery started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  async close(): Promise<void> {
    await this.idle();
    for (const c of this.deps.channels) c.close();
  }
}
