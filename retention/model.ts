// The retention vocabulary: categories, rules, holds, batches, their request schemas (zod) and
// the ledger event types retention/ writes. Shared by the domain code, routes and tests.
import { z } from 'zod';
import { MESSAGE_DESTROYED } from '../vault/messages.ts';

/** Ledger event types written by retention/ (the audit trail of every policy decision). */
export const EVENTS = {
  categoryChanged: 'retention.category.changed',
  ruleChanged: 'retention.rule.changed',
  retentionExtended: 'retention.extended',
  holdPlaced: 'hold.placed',
  holdChanged: 'hold.changed',
  holdReleased: 'hold.released',
  holdApplied: 'hold.applied',
  holdFlagCleared: 'hold.flag.cleared',
  batchProposed: 'disposition.proposed',
  batchApproved: 'disposition.approved',
  batchRejected: 'disposition.rejected',
  batchItemSkipped: 'disposition.item.skipped',
  messageDestroyed: MESSAGE_DESTROYED,
  certificateIssued: 'certificate.issued',
} as const;

/** Category and rule names end up in URLs, ledger events and certificates: keep them plain. */
const NAME = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, - and _ (max 64)');
/** Admin-supplied patterns run on every message: bounded to keep them cheap. */
const PATTERN = z.string().min(1).max(200).refine((p) => {
  try {
    new RegExp(p, 'iu');
    return true;
  } catch {
    return false;
  }
}, 'not a valid regular expression');
/** An exact address, or "@domain" for that domain and its subdomains. */
const ADDRESS = z.string().min(2).max(320).transform((s) => s.trim().toLowerCase()).refine((s) => /^[^\s@]*@[^\s@]+$/.test(s), 'an address or @domain');

export const categoryInput = z.object({
  retainYears: z.number().int().min(0).max(200),
  retainDays: z.number().int().min(0).max(36500).default(0),
  description: z.string().max(500).default(''),
  reason: z.string().min(1).max(1000),
});
export type CategoryInput = z.infer<typeof categoryInput>;

export interface Category {
  name: string;
  retainYears: number;
  retainDays: number;
  description: string;
  updatedAt: string;
}

/** All given conditions must hold (AND); lists match when any of their entries does (OR). */
export const ruleMatch = z.object({
  from: z.array(ADDRESS).max(500).optional(),
  to: z.array(ADDRESS).max(500).optional(),
  participant: z.array(ADDRESS).max(500).optional(),
  direction: z.enum(['inbound', 'outbound', 'internal']).optional(),
  subject: PATTERN.optional(),
  messageId: PATTERN.optional(),
  flag: z.string().max(64).optional(),
  minBytes: z.number().int().min(0).optional(),
  maxBytes: z.number().int().min(0).optional(),
  /** Full-text query (body, attachments...): applied after indexing, and may only extend (ADR 0002). */
  query: z.string().min(1).max(2000).optional(),
}).strict();
export type RuleMatch = z.infer<typeof ruleMatch>;

export const ruleInput = z.object({
  priority: z.number().int().min(0).max(1_000_000),
  category: NAME,
  match: ruleMatch,
  enabled: z.boolean().default(true),
  description: z.string().max(500).default(''),
  reason: z.string().min(1).max(1000),
});
export type RuleInput = z.infer<typeof ruleInput>;

export interface Rule {
  id: string;
  priority: number;
  category: string;
  match: RuleMatch;
  enabled: boolean;
  description: string;
}

/** Parts given are combined with AND; `all` (with no other part) covers the whole archive. */
export const holdScope = z.object({
  all: z.boolean().optional(),
  custodians: z.array(ADDRESS).max(5000).optional(),
  query: z.string().min(1).max(10_000).optional(),
  /** Message date range: from inclusive, until exclusive (ISO 8601). */
  from: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
}).strict().refine((s) => s.all || s.custodians?.length || s.query || s.from || s.until, 'a hold needs custodians, a query, a date range, or all: true');
export type HoldScope = z.infer<typeof holdScope>;

export const holdInput = z.object({
  name: z.string().min(1).max(200),
  matter: z.string().min(1).max(200),
  scope: holdScope,
  reason: z.string().min(1).max(1000),
});
export type HoldInput = z.infer<typeof holdInput>;

export const holdChange = z.object({
  name: z.string().min(1).max(200).optional(),
  scope: holdScope.optional(),
  reason: z.string().min(1).max(1000),
});
export type HoldChange = z.infer<typeof holdChange>;

export interface Hold {
  id: string;
  name: string;
  matter: string;
  scope: HoldScope;
  status: 'active' | 'released';
  createdBy: string;
  createdAt: string;
  releasedBy?: string;
  releasedAt?: string;
}

export const decisionInput = z.object({ reason: z.string().min(1).max(1000) });

export type BatchStatus = 'proposed' | 'approved' | 'rejected' | 'destroyed';

export interface Batch {
  id: string;
  category: string;
  status: BatchStatus;
  createdAt: string;
  count: number;
  approvalsRequired: number;
  approvals: Array<{ actor: string; at: string; reason: string }>;
  decidedAt?: string;
  rejectedBy?: string;
  reason?: string;
}

export interface MessageRow {
  sha256: string;
  category: string;
  rule: string;
  retainUntil: string;
  receivedAt: string;
  messageId?: string;
  status: 'live' | 'destroyed';
}

export interface Job {
  id: string;
  kind: string;
  status: 'running' | 'done' | 'failed';
  done: number;
  total: number;
  startedAt: string;
  finishedAt?: string;
  error?: string;
  result?: unknown;
}
