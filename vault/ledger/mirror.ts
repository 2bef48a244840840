// A local SQLite copy of the ledger for queries (dedup look-ups, the audit trail). It is a
// cache: the ledger's truth is the blocks in the vault, and the mirror is refilled from them.
import Database from 'better-sqlite3';
import type { LedgerEntry } from './chain.ts';

export interface EntryFilter {
  types?: string[];
  actor?: string;
  subject?: string;
  since?: string;
  until?: string;
  afterSeq?: number;
  limit?: number;
}

export class LedgerMirror {
  private readonly db: Database.Database;
  private readonly insertStmt: Database.Statement;
  private readonly firstStmt: Database.Statement;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // The mirror can be rebuilt from the vault, so it need not fsync every commit.
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS entries (
        seq INTEGER PRIMARY KEY, time TEXT NOT NULL, type TEXT NOT NULL, actor TEXT NOT NULL,
        subject TEXT, data TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS entries_subject ON entries(subject, type);
      CREATE INDEX IF NOT EXISTS entries_type_time ON entries(type, time);`);
    this.firstStmt = this.db.prepare('SELECT * FROM entries WHERE subject = ? AND type = ? ORDER BY seq LIMIT 1');
    this.insertStmt = this.db.prepare(
      'INSERT OR IGNORE INTO entries (seq, time, type, actor, subject, data, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  insert(entries: readonly LedgerEntry[]): void {
    const tx = this.db.transaction((rows: readonly LedgerEntry[]) => {
      for (const e of rows) {
        this.insertStmt.run(e.seq, e.time, e.type, e.actor, e.subject ?? null, JSON.stringify(e.data), e.prev, e.hash);
      }
    });
    tx(entries);
  }

  head(): { seq: number; hash: string } | null {
    const row = this.db.prepare('SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    return row ?? null;
  }

  /** The first entry of `type` about `subject`, if any. */
  first(type: string, subject: string): LedgerEntry | null {
    const row = this.firstStmt.get(subject, type);
    return row ? toEntry(row as Row) : null;
  }

  query(f: EntryFilter): LedgerEntry[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.types?.length) {
      where.push(`type IN (${f.types.map(() => '?').join(',')})`);
      args.push(...f.types);
    }
    if (f.actor) (where.push('actor = ?'), args.push(f.actor));
    if (f.subject) (where.push('subject = ?'), args.push(f.subject));
    if (f.since) (where.push('time >= ?'), args.push(f.since));
    if (f.until) (where.push('time < ?'), args.push(f.until));
    if (f.afterSeq !== undefined) (where.push('seq > ?'), args.push(f.afterSeq));
    const sql = `SELECT * FROM entries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ?`;
    return (this.db.prepare(sql).all(...args, f.limit ?? 1000) as Row[]).map(toEntry);
  }

  clear(): void {
    this.db.exec('DELETE FROM entries');
  }

  close(): void {
    this.db.close();
  }
}

interface Row {
  seq: number;
  time: string;
  type: string;
  actor: string;
  subject: string | null;
  data: string;
  prev: string;
  hash: string;
}

function toEntry(r: Row): LedgerEntry {
  return { seq: r.seq, time: r.time, type: r.type, actor: r.actor, subject: r.subject ?? undefined, data: JSON.parse(r.data), prev: r.prev, hash: r.hash };
}
