// Builds the index document of an archived message from what was parsed and what the ledger
// recorded. Used by live ingest and by reindex, so both produce the same document.
import type { IndexDocument } from '../search/port.ts';
import type { ParsedMessage } from './parse/parse-message.ts';
import type { Envelope } from './types.ts';

export interface ArchiveFacts {
  sha256: string;
  size: number;
  receivedAt: string;
  category: string;
  retainUntil: string;
  holds: string[];
  envelopes: Envelope[];
  /** Flags the pipeline added beside the parser's (e.g. "parse-timeout"). */
  flags?: string[];
}

export function buildDocument(parsed: ParsedMessage, facts: ArchiveFacts): IndexDocument {
  const envelopeTo = new Set<string>();
  for (const env of facts.envelopes) env.rcptTo.forEach((r) => envelopeTo.add(r.toLowerCase()));
  parsed.journal?.recipients.forEach((r) => envelopeTo.add(r));
  const envelopeFrom = parsed.journal?.sender ?? facts.envelopes.find((e) => e.mailFrom)?.mailFrom?.toLowerCase();
  const custodians = new Set<string>([...parsed.from, ...parsed.to, ...parsed.cc, ...parsed.bcc].map((a) => a.address));
  envelopeTo.forEach((a) => custodians.add(a));
  return {
    id: facts.sha256,
    sha256: facts.sha256,
    messageId: parsed.messageId,
    inReplyTo: parsed.inReplyTo,
    references: parsed.references,
    subject: parsed.subject,
    from: parsed.from,
    to: parsed.to,
    cc: parsed.cc,
    bcc: parsed.bcc,
    envelopeTo: [...envelopeTo],
    envelopeFrom,
    date: parsed.date ?? facts.receivedAt,
    receivedAt: facts.receivedAt,
    size: facts.size,
    body: parsed.body,
    attachments: parsed.attachments,
    category: facts.category,
    retainUntil: facts.retainUntil,
    custodians: [...custodians],
    holds: facts.holds,
    flags: [...new Set([...parsed.flags, ...(facts.flags ?? [])])],
  };
}
