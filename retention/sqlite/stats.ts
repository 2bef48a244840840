// Aggregates over the retention catalog for the records manager's charts and the disposition
// review: computed by SQLite (GROUP BY over the message projection), never by loading messages.
import type Database from 'better-sqlite3';

type Row = Record<string, unknown>;

export interface VolumeRow {
  category: string;
  /** Calendar year (UTC) the message was received into the archive. */
  year: string;
  count: number;
}

export interface DueRow {
  category: string;
  /** YYYY-MM (UTC) in which the retain-until falls. */
  month: string;
  count: number;
}

export interface OverdueRow {
  category: string;
  /** Past retain-until and not destroyed. */
  count: number;
  /** Of those, covered by at least one hold (never proposed while held). */
  held: number;
  /** Of those, in a proposed or approved batch. */
  inBatch: number;
}

/** Live messages per category and year of receipt. */
export function volumeByCategoryAndYear(db: Database.Database): VolumeRow[] {
  return (db.prepare(`SELECT category, substr(received_at, 1, 4) AS year, count(*) AS n FROM messages
    WHERE status = 'live' GROUP BY category, year ORDER BY year, category`).all() as Row[])
    .map((r) => ({ category: String(r.category), year: String(r.year), count: Number(r.n) }));
}

/** Live messages whose retain-until falls in [now, until), per category and month. */
export function dueByCategoryAndMonth(db: Database.Database, now: string, until: string): DueRow[] {
  return (db.prepare(`SELECT category, substr(retain_until, 1, 7) AS month, count(*) AS n FROM messages
    WHERE status = 'live' AND retain_until > ? AND retain_until < ? GROUP BY category, month ORDER BY month, category`).all(now, until) as Row[])
    .map((r) => ({ category: String(r.category), month: String(r.month), count: Number(r.n) }));
}

/** Live messages already past retain-until, per category, with how many are held or in an open batch. */
export function overdueByCategory(db: Database.Database, now: string): OverdueRow[] {
  return (db.prepare(`SELECT m.category,
      count(*) AS n,
      sum(EXISTS (SELECT 1 FROM message_holds h WHERE h.sha256 = m.sha256)) AS held,
      sum(EXISTS (SELECT 1 FROM batch_items i JOIN batches b ON b.id = i.batch_id
        WHERE i.sha256 = m.sha256 AND b.status IN ('proposed', 'approved'))) AS in_batch
    FROM messages m WHERE m.status = 'live' AND m.retain_until <= ? GROUP BY m.category ORDER BY m.category`).all(now) as Row[])
    .map((r) => ({ category: String(r.category), count: Number(r.n), held: Number(r.held), inBatch: Number(r.in_batch) }));
}

export interface HeldExclusion {
  holdId: string;
  name: string;
  matter: string;
  /** Messages of the batch's category, due when the batch was proposed, that this hold keeps. */
  due: number;
  /** Messages inside the batch that this hold now covers (placed after the proposal): they will be kept. */
  inBatch: number;
}

/**
 * Why due mail of a batch's category is not (or will not be) destroyed: per active hold, the
 * messages due at the proposal that it keeps out of the batch, and the batch's own messages it
 * has covered since (destruction skips them).
 */
export function heldExclusions(db: Database.Database, batchId: string, category: string, proposedAt: string): HeldExclusion[] {
  const rows = db.prepare(`SELECT h.id, h.name, h.matter,
      (SELECT count(*) FROM message_holds mh JOIN messages m ON m.sha256 = mh.sha256
        WHERE mh.hold_id = h.id AND m.status = 'live' AND m.category = ? AND m.retain_until <= ?
        AND NOT EXISTS (SELECT 1 FROM batch_items i WHERE i.batch_id = ? AND i.sha256 = m.sha256)) AS due,
      (SELECT count(*) FROM message_holds mh JOIN batch_items i ON i.sha256 = mh.sha256
        WHERE mh.hold_id = h.id AND i.batch_id = ?) AS in_batch
    FROM holds h WHERE h.status = 'active' ORDER BY h.created_at, h.id`).all(category, proposedAt, batchId, batchId) as Row[];
  return rows
    .map((r) => ({ holdId: String(r.id), name: String(r.name), matter: String(r.matter), due: Number(r.due), inBatch: Number(r.in_batch) }))
    .filter((r) => r.due > 0 || r.inBatch > 0);
}

/** Distinct live messages of a category, due at `proposedAt`, outside the batch, covered by a hold. */
export function heldDueCount(db: Database.Database, batchId: string, category: string, proposedAt: string): number {
  return Number((db.prepare(`SELECT count(*) AS n FROM messages m WHERE m.status = 'live' AND m.category = ? AND m.retain_until <= ?
    AND EXISTS (SELECT 1 FROM message_holds h WHERE h.sha256 = m.sha256)
    AND NOT EXISTS (SELECT 1 FROM batch_items i WHERE i.batch_id = ? AND i.sha256 = m.sha256)`).get(category, proposedAt, batchId) as Row).n);
}
