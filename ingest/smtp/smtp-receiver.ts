// The SMTP journaling receiver: accepts mail only from allow-listed servers, records the
// envelope, and answers 250 only after the pipeline says the message is durable. The protocol
// lives here; where the bytes go is the pipeline's business.
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { Logger } from '../../core/log.ts';
import { SteleError } from '../../core/errors.ts';
import type { IngestPipeline } from '../pipeline.ts';
import type { IngestMetrics } from '../metrics.ts';
import { readCapped } from '../read-capped.ts';
import type { AllowList } from './allow-list.ts';
import { smtpError, smtpReplyFor } from './replies.ts';

export interface SmtpReceiverOptions {
  pipeline: IngestPipeline;
  allow: AllowList;
  maxMessageBytes: number;
  metrics: IngestMetrics;
  log: Logger;
  hostname: string;
  tls?: { key: Buffer; cert: Buffer };
  /** Most journaling MTAs open a handful of connections; this bounds memory under abuse. */
  maxClients?: number;
}

export function createSmtpReceiver(opts: SmtpReceiverOptions): SMTPServer {
  const { pipeline, allow, maxMessageBytes, metrics, log } = opts;
  const options: SMTPServerOptions = {
    name: opts.hostname,
    banner: 'Stele journaling archive',
    size: maxMessageBytes,
    authOptional: true,
    disabledCommands: opts.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
    logger: false,
    maxClients: opts.maxClients ?? 200,
    socketTimeout: 120_000,
    onConnect(session, callback) {
      if (allow.allows(session.remoteAddress)) return callback();
      metrics.refused.inc({ reason: 'not_allowed' });
      log.warn('smtp connection refused: not on the allow-list', { remoteAddress: session.remoteAddress });
      callback(smtpError(smtpReplyFor(new SteleError('forbidden', 'source not allowed'))));
    },
    onData(stream, session, callback) {
      receive(stream, session).then(
        (msg) => callback(null, msg),
        (err) => callback(smtpError(smtpReplyFor(err))),
      );
    },
  };

  async function receive(stream: NodeJS.ReadableStream & { sizeExceeded?: boolean }, session: SMTPServerSession): Promise<string> {
    const read = await readCapped(stream as unknown as import('node:stream').Readable, maxMessageBytes);
    if (read.tooLarge || stream.sizeExceeded) {
      metrics.refused.inc({ reason: 'too_large' });
      throw new SteleError('too_large', `message of ${read.bytes} bytes refused`);
    }
    const envelope = {
      mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
      rcptTo: session.envelope.rcptTo.map((r) => r.address),
      remoteAddress: session.remoteAddress,
      helo: session.hostNameAppearsAs,
    };
    const result = await pipeline.ingest({ raw: read.raw, source: 'smtp', actor: `smtp:${session.remoteAddress}`, envelope });
    return `2.6.0 Archived as ${result.id}${result.duplicate ? ' (duplicate)' : ''}`;
  }

  const server = new SMTPServer(options);
  server.on('error', (err) => log.error('smtp server error', { err }));
  return server;
}
