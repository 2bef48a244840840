// Turns an IndexDocument into the Elasticsearch document of search/elasticsearch/mappings.ts:
// folded text fields, lower-cased keywords, per-role addresses and domain suffixes, thread
// links, and the original document kept whole (not indexed) for get() and snippets.
import type { Address, IndexDocument, RetentionChange } from '../port.ts';
import { foldText } from './text.ts';
import { domainOf, domainSuffixes, normalizeMessageId, threadIds, validateDocument } from '../document-rules.ts';

export { normalizeMessageId, validateDocument };

/** Address roles, as the sqlite adapter has them; participant and domain: cover all of them. */
export const ROLES = ['from', 'to', 'cc', 'bcc', 'env_to', 'env_from'] as const;
export type Role = (typeof ROLES)[number];

/** Text fields (under `t.`), in the order a snippet prefers them when match counts tie. */
export const TEXT_COLUMNS = ['subject', 'body', 'att_names', 'att_text', 'from', 'to', 'cc', 'bcc', 'env'] as const;
export type TextColumn = (typeof TEXT_COLUMNS)[number];

export interface EsDocument {
  id: string;
  date: number;
  year: number;
  size: number;
  category: string;
  att_count: number;
  flags: string[];
  custodians: string[];
  holds: string[];
  message_id: string[];
  links: string[];
  from_domain: string[];
  addr: Record<Role, string[]>;
  dom: Record<Role, string[]>;
  t: Record<TextColumn, string>;
  doc: IndexDocument;
}

const lower = (values: string[]) => [...new Set(values.map((v) => v.trim().toLowerCase()).filter((v) => v !== ''))];

function roleAddresses(doc: IndexDocument): Record<Role, string[]> {
  const of = (list: Array<Address | string>) => lower(list.map((a) => (typeof a === 'string' ? a : a.address)));
  return {
    from: of(doc.from),
    to: of(doc.to),
    cc: of(doc.cc),
    bcc: of(doc.bcc),
    env_to: of(doc.envelopeTo),
    env_from: of(doc.envelopeFrom ? [doc.envelopeFrom] : []),
  };
}

/** Names and addresses of one role as text, one per line (the snippet source for that field). */
export function addressText(list: Array<Address | string>): string {
  return list.map((a) => (typeof a === 'string' ? a : `${a.name ?? ''} ${a.address}`)).join('\n');
}

/** The original text behind each text column; the index holds its folded form. */
export function columnSources(doc: IndexDocument): Record<TextColumn, string> {
  return {
    subject: doc.subject,
    body: doc.body,
    att_names: doc.attachments.map((a) => a.filename).join('\n'),
    att_text: doc.attachments.map((a) => a.text ?? '').join('\n'),
    from: addressText(doc.from),
    to: addressText(doc.to),
    cc: addressText(doc.cc),
    bcc: addressText(doc.bcc),
    env: addressText([...(doc.envelopeFrom ? [doc.envelopeFrom] : []), ...doc.envelopeTo]),
  };
}

export function toEsDocument(doc: IndexDocument, dateMs: number): EsDocument {
  const addr = roleAddresses(doc);
  const dom = Object.fromEntries(
    ROLES.map((role) => [role, [...new Set(addr[role].flatMap((a) => domainSuffixes(domainOf(a))))]]),
  ) as Record<Role, string[]>;
  const sources = columnSources(doc);
  const mid = doc.messageId ? normalizeMessageId(doc.messageId) : null;
  return {
    id: doc.id,
    date: dateMs,
    year: new Date(dateMs).getUTCFullYear(),
    size: Math.round(doc.size),
    category: doc.category,
    att_count: doc.attachments.length,
    flags: lower(doc.flags),
    custodians: lower(doc.custodians),
    holds: lower(doc.holds),
    message_id: mid ? [mid] : [],
    links: threadIds(doc),
    from_domain: [...new Set(addr.from.map(domainOf).filter((d) => d !== ''))],
    addr,
    dom,
    t: Object.fromEntries(TEXT_COLUMNS.map((c) => [c, foldText(sources[c])])) as Record<TextColumn, string>,
    doc,
  };
}

/** The fields a RetentionChange rewrites, as a partial update: the indexed ones and the kept document's. */
export interface EsRetentionPatch {
  holds: string[];
  category?: string;
  doc: Pick<IndexDocument, 'holds'> & Partial<Pick<IndexDocument, 'category' | 'retainUntil'>>;
}

export function retentionPatch(c: RetentionChange): EsRetentionPatch {
  const kept: EsRetentionPatch['doc'] = { holds: [...c.holds] };
  if (c.category !== undefined) kept.category = c.category;
  if (c.retainUntil !== undefined) kept.retainUntil = c.retainUntil;
  return { holds: lower(c.holds), ...(c.category !== undefined ? { category: c.category } : {}), doc: kept };
}
