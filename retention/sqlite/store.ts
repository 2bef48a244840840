// SQLite-backed retention catalog: categories, rules, holds with per-message hold counts, the
// message projection, disposition batches, certificates and jobs. Synchronous (better-sqlite3),
// so the classifier can consult it on the ingest path without a round trip.
import Database from 'better-sqlite3';
import type { Batch, BatchStatus, Category, Hold, Job, MessageRow, Rule } from '../model.ts';
import { applySchema } from './schema.ts';

type Row = Record<string, unknown>;
const str = (v: unknown) => (v === null || v === undefined ? undefined : String(v));

export interface BatchItem {
  sha256: string;
  category: string;
  rule: string;
  retainUntil: string;
  messageId?: string;
  state: 'pending' | 'destroyed' | 'skipped';
  destroyedAt?: string;
  note?: string;
}

export class RetentionStore {
  readonly db: Database.Database;

  /** Prepared once per SQL text: the classifier reads this store for every message ingested. */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(path: string) {
    this.db = new Database(path);
    applySchema(this.db);
  }

  private sql(text: string): Database.Statement {
    let st = this.statements.get(text);
    if (!st) this.statements.set(text, (st = this.db.prepare(text)));
    return st;
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  getSetting(key: string): string | undefined {
    return str((this.sql('SELECT value FROM settings WHERE key = ?').get(key) as Row | undefined)?.value);
  }

  setSetting(key: string, value: string): void {
    this.sql('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  // --- categories and rules

  categories(): Map<string, Category> {
    const rows = this.sql('SELECT * FROM categories ORDER BY name').all() as Row[];
    return new Map(rows.map((r) => [String(r.name), {
      name: String(r.name), retainYears: Number(r.retain_years), retainDays: Number(r.retain_days),
      description: String(r.description), updatedAt: String(r.updated_at),
    }]));
  }

  putCategory(c: Category): void {
    this.sql(`INSERT INTO categories (name, retain_years, retain_days, description, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(name) DO UPDATE SET retain_years = excluded.retain_years, retain_days = excluded.retain_days,
      description = excluded.description, updated_at = excluded.updated_at`).run(c.name, c.retainYears, c.retainDays, c.description, c.updatedAt);
  }

  /** Enabled and disabled rules in evaluation order (priority, then id for a stable tie-break). */
  rules(): Rule[] {
    const rows = this.sql('SELECT * FROM rules ORDER BY priority, id').all() as Row[];
    return rows.map((r) => ({
      id: String(r.id), priority: Number(r.priority), category: String(r.category),
      match: JSON.parse(String(r.match)), enabled: r.enabled === 1, description: String(r.description),
    }));
  }

  putRule(r: Rule): void {
    this.sql(`INSERT INTO rules (id, priority, category, match, enabled, description) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET priority = excluded.priority, category = excluded.category, match = excluded.match,
      enabled = excluded.enabled, description = excluded.description`).run(r.id, r.priority, r.category, JSON.stringify(r.match), r.enabled ? 1 : 0, r.description);
  }

  deleteRule(id: string): boolean {
    return this.sql('DELETE FROM rules WHERE id = ?').run(id).changes > 0;
  }

  // --- holds

  holds(status?: Hold['status']): Hold[] {
    const rows = (status
      ? this.sql('SELECT * FROM holds WHERE status = ? ORDER BY created_at, id').all(status)
      : this.sql('SELECT * FROM holds ORDER BY created_at, id').all()) as Row[];
    return rows.map(toHold);
  }

  hold(id: string): Hold | null {
    const r = this.sql('SELECT * FROM holds WHERE id = ?').get(id) as Row | undefined;
    return r ? toHold(r) : null;
  }

  putHold(h: Hold): void {
    this.sql(`INSERT INTO holds (id, name, matter, scope, status, created_by, created_at, released_by, released_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, scope = excluded.scope,
      status = excluded.status, released_by = excluded.released_by, released_at = excluded.released_at`)
      .run(h.id, h.name, h.matter, JSON.stringify(h.scope), h.status, h.createdBy, h.createdAt, h.releasedBy ?? null, h.releasedAt ?? null);
  }

  /** Links a hold to messages; returns the ids that were not yet linked to it. */
  linkHold(holdId: string, ids: string[]): string[] {
    const ins = this.sql('INSERT OR IGNORE INTO message_holds (hold_id, sha256) VALUES (?, ?)');
    return this.tx(() => {
      const added = ids.filter((id) => ins.run(holdId, id).changes > 0);
      this.queueIndexSync(added);
      return added;
    });
  }

  /** Unlinks a hold from some (or all) of its messages; returns those now covered by no hold. */
  unlinkHold(holdId: string, only?: string[]): string[] {
    return this.tx(() => {
      const ids = only ?? (this.sql('SELECT sha256 FROM message_holds WHERE hold_id = ?').all(holdId) as Row[]).map((r) => String(r.sha256));
      const del = this.sql('DELETE FROM message_holds WHERE hold_id = ? AND sha256 = ?');
      this.queueIndexSync(ids.filter((id) => del.run(holdId, id).changes > 0));
      return ids.filter((id) => this.holdCount(id) === 0);
    });
  }

  heldBy(holdId: string): string[] {
    return (this.sql('SELECT sha256 FROM message_holds WHERE hold_id = ? ORDER BY sha256').all(holdId) as Row[]).map((r) => String(r.sha256));
  }

  /** Messages each hold covers, in one pass over the (hold_id, sha256) primary key; holds covering none are absent. */
  heldCounts(): Map<string, number> {
    const rows = this.sql('SELECT hold_id, count(*) AS n FROM message_holds GROUP BY hold_id').all() as Row[];
    return new Map(rows.map((r) => [String(r.hold_id), Number(r.n)]));
  }

  holdCount(sha256: string): number {
    return Number((this.sql('SELECT count(*) AS n FROM message_holds WHERE sha256 = ?').get(sha256) as Row).n);
  }

  holdsOf(sha256: string): string[] {
    return (this.sql('SELECT hold_id FROM message_holds WHERE sha256 = ? ORDER BY hold_id').all(sha256) as Row[]).map((r) => String(r.hold_id));
  }

  // --- the message projection

  upsertMessage(m: MessageRow): void {
    this.sql(`INSERT INTO messages (sha256, category, rule, retain_until, received_at, message_id, status)
      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sha256) DO NOTHING`)
      .run(m.sha256, m.category, m.rule, m.retainUntil, m.receivedAt, m.messageId ?? null, m.status);
  }

  /** Only ever later: a retain-until is never shortened here either (invariant 4). */
  extendMessage(sha256: string, retainUntil: string, category: string, rule: string): void {
    this.tx(() => {
      const changed = this.sql('UPDATE messages SET retain_until = ?, category = ?, rule = ? WHERE sha256 = ? AND retain_until < ?')
        .run(retainUntil, category, rule, sha256, retainUntil).changes > 0;
      if (changed) this.queueIndexSync([sha256]);
    });
  }

  // --- the index outbox (retention/index-sync.ts sends it)

  /** Call inside the transaction that changed these messages' holds, category or retain-until. */
  queueIndexSync(ids: string[]): void {
    const st = this.sql('INSERT INTO index_sync (sha256) VALUES (?) ON CONFLICT(sha256) DO UPDATE SET gen = gen + 1');
    for (const id of ids) st.run(id);
  }

  indexSyncQueue(limit: number): Array<{ sha256: string; gen: number }> {
    return (this.sql('SELECT sha256, gen FROM index_sync ORDER BY rowid LIMIT ?').all(limit) as Row[])
      .map((r) => ({ sha256: String(r.sha256), gen: Number(r.gen) }));
  }

  /** Removes entries the index now reflects, unless they changed again since they were read. */
  indexSynced(entries: Array<{ sha256: string; gen: number }>): void {
    const del = this.sql('DELETE FROM index_sync WHERE sha256 = ? AND gen = ?');
    this.tx(() => entries.forEach((e) => del.run(e.sha256, e.gen)));
  }

  indexSyncPending(): number {
    return Number((this.sql('SELECT count(*) AS n FROM index_sync').get() as Row).n);
  }

  /** Messages catalogued after a position (SQLite rowid order = arrival order in the catalog). */
  messagesAfter(rowid: number, limit: number): Array<{ rowid: number; sha256: string }> {
    return (this.sql("SELECT rowid, sha256 FROM messages WHERE rowid > ? AND status = 'live' ORDER BY rowid LIMIT ?").all(rowid, limit) as Row[])
      .map((r) => ({ rowid: Number(r.rowid), sha256: String(r.sha256) }));
  }

  lastRowid(): number {
    return Number((this.sql('SELECT coalesce(max(rowid), 0) AS n FROM messages').get() as Row).n);
  }

  markDestroyed(sha256: string): void {
    this.sql("UPDATE messages SET status = 'destroyed' WHERE sha256 = ?").run(sha256);
  }

  deferMessages(ids: string[], until: string): void {
    const st = this.sql('UPDATE messages SET deferred_until = ? WHERE sha256 = ?');
    this.tx(() => ids.forEach((id) => st.run(until, id)));
  }

  message(sha256: string): MessageRow | null {
    const r = this.sql('SELECT * FROM messages WHERE sha256 = ?').get(sha256) as Row | undefined;
    return r ? toMessage(r) : null;
  }

  /** Live messages in pages by id, for re-evaluation jobs. */
  liveMessages(afterId: string, limit: number, category?: string): MessageRow[] {
    const rows = category
      ? this.sql("SELECT * FROM messages WHERE status = 'live' AND sha256 > ? AND category = ? ORDER BY sha256 LIMIT ?").all(afterId, category, limit)
      : this.sql("SELECT * FROM messages WHERE status = 'live' AND sha256 > ? ORDER BY sha256 LIMIT ?").all(afterId, limit);
    return (rows as Row[]).map(toMessage);
  }

  countLive(category?: string): number {
    const row = (category
      ? this.sql("SELECT count(*) AS n FROM messages WHERE status = 'live' AND category = ?").get(category)
      : this.sql("SELECT count(*) AS n FROM messages WHERE status = 'live'").get()) as Row;
    return Number(row.n);
  }

  /** Past retain-until, covered by no hold, not deferred by a rejection, not in an open batch. */
  dueMessages(now: string): MessageRow[] {
    return (this.sql(`SELECT m.* FROM messages m WHERE m.status = 'live' AND m.retain_until <= ?
      AND (m.deferred_until IS NULL OR m.deferred_until <= ?)
      AND NOT EXISTS (SELECT 1 FROM message_holds h WHERE h.sha256 = m.sha256)
      AND NOT EXISTS (SELECT 1 FROM batch_items i JOIN batches b ON b.id = i.batch_id
        WHERE i.sha256 = m.sha256 AND b.status IN ('proposed', 'approved'))
      ORDER BY m.category, m.retain_until, m.sha256`).all(now, now) as Row[]).map(toMessage);
  }

  // --- disposition batches

  createBatch(b: { id: string; category: string; createdAt: string; approvalsRequired: number }, items: MessageRow[]): void {
    this.tx(() => {
      this.sql("INSERT INTO batches (id, category, status, created_at, approvals_required) VALUES (?, ?, 'proposed', ?, ?)")
        .run(b.id, b.category, b.createdAt, b.approvalsRequired);
      const ins = this.sql('INSERT INTO batch_items (batch_id, sha256, category, rule, retain_until, message_id) VALUES (?, ?, ?, ?, ?, ?)');
      for (const m of items) ins.run(b.id, m.sha256, m.category, m.rule, m.retainUntil, m.messageId ?? null);
    });
  }

  batch(id: string): Batch | null {
    const r = this.sql('SELECT b.*, (SELECT count(*) FROM batch_items i WHERE i.batch_id = b.id) AS n FROM batches b WHERE id = ?').get(id) as Row | undefined;
    return r ? this.toBatch(r) : null;
  }

  batches(status?: BatchStatus): Batch[] {
    const sql = `SELECT b.*, (SELECT count(*) FROM batch_items i WHERE i.batch_id = b.id) AS n FROM batches b ${status ? 'WHERE status = ?' : ''} ORDER BY created_at DESC, id`;
    return ((status ? this.sql(sql).all(status) : this.sql(sql).all()) as Row[]).map((r) => this.toBatch(r));
  }

  batchItems(id: string, limit = 1_000_000, offset = 0): BatchItem[] {
    return (this.sql('SELECT * FROM batch_items WHERE batch_id = ? ORDER BY sha256 LIMIT ? OFFSET ?').all(id, limit, offset) as Row[]).map((r) => ({
      sha256: String(r.sha256), category: String(r.category), rule: String(r.rule), retainUntil: String(r.retain_until),
      messageId: str(r.message_id), state: String(r.state) as BatchItem['state'], destroyedAt: str(r.destroyed_at), note: str(r.note),
    }));
  }

  setItemState(batchId: string, sha256: string, state: BatchItem['state'], at: string | null, note: string | null): void {
    this.sql('UPDATE batch_items SET state = ?, destroyed_at = ?, note = ? WHERE batch_id = ? AND sha256 = ?').run(state, at, note, batchId, sha256);
  }

  addApproval(batchId: string, actor: string, at: string, reason: string): boolean {
    return this.sql('INSERT OR IGNORE INTO approvals (batch_id, actor, at, reason) VALUES (?, ?, ?, ?)').run(batchId, actor, at, reason).changes > 0;
  }

  setBatchStatus(id: string, status: BatchStatus, fields: { decidedAt?: string; rejectedBy?: string; reason?: string } = {}): void {
    this.sql('UPDATE batches SET status = ?, decided_at = coalesce(?, decided_at), rejected_by = coalesce(?, rejected_by), reason = coalesce(?, reason) WHERE id = ?')
      .run(status, fields.decidedAt ?? null, fields.rejectedBy ?? null, fields.reason ?? null, id);
  }

  private toBatch(r: Row): Batch {
    const approvals = (this.sql('SELECT actor, at, reason FROM approvals WHERE batch_id = ? ORDER BY at, actor').all(r.id) as Row[])
      .map((a) => ({ actor: String(a.actor), at: String(a.at), reason: String(a.reason) }));
    return {
      id: String(r.id), category: String(r.category), status: String(r.status) as BatchStatus, createdAt: String(r.created_at),
      count: Number(r.n), approvalsRequired: Number(r.approvals_required), approvals,
      decidedAt: str(r.decided_at), rejectedBy: str(r.rejected_by), reason: str(r.reason),
    };
  }

  // --- certificates and jobs

  putCertificate(c: { id: string; issuedAt: string; category: string; count: number; sha256: string; body: Buffer }): void {
    this.sql('INSERT OR IGNORE INTO certificates (id, issued_at, category, count, sha256, body) VALUES (?, ?, ?, ?, ?, ?)')
      .run(c.id, c.issuedAt, c.category, c.count, c.sha256, c.body);
  }

  certificates(): Array<{ id: string; issuedAt: string; category: string; count: number; sha256: string }> {
    return (this.sql('SELECT id, issued_at, category, count, sha256 FROM certificates ORDER BY issued_at DESC, id').all() as Row[])
      .map((r) => ({ id: String(r.id), issuedAt: String(r.issued_at), category: String(r.category), count: Number(r.count), sha256: String(r.sha256) }));
  }

  certificateBody(id: string): Buffer | null {
    const r = this.sql('SELECT body FROM certificates WHERE id = ?').get(id) as Row | undefined;
    return r ? Buffer.from(r.body as Uint8Array) : null;
  }

  putJob(j: Job): void {
    this.sql(`INSERT INTO jobs (id, kind, status, done, total, started_at, finished_at, error, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET status = excluded.status, done = excluded.done, total = excluded.total,
      finished_at = excluded.finished_at, error = excluded.error, result = excluded.result`)
      .run(j.id, j.kind, j.status, j.done, j.total, j.startedAt, j.finishedAt ?? null, j.error ?? null, j.result === undefined ? null : JSON.stringify(j.result));
  }

  job(id: string): Job | null {
    const r = this.sql('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
    if (!r) return null;
    return {
      id: String(r.id), kind: String(r.kind), status: String(r.status) as Job['status'], done: Number(r.done), total: Number(r.total),
      startedAt: String(r.started_at), finishedAt: str(r.finished_at), error: str(r.error), result: r.result ? JSON.parse(String(r.result)) : undefined,
    };
  }

  close(): void {
    this.db.close();
  }
}

function toHold(r: Row): Hold {
  return {
    id: String(r.id), name: String(r.name), matter: String(r.matter), scope: JSON.parse(String(r.scope)),
    status: String(r.status) as Hold['status'], createdBy: String(r.created_by), createdAt: String(r.created_at),
    releasedBy: str(r.released_by), releasedAt: str(r.released_at),
  };
}

function toMessage(r: Row): MessageRow {
  return {
    sha256: String(r.sha256), category: String(r.category), rule: String(r.rule), retainUntil: String(r.retain_until),
    receivedAt: String(r.received_at), messageId: str(r.message_id), status: String(r.status) as MessageRow['status'],
  };
}
