// Sends one raw message over SMTP from a chosen loopback source address (127.0.0.2, ...), to
// prove what the allow-list admits; nodemailer's SMTP transport binds the socket to it.
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { SmtpOutcome } from './smtp-client.ts';

export async function sendSmtpFrom(localAddress: string, port: number, raw: Buffer | string, envelope: { from: string; to: string[] }): Promise<SmtpOutcome> {
  const options: SMTPTransport.Options = { host: '127.0.0.1', port, secure: false, ignoreTLS: true, localAddress };
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
