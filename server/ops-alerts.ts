// Operational alerts beside the security ones: a region that fails, and ingest volume far
// above what is configured as normal. Both go through the same Alerts (ledger, catalog,
// webhook, email), throttled so an outage raises one alert, not one per message.
import { describe } from '../core/errors.ts';
import type { Clock } from '../core/clock.ts';
import type { Alerts } from './auth/alerts.ts';

/** One alert per region per quarter hour is enough to wake someone; more is noise. */
const REGION_ALERT_EVERY_MS = 15 * 60_000;
const MINUTE_MS = 60_000;

export class OpsAlerts {
  private readonly lastRegionAlert = new Map<string, number>();
  private minuteStart = 0;
  private minuteCount = 0;
  private volumeAlerted = false;

  constructor(
    private readonly alerts: Alerts,
    private readonly clock: Clock,
    private readonly opts: { ingestPerMinute: number },
  ) {}

  regionError(region: string, op: string, err: unknown): void {
    const now = this.clock.now().getTime();
    if (now - (this.lastRegionAlert.get(region) ?? -Infinity) < REGION_ALERT_EVERY_MS) return;
    this.lastRegionAlert.set(region, now);
    void this.alerts.raise({
      kind: 'region.error', severity: 'critical', subject: region,
      summary: `Storage region ${region} failed a ${op}; ingest answers "try later" until it is back`,
      data: { region, op, error: describe(err) },
    }).catch(() => {});
  }

  /** Counts one accepted message; alerts once per minute in which the count passes the limit. */
  ingested(): void {
    const now = this.clock.now().getTime();
    if (now - this.minuteStart >= MINUTE_MS) (this.minuteStart = now), (this.minuteCount = 0), (this.volumeAlerted = false);
    if (++this.minuteCount <= this.opts.ingestPerMinute || this.volumeAlerted) return;
    this.volumeAlerted = true;
    void this.alerts.raise({
      kind: 'ingest.volume', severity: 'warning',
      summary: `More than ${this.opts.ingestPerMinute} messages journaled within a minute`,
      data: { perMinute: this.opts.ingestPerMinute },
    }).catch(() => {});
  }
}
