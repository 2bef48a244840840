// Discovery's records and request shapes: matters, saved searches, exports and their jobs.
import { z } from 'zod';

export const EVENTS = {
  matterCreated: 'matter.created',
  matterUpdated: 'matter.updated',
  membersChanged: 'matter.members_changed',
  searchSaved: 'matter.search_saved',
  holdLinked: 'matter.hold_linked',
  exportRequested: 'export.requested',
  exportCompleted: 'export.completed',
  exportFailed: 'export.failed',
  exportDownloaded: 'export.downloaded',
} as const;

export interface Matter {
  id: string;
  name: string;
  description: string;
  custodians: string[];
  members: string[];
  createdBy: string;
  createdAt: string;
}

export interface SavedSearch {
  id: string;
  matterId: string;
  name: string;
  /** Exactly as typed: what was searched is evidence in itself. */
  query: string;
  runBy: string;
  runAt: string;
  /** The hit count when it was saved; an export re-runs the query and records its own count. */
  hits: number;
}

export interface HoldLink {
  holdId: string;
  linkedBy: string;
  linkedAt: string;
}

export type ExportStatus = 'queued' | 'running' | 'complete' | 'failed';

export type ExportSource =
  | { kind: 'search'; searchId: string; query: string }
  | { kind: 'selection'; count: number };

export interface ExportPart {
  name: string;
  bytes: number;
  sha256: string;
}

export interface ExportRecord {
  id: string;
  matterId: string;
  source: ExportSource;
  requestedBy: string;
  requestedAt: string;
  status: ExportStatus;
  /** Messages selected (known once the selection is frozen) and written so far. */
  total: number;
  done: number;
  bytes: number;
  prefix: string;
  firstNumber: number;
  lastNumber: number | null;
  parts: ExportPart[];
  manifestSha256: string | null;
  error: string | null;
  finishedAt: string | null;
}

export interface MatterDetail extends Matter {
  searches: SavedSearch[];
  holds: HoldLink[];
  exports: ExportRecord[];
}

const USER = z.string().min(1).max(64);
export const SHA256 = z.string().regex(/^[0-9a-f]{64}$/);
export const MATTER_ID = z.string().regex(/^mat-\d{8}-[0-9a-f]{8}$/);
export const SEARCH_ID = z.string().regex(/^srch-\d{8}-[0-9a-f]{8}$/);
export const EXPORT_ID = z.string().regex(/^exp-\d{8}-[0-9a-f]{8}$/);

export const matterInput = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(10_000).default(''),
  custodians: z.array(z.string().trim().min(1).max(320)).max(10_000).default([]),
}).strict();
export type MatterInput = z.infer<typeof matterInput>;

export const matterChange = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  description: z.string().max(10_000).optional(),
  custodians: z.array(z.string().trim().min(1).max(320)).max(10_000).optional(),
}).strict();
export type MatterChange = z.infer<typeof matterChange>;

export const membersInput = z.object({ members: z.array(USER).max(1000) }).strict();

export const searchInput = z.object({
  name: z.string().trim().min(1).max(200),
  query: z.string().max(10_000),
}).strict();

export const holdLinkInput = z.object({ holdId: z.string().min(1).max(80) }).strict();

/** Bates-style numbering: an upper-case prefix, then the sequence zero-padded to `digits`. */
export const exportInput = z.object({
  searchId: SEARCH_ID.optional(),
  messageIds: z.array(SHA256).min(1).max(1_000_000).optional(),
  prefix: z.string().regex(/^[A-Z][A-Z0-9_-]{0,19}$/).default('DOC'),
  startNumber: z.number().int().min(1).max(999_999_999).default(1),
  digits: z.number().int().min(4).max(12).default(7),
  /** A new ZIP part starts before an entry would take the current one past this size. */
  splitBytes: z.number().int().min(1024 * 1024).max(64 * 1024 ** 3).default(2 * 1024 ** 3),
  /** Also one .mbox of every native (MBOX/<prefix>_<exportId>.mbox), for mail clients. */
  mbox: z.boolean().default(false),
}).strict().refine((v) => (v.searchId === undefined) !== (v.messageIds === undefined), { message: 'give exactly one of searchId or messageIds' });
export type ExportInput = z.infer<typeof exportInput>;

/** The knobs an export job runs with (the request's, plus what only tests and the bench change). */
export interface ExportOptions {
  prefix: string;
  startNumber: number;
  digits: number;
  splitBytes: number;
  /** Absent in jobs recorded before the option existed: no mbox. */
  mbox?: boolean;
}

export const controlNumber = (prefix: string, n: number, digits: number) => `${prefix}${String(n).padStart(digits, '0')}`;
