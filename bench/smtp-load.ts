// What the SMTP benchmarks share: the ingest corpus and the client that sends it, so Stele,
// Postfix and smtp-sink are measured with the same bytes from the same client.
import { readFile } from 'node:fs/promises';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { corpusMessages } from '../test/corpus-files.ts';
import { generateMessage } from './corpus.ts';

export interface SendFigures {
  seconds: number;
  accepted: number;
  failures: number;
}

/** Generated traffic (seed 7) plus the shared odd-mail corpus. */
export async function loadBenchCorpus(n: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) out.push(generateMessage(i, 7));
  for (const f of await corpusMessages()) {
    const raw = await readFile(f);
    if (raw.length > 0) out.push(raw);
  }
  return out;
}

/** nodemailer's pool: `connections` sessions, one message each at a time, every message once. */
export async function sendAll(port: number, messages: Buffer[], connections: number, to: string): Promise<SendFigures> {
  const options: SMTPTransport.Options & { pool: true; maxConnections: number; maxMessages: number } = {
    pool: true, maxConnections: connections, maxMessages: Infinity, host: '127.0.0.1', port, ignoreTLS: true,
  };
  const transport = nodemailer.createTransport(options);
  let failures = 0;
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: connections }, async () => {
    while (next < messages.length) {
      const raw = messages[next++]!;
      try {
        await transport.sendMail({ envelope: { from: 'journal@clinic.example', to: [to] }, raw });
      } catch {
        failures++;
      }
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  transport.close();
  return { seconds, accepted: messages.length - failures, failures };
}
