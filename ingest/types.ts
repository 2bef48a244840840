// Types shared by the receivers, the pipeline and the importers.
import type { ParsedMessage } from './parse/parse-message.ts';

/** The SMTP envelope (or its HTTP equivalent) of one journaled copy. */
export interface Envelope {
  mailFrom?: string;
  rcptTo: string[];
  remoteAddress?: string;
  helo?: string;
}

export type IngestSource = 'smtp' | 'http' | 'import';

export interface IngestRequest {
  raw: Buffer;
  source: IngestSource;
  /** Who delivered it, for the ledger: "smtp:203.0.113.5", "token:<id>", "import:<user>". */
  actor: string;
  envelope: Envelope;
}

export interface IngestResult {
  id: string;
  sha256: string;
  duplicate: boolean;
}

/** What retention/ decides for a new message (injected, so ingest does not depend on it). */
export interface Classification {
  category: string;
  retainUntil: Date;
  /** Ids of the legal holds that cover the message at arrival. */
  holds: string[];
  rule?: string;
}

export type Classify = (msg: ParsedMessage, ctx: { receivedAt: Date; envelope: Envelope; size: number }) => Classification | Promise<Classification>;
