// Rule and hold-scope evaluation over the facts a header summary gives (at ingest) or an index
// document gives (later re-evaluation), so both paths decide alike.
import type { Envelope } from '../ingest/types.ts';
import type { ParsedMessage } from '../ingest/parse/parse-message.ts';
import type { IndexDocument, QueryNode } from '../search/port.ts';
import { parseQuery } from '../search/query/parse.ts';
import { addYears, retentionStart } from './classify.ts';
import type { Category, HoldScope, Rule, RuleMatch } from './model.ts';

/** What rules can look at without the body. Addresses are lower-cased. */
export interface MessageFacts {
  from: string[];
  recipients: string[];
  subject: string;
  messageId?: string;
  flags: string[];
  size: number;
  /** The message date as the index has it (Date header, else receipt): what date ranges see. */
  date: Date;
  /** Where the retention clock starts (the message date unless in the future). */
  start: Date;
}

export function factsFromSummary(msg: ParsedMessage, envelope: Envelope, size: number, receivedAt: Date): MessageFacts {
  const recipients = [...msg.to, ...msg.cc, ...msg.bcc].map((a) => a.address.toLowerCase());
  for (const r of envelope.rcptTo) recipients.push(r.toLowerCase());
  msg.journal?.recipients.forEach((r) => recipients.push(r.toLowerCase()));
  const date = msg.date ? new Date(msg.date) : receivedAt;
  return {
    from: msg.from.map((a) => a.address.toLowerCase()),
    recipients: [...new Set(recipients)],
    subject: msg.subject,
    messageId: msg.messageId,
    flags: msg.flags,
    size,
    date: Number.isNaN(date.getTime()) ? receivedAt : date,
    start: retentionStart(msg.date, receivedAt),
  };
}

export function factsFromDocument(doc: IndexDocument): MessageFacts {
  const receivedAt = new Date(doc.receivedAt);
  const recipients = [...doc.to, ...doc.cc, ...doc.bcc].map((a) => a.address);
  return {
    from: doc.from.map((a) => a.address),
    recipients: [...new Set([...recipients, ...doc.envelopeTo])],
    subject: doc.subject,
    messageId: doc.messageId,
    flags: doc.flags,
    size: doc.size,
    date: new Date(doc.date),
    start: retentionStart(doc.date, receivedAt),
  };
}

/** "@example.org" covers that domain and its subdomains; anything else is an exact address. */
export function addressMatches(pattern: string, address: string): boolean {
  if (!pattern.startsWith('@')) return pattern === address;
  const domain = address.slice(address.lastIndexOf('@') + 1);
  const want = pattern.slice(1);
  return domain === want || domain.endsWith(`.${want}`);
}

const anyMatch = (patterns: string[], addresses: string[]) => patterns.some((p) => addresses.some((a) => addressMatches(p, a)));

function isInternal(address: string, internalDomains: string[]): boolean {
  return internalDomains.some((d) => addressMatches(`@${d.replace(/^@/, '')}`, address));
}

function directionOf(f: MessageFacts, internalDomains: string[]): 'inbound' | 'outbound' | 'internal' {
  const fromInside = f.from.some((a) => isInternal(a, internalDomains));
  if (!fromInside) return 'inbound';
  return f.recipients.every((a) => isInternal(a, internalDomains)) ? 'internal' : 'outbound';
}

/** The header conditions of a rule (its `query`, if any, is judged by the caller). */
export function matchesHeaders(m: RuleMatch, f: MessageFacts, internalDomains: string[]): boolean {
  if (m.from && !anyMatch(m.from, f.from)) return false;
  if (m.to && !anyMatch(m.to, f.recipients)) return false;
  if (m.participant && !anyMatch(m.participant, [...f.from, ...f.recipients])) return false;
  if (m.direction && directionOf(f, internalDomains) !== m.direction) return false;
  if (m.subject && !new RegExp(m.subject, 'iu').test(f.subject)) return false;
  if (m.messageId && !new RegExp(m.messageId, 'iu').test(f.messageId ?? '')) return false;
  if (m.flag && !f.flags.includes(m.flag)) return false;
  if (m.minBytes !== undefined && f.size < m.minBytes) return false;
  if (m.maxBytes !== undefined && f.size > m.maxBytes) return false;
  return true;
}

export function retainUntilFor(start: Date, c: Pick<Category, 'retainYears' | 'retainDays'>): Date {
  return new Date(addYears(start, c.retainYears).getTime() + c.retainDays * 86_400_000);
}

export interface Decision {
  category: string;
  rule: string;
  retainUntil: Date;
}

/**
 * First enabled rule in priority order whose conditions hold wins; otherwise the default
 * category. `queryHits(rule)` answers a rule's full-text part; at ingest it is unknown (false),
 * so content rules only act later, through re-evaluation, where they can only extend.
 */
export function decide(
  f: MessageFacts, rules: Rule[], categories: Map<string, Category>, defaultCategory: string,
  internalDomains: string[], queryHits: (rule: Rule) => boolean = () => false,
): Decision {
  for (const r of rules) {
    if (!r.enabled || !categories.has(r.category)) continue;
    if (!matchesHeaders(r.match, f, internalDomains)) continue;
    if (r.match.query && !queryHits(r)) continue;
    return { category: r.category, rule: r.id, retainUntil: retainUntilFor(f.start, categories.get(r.category)!) };
  }
  const c = categories.get(defaultCategory);
  if (!c) throw new Error(`default category ${defaultCategory} is missing`);
  return { category: defaultCategory, rule: 'default', retainUntil: retainUntilFor(f.start, c) };
}

/** A hold's header-decidable part: custodians and dates. A query part is left to the index sweep. */
export function holdCoversAtIngest(scope: HoldScope, f: MessageFacts): boolean {
  if (scope.query) return false;
  if (scope.custodians?.length && !anyMatch(scope.custodians, [...f.from, ...f.recipients])) return false;
  if (scope.from && f.date.getTime() < new Date(scope.from).getTime()) return false;
  if (scope.until && f.date.getTime() >= new Date(scope.until).getTime()) return false;
  return true;
}

/** The hold's scope as a search AST, for applying it to mail already in the index. */
export function holdQuery(scope: HoldScope): QueryNode {
  const parts: QueryNode[] = [];
  if (scope.custodians?.length) {
    parts.push({ kind: 'or', children: scope.custodians.map((c): QueryNode => (c.startsWith('@') && !c.slice(1).includes('@')
      ? { kind: 'keyword', field: 'domain', value: c.slice(1) }
      : { kind: 'keyword', field: 'custodian', value: c })) });
  }
  if (scope.from) parts.push({ kind: 'date', field: 'date', op: 'after', value: new Date(scope.from).toISOString() });
  if (scope.until) parts.push({ kind: 'date', field: 'date', op: 'before', value: new Date(scope.until).toISOString() });
  if (scope.query) parts.push(parseQuery(scope.query));
  if (parts.length === 0) return { kind: 'all' };
  return parts.length === 1 ? parts[0] : { kind: 'and', children: parts };
}
