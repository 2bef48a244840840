// A real SMTP client (nodemailer's) for journaling raw messages into a test server.
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';

export interface SmtpOutcome {
  code: number;
  response: string;
}

/**
 * Sends one raw message; `localAddress` binds the socket to another loopback source address
 * (127.0.0.2, ...), to play a second mail server for the allow-list.
 */
export async function sendSmtp(port: number, raw: Buffer | string, envelope: { from: string; to: string[] }, opts: { localAddress?: string } = {}): Promise<SmtpOutcome> {
  const options: SMTPTransport.Options = { host: '127.0.0.1', port, secure: false, ignoreTLS: true, localAddress: opts.localAddress };
  const transport = nodemailer.createTransport(options);
  try {
    const info = await transport.sendMail({ envelope, raw });
    return { code: Number(/^(\d{3})/.exec(info.response)?.[1] ?? 0), response: info.response };
  } catch (err) {
    const e = err as { responseCode?: number; response?: string; message: string };
    return { code: e.responseCode ?? 0, response: e.response ?? e.message };
  } finally {
    transport.close();
  }
}
