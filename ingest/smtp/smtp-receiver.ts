// The SMTP journaling receiver: accepts mail only from allow-listed servers, records the
// envelope, and answers 250 only after the pipeline says the message is durable. The protocol
// lives here; where the bytes go is the pipeline's business.
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { Logger } from '../../core/log.ts';
import { SteleError } from '../../core/errors.ts';
import type { IngestPipeline } from '../pipeline.ts';
import type { IngestMetrics } from '../metrics.ts';
import { readCapped, type CappedRead } from '../read-capped.ts';
import type { AllowList } from './allow-list.ts';
import { smtpError, smtpReplyFor } from './replies.ts';

/** Envelope recipients one transaction may name (see maxRecipients below). */
export const MAX_RECIPIENTS = 1000;
/** Command line cap: 512 octets (RFC 5321 4.5.3.1.4) plus room for every extension we offer. */
export const MAX_COMMAND_LINE_OCTETS = 2048;

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
    // RFC 5321 4.5.3.1.8 asks for at least 100; Postfix's default is 1000. Past it, each further
    // RCPT gets 452 (4.5.3.1.10) and the message is journaled for the recipients accepted.
    maxRecipients: MAX_RECIPIENTS,
    // RFC 5321 4.5.3.1.4: 512 octets, raised by extensions (SIZE, BODY, SMTPUTF8, DSN's ORCPT and
    // ENVID). A longer line is not mail, it is an attack on the parser's buffer: smtp-server
    // answers 421 and closes, since it cannot tell where the next command starts.
    maxCommandLength: MAX_COMMAND_LINE_OCTETS,
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
    const read = await readCapped(stream as unknown as import('node:stream').Readable, maxMessageBytes, pipeline.receiveBudget);
    try {
      return await archive(read, stream, session);
    } finally {
      read.release();
    }
  }

  async function archive(read: CappedRead, stream: { sizeExceeded?: boolean }, session: SMTPServerSession): Promise<string> {
    if (read.tooLarge || stream.sizeExceeded) {
      metrics.refused.inc({ reason: 'too_large' });
      throw new SteleError('too_large', `message of ${read.bytes} bytes refused`);
    }
    if (read.overBudget) {
      // RFC 5321 4.2.3 / RFC 3463 4.3.1: a temporary "system full", the MTA keeps it and retries.
      metrics.refused.inc({ reason: 'busy' });
      throw new SteleError('storage_unavailable', 'receive buffer full');
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
