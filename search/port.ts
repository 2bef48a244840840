// The index port: what every search backend (sqlite, elasticsearch) promises. The index is a
// projection of the vault (invariant 7): everything in it can be rebuilt by `stele reindex`.
//
// Contract (each adapter passes search/contract.ts, the one shared suite):
// - add(docs) upserts by id and is idempotent; a document is searchable when add resolves.
// - delete(ids) removes documents; unknown ids are ignored.
// - search(ast, opts) returns the exact total and a stable order (ties broken by id ascending),
//   and a cursor that continues after the last hit, however deep. A malformed cursor, or one
//   from another query or sort, is a bad_request. limit defaults to 50, 0..1000 (0 = count only).
// - AST semantics every adapter implements identically (see docs/query-language.md):
//   text terms fold case and diacritics; a term that tokenizes into several words (e-mail,
//   "two words") is a phrase; CJK text matches as a substring of characters.
//   Address fields (from, to, cc, bcc, participant): a value with '@' and a local part is an
//   exact address (prefix with `prefix`); '@domain' is that domain or a subdomain; anything
//   else is words in display names and addresses. participant covers from, to, cc, bcc,
//   envelopeTo and envelopeFrom.
// - watermark: the highest ledger sequence whose documents are all in the index, so a restart
//   can catch up from the ledger instead of rebuilding.
// - setRetention(changes) rewrites only the retention fields of documents already indexed:
//   holds (replaced whole; [] = none), and category and retainUntil when given. Every other
//   field stays as it is. When it resolves, get(), hold:, category: and the category facet show
//   the new values. Ids not in the index are ignored; applying the same changes again changes
//   nothing (idempotent); a repeated id in one batch: the last change wins. A batch with an
//   invalid change (no id, holds not a list of strings, an empty category, an unparseable
//   retainUntil) is a bad_request and writes none of it. The retention catalog is the source
//   of truth for these fields; this keeps the projection in step with it between reindexes.

export interface Address {
  name?: string;
  address: string; // lower-cased
}

export interface AttachmentDoc {
  filename: string;
  contentType: string;
  size: number;
  /** Extracted text, when an extractor could read it. */
  text?: string;
}

/** One archived message as the index sees it. Dates are ISO 8601 strings in UTC. */
export interface IndexDocument {
  id: string;
  sha256: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  subject: string;
  from: Address[];
  to: Address[];
  cc: Address[];
  /** Bcc from the message headers and from journal-report envelopes (Exchange Bcc/expanded). */
  bcc: Address[];
  /** Envelope recipients as journaled (SMTP RCPT TO, journal report recipients), all copies merged. */
  envelopeTo: string[];
  envelopeFrom?: string;
  /** The message date (Date header, or received time when absent or unparseable). */
  date: string;
  receivedAt: string;
  size: number;
  /** Plain body text (text part, or HTML converted to text). */
  body: string;
  attachments: AttachmentDoc[];
  category: string;
  retainUntil: string;
  custodians: string[];
  holds: string[];
  /** e.g. "unparsed", "journal-report", "no-message-id", "extract-failed". */
  flags: string[];
}

/** One message's retention state, as retention/ decided it after the message was indexed. */
export interface RetentionChange {
  id: string;
  /** Every hold that covers the message now: replaces the indexed list. */
  holds: string[];
  /** Absent: the indexed category is kept. */
  category?: string;
  /** ISO 8601; absent: the indexed retain-until is kept. */
  retainUntil?: string;
}

export type SortOrder = 'date_desc' | 'date_asc' | 'relevance';

export interface SearchOptions {
  sort?: SortOrder;
  limit?: number;
  cursor?: string;
  facets?: boolean;
}

export interface SearchHit {
  id: string;
  date: string;
  subject: string;
  from: Address[];
  size: number;
  flags: string[];
  /** Fragments with matches wrapped in \u0002 ... \u0003 (the UI turns them into <mark>). */
  snippet?: string;
  /** Relevance (higher is better), present when sorted by relevance. */
  score?: number;
}

/** Over the full result set, not the page. domain = sender (From) domain, counted once per message;
 * domain and category by count desc then value; year (UTC) ascending. */
export interface Facets {
  domain: Array<{ value: string; count: number }>;
  year: Array<{ value: string; count: number }>;
  category: Array<{ value: string; count: number }>;
}

export interface SearchResult {
  total: number;
  hits: SearchHit[];
  nextCursor: string | null;
  facets?: Facets;
}

/** The query AST: produced by search/query, consumed by every adapter. */
export type QueryNode =
  | { kind: 'and'; children: QueryNode[] }
  | { kind: 'or'; children: QueryNode[] }
  | { kind: 'not'; child: QueryNode }
  | { kind: 'all' }
  | { kind: 'term'; field: TextField; value: string; prefix?: boolean; phrase?: boolean }
  /** value is a UTC ISO instant already widened by the parser: before = date < value, after = date >= value. */
  | { kind: 'date'; field: 'date'; op: 'before' | 'after'; value: string }
  /** larger = size > bytes, smaller = size < bytes. */
  | { kind: 'size'; op: 'larger' | 'smaller'; bytes: number }
  | { kind: 'has'; what: 'attachment' }
  | { kind: 'flag'; value: string }
  /**
   * Exact, case-insensitive value (message-id without <>). domain matches any participant's
   * address domain, including subdomains (domain:acme.com finds x@eu.acme.com).
   */
  | { kind: 'keyword'; field: 'category' | 'custodian' | 'hold' | 'message-id' | 'domain'; value: string };

export type TextField =
  | 'any'
  | 'from'
  | 'to'
  | 'cc'
  | 'bcc'
  | 'participant'
  | 'subject'
  | 'body'
  | 'attachment'
  | 'filename';

export interface SearchIndex {
  readonly backend: string;
  add(docs: IndexDocument[]): Promise<void>;
  delete(ids: string[]): Promise<void>;
  /** Brings indexed documents' holds, category and retain-until up to date (see the contract above). */
  setRetention(changes: RetentionChange[]): Promise<void>;
  get(id: string): Promise<IndexDocument | null>;
  search(query: QueryNode, opts?: SearchOptions): Promise<SearchResult>;
  /**
   * Messages sharing a thread with `id` (linked through Message-ID, In-Reply-To, References,
   * so replies to a root that is not archived still group), oldest first, `id` included.
   * An unknown id gives [].
   */
  thread(id: string): Promise<SearchHit[]>;
  getWatermark(): Promise<number>;
  setWatermark(seq: number): Promise<void>;
  /** Drops every document and resets the watermark to 0 (reindex starts from here). */
  clear(): Promise<void>;
  close(): Promise<void>;
}
