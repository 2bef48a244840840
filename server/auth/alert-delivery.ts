// Sends an alert to the configured recipients: a webhook (POST JSON) and email through an SMTP
// relay. The alert carries what happened and to whom, never a secret or message content; the
// destinations themselves (a webhook URL may embed a token) are never logged.
import nodemailer, { type Transporter } from 'nodemailer';
import { describe } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import type { AlertRow } from '../catalog/sqlite-catalog.ts';
import type { AuthConfig } from './auth-config.ts';

/** A receiver that does not answer within this is treated as down (and the alert stays listed). */
const DELIVERY_TIMEOUT_MS = 10_000;

export interface AlertChannel {
  name: string;
  send(alert: AlertRow): Promise<void>;
  close(): void;
}

export function alertChannels(cfg: AuthConfig['alerts'], hostname: string): AlertChannel[] {
  const out: AlertChannel[] = [];
  if (cfg.webhook) out.push(webhookChannel(cfg.webhook, hostname));
  if (cfg.smtp) out.push(emailChannel(cfg.smtp, cfg.emailFrom, cfg.emailTo, hostname));
  return out;
}

function payload(alert: AlertRow, hostname: string) {
  return { source: 'stele', host: hostname, id: alert.id, time: alert.time, kind: alert.kind, severity: alert.severity, summary: alert.summary, data: alert.data };
}

function webhookChannel(url: string, hostname: string): AlertChannel {
  return {
    name: 'webhook',
    async send(alert) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'stele-alerts' },
        body: JSON.stringify(payload(alert, hostname)),
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined); // drain, so the connection is reused or closed
      if (!res.ok) throw new Error(`webhook answered ${res.status}`);
    },
    close() {},
  };
}

function emailChannel(url: string, from: string, to: string[], hostname: string): AlertChannel {
  const transport: Transporter = nodemailer.createTransport({
    url,
    connectionTimeout: DELIVERY_TIMEOUT_MS,
    greetingTimeout: DELIVERY_TIMEOUT_MS,
    socketTimeout: DELIVERY_TIMEOUT_MS,
  });
  return {
    name: 'email',
    async send(alert) {
      const p = payload(alert, hostname);
      await transport.sendMail({
        from,
        to,
        subject: `[Stele ${alert.severity}] ${alert.kind} on ${hostname}`,
        text: `${alert.summary}\n\n${JSON.stringify(p, null, 2)}\n\nSee the admin area's alert list (GET /api/v1/alerts).\n`,
      });
    },
    close() {
      transport.close();
    },
  };
}

/** Runs every channel; a failure is logged by channel name and does not stop the others. */
export async function deliver(channels: AlertChannel[], alert: AlertRow, log: Logger): Promise<void> {
  await Promise.all(
    channels.map((c) =>
      c.send(alert).catch((err) => log.warn('alert delivery failed', { channel: c.name, alert: alert.id, error: describe(err) })),
    ),
  );
}
