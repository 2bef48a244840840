// SQLite-backed discovery catalog (better-sqlite3, synchronous): matters and who belongs to
// them, saved searches, hold links, exports and their frozen selections.
import Database from 'better-sqlite3';
import type { ExportOptions, ExportPart, ExportRecord, ExportSource, ExportStatus, HoldLink, Matter, SavedSearch } from '../model.ts';
import { applySchema } from './schema.ts';

type Row = Record<string, unknown>;
const strOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));

export class DiscoveryStore {
  readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    applySchema(this.db);
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    this.db.close();
  }

  // --- matters

  insertMatter(m: Matter): void {
    this.tx(() => {
      this.db.prepare('INSERT INTO matters (id, name, description, custodians, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(m.id, m.name, m.description, JSON.stringify(m.custodians), m.createdBy, m.createdAt);
      this.setMembers(m.id, m.members);
    });
  }

  updateMatter(id: string, patch: { name?: string; description?: string; custodians?: string[] }): void {
    const m = this.matter(id);
    if (!m) return;
    this.db.prepare('UPDATE matters SET name = ?, description = ?, custodians = ? WHERE id = ?')
      .run(patch.name ?? m.name, patch.description ?? m.description, JSON.stringify(patch.custodians ?? m.custodians), id);
  }

  setMembers(id: string, members: string[]): void {
    this.tx(() => {
      this.db.prepare('DELETE FROM matter_members WHERE matter_id = ?').run(id);
      const add = this.db.prepare('INSERT OR IGNORE INTO matter_members (matter_id, username) VALUES (?, ?)');
      for (const u of members) add.run(id, u);
    });
  }

  matter(id: string): Matter | null {
    const r = this.db.prepare('SELECT * FROM matters WHERE id = ?').get(id) as Row | undefined;
    return r ? this.toMatter(r) : null;
  }

  /** Every matter (admins), or only those `username` belongs to. */
  matters(username?: string): Matter[] {
    const rows = username === undefined
      ? (this.db.prepare('SELECT * FROM matters ORDER BY created_at, id').all() as Row[])
      : (this.db.prepare('SELECT m.* FROM matters m JOIN matter_members mm ON mm.matter_id = m.id WHERE mm.username = ? ORDER BY m.created_at, m.id').all(username) as Row[]);
    return rows.map((r) => this.toMatter(r));
  }

  isMember(id: string, username: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM matter_members WHERE matter_id = ? AND username = ?').get(id, username);
  }

  private toMatter(r: Row): Matter {
    const members = (this.db.prepare('SELECT username FROM matter_members WHERE matter_id = ? ORDER BY username').all(r.id) as Row[]).map((m) => String(m.username));
    return {
      id: String(r.id), name: String(r.name), description: String(r.description), custodians: JSON.parse(String(r.custodians)) as string[],
      members, createdBy: String(r.created_by), createdAt: String(r.created_at),
    };
  }

  // --- saved searches and holds

  insertSearch(s: SavedSearch): void {
    this.db.prepare('INSERT INTO saved_searches (id, matter_id, name, query, run_by, run_at, hits) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(s.id, s.matterId, s.name, s.query, s.runBy, s.runAt, s.hits);
  }

  search(id: string): SavedSearch | null {
    const r = this.db.prepare('SELECT * FROM saved_searches WHERE id = ?').get(id) as Row | undefined;
    return r ? toSearch(r) : null;
  }

  searches(matterId: string): SavedSearch[] {
    return (this.db.prepare('SELECT * FROM saved_searches WHERE matter_id = ? ORDER BY run_at, id').all(matterId) as Row[]).map(toSearch);
  }

  linkHold(matterId: string, link: HoldLink): boolean {
    const r = this.db.prepare('INSERT OR IGNORE INTO matter_holds (matter_id, hold_id, linked_by, linked_at) VALUES (?, ?, ?, ?)')
      .run(matterId, link.holdId, link.linkedBy, link.linkedAt);
    return r.changes > 0;
  }

  holds(matterId: string): HoldLink[] {
    return (this.db.prepare('SELECT * FROM matter_holds WHERE matter_id = ? ORDER BY linked_at, hold_id').all(matterId) as Row[])
      .map((r) => ({ holdId: String(r.hold_id), linkedBy: String(r.linked_by), linkedAt: String(r.linked_at) }));
  }

  // --- exports

  insertExport(e: { id: string; matterId: string; source: ExportSource; options: ExportOptions; requestedBy: string; requestedAt: string }): void {
    this.db.prepare('INSERT INTO exports (id, matter_id, source, options, requested_by, requested_at, status) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(e.id, e.matterId, JSON.stringify(e.source), JSON.stringify(e.options), e.requestedBy, e.requestedAt, 'queued');
  }

  export(id: string): (ExportRecord & { options: ExportOptions }) | null {
    const r = this.db.prepare('SELECT * FROM exports WHERE id = ?').get(id) as Row | undefined;
    return r ? toExport(r) : null;
  }

  exports(matterId?: string, status?: ExportStatus[]): Array<ExportRecord & { options: ExportOptions }> {
    const rows = this.db.prepare('SELECT * FROM exports ORDER BY requested_at, id').all() as Row[];
    return rows.map(toExport).filter((e) => (matterId === undefined || e.matterId === matterId) && (!status || status.includes(e.status)));
  }

  setExport(id: string, patch: Partial<{ status: ExportStatus; total: number; done: number; bytes: number; lastNumber: number; parts: ExportPart[]; manifestSha256: string; error: string; finishedAt: string }>): void {
    const cols: Record<string, string> = { status: 'status', total: 'total', done: 'done', bytes: 'bytes', lastNumber: 'last_number', parts: 'parts', manifestSha256: 'manifest_sha256', error: 'error', finishedAt: 'finished_at' };
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [k, v] of Object.entries(patch)) {
      sets.push(`${cols[k]} = ?`);
      values.push(k === 'parts' ? JSON.stringify(v) : v);
    }
    if (sets.length) this.db.prepare(`UPDATE exports SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
  }

  /** Appends to an export's frozen selection; duplicates (the same id twice) are dropped. */
  addItems(exportId: string, ids: string[]): void {
    this.tx(() => {
      const next = Number((this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS n FROM export_items WHERE export_id = ?').get(exportId) as Row).n);
      const add = this.db.prepare('INSERT OR IGNORE INTO export_items (export_id, seq, sha256) VALUES (?, ?, ?)');
      let seq = next;
      for (const id of ids) if (add.run(exportId, seq + 1, id).changes > 0) seq++;
    });
  }

  itemCount(exportId: string): number {
    return Number((this.db.prepare('SELECT COUNT(*) AS n FROM export_items WHERE export_id = ?').get(exportId) as Row).n);
  }

  /** One page of the selection after `afterSeq`, in selection order. */
  items(exportId: string, afterSeq: number, limit: number): Array<{ seq: number; sha256: string }> {
    return (this.db.prepare('SELECT seq, sha256 FROM export_items WHERE export_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(exportId, afterSeq, limit) as Row[])
      .map((r) => ({ seq: Number(r.seq), sha256: String(r.sha256) }));
  }
}

function toSearch(r: Row): SavedSearch {
  return { id: String(r.id), matterId: String(r.matter_id), name: String(r.name), query: String(r.query), runBy: String(r.run_by), runAt: String(r.run_at), hits: Number(r.hits) };
}

function toExport(r: Row): ExportRecord & { options: ExportOptions } {
  const options = JSON.parse(String(r.options)) as ExportOptions;
  return {
    id: String(r.id), matterId: String(r.matter_id), source: JSON.parse(String(r.source)) as ExportSource,
    requestedBy: String(r.requested_by), requestedAt: String(r.requested_at), status: String(r.status) as ExportStatus,
    total: Number(r.total), done: Number(r.done), bytes: Number(r.bytes), prefix: options.prefix, firstNumber: options.startNumber,
    lastNumber: r.last_number === null ? null : Number(r.last_number), parts: JSON.parse(String(r.parts)) as ExportPart[],
    manifestSha256: strOrNull(r.manifest_sha256), error: strOrNull(r.error), finishedAt: strOrNull(r.finished_at), options,
  };
}
