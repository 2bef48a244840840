// The retention catalog's SQLite schema. messages is a projection of the ledger (rebuildable
// by resetting the watermark); holds, batches and approvals are decisions, mirrored on the ledger.
import type Database from 'better-sqlite3';

export function applySchema(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  // Hold counts and batch states decide what may be destroyed: every commit is fsync'd.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.exec(`
    CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS categories (
      name TEXT PRIMARY KEY, retain_years INTEGER NOT NULL, retain_days INTEGER NOT NULL,
      description TEXT NOT NULL, updated_at TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS rules (
      id TEXT PRIMARY KEY, priority INTEGER NOT NULL, category TEXT NOT NULL, match TEXT NOT NULL,
      enabled INTEGER NOT NULL, description TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS holds (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, matter TEXT NOT NULL, scope TEXT NOT NULL,
      status TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL,
      released_by TEXT, released_at TEXT);
    CREATE TABLE IF NOT EXISTS messages (
      sha256 TEXT PRIMARY KEY, category TEXT NOT NULL, rule TEXT NOT NULL, retain_until TEXT NOT NULL,
      received_at TEXT NOT NULL, message_id TEXT, status TEXT NOT NULL DEFAULT 'live',
      deferred_until TEXT);
    CREATE INDEX IF NOT EXISTS messages_due ON messages(status, retain_until);
    CREATE INDEX IF NOT EXISTS messages_category ON messages(category);
    CREATE TABLE IF NOT EXISTS message_holds (
      hold_id TEXT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (hold_id, sha256));
    CREATE INDEX IF NOT EXISTS message_holds_sha ON message_holds(sha256);
    -- Messages whose holds, category or retain-until changed after indexing: an outbox written in
    -- the same transaction as the change, emptied once the index has the new state (gen guards
    -- against deleting an entry that changed again while it was being sent).
    CREATE TABLE IF NOT EXISTS index_sync (sha256 TEXT PRIMARY KEY, gen INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE IF NOT EXISTS batches (
      id TEXT PRIMARY KEY, category TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
      approvals_required INTEGER NOT NULL, decided_at TEXT, rejected_by TEXT, reason TEXT);
    CREATE TABLE IF NOT EXISTS batch_items (
      batch_id TEXT NOT NULL REFERENCES batches(id), sha256 TEXT NOT NULL, category TEXT NOT NULL,
      rule TEXT NOT NULL, retain_until TEXT NOT NULL, message_id TEXT,
      state TEXT NOT NULL DEFAULT 'pending', destroyed_at TEXT, note TEXT,
      PRIMARY KEY (batch_id, sha256));
    CREATE INDEX IF NOT EXISTS batch_items_sha ON batch_items(sha256);
    CREATE TABLE IF NOT EXISTS approvals (
      batch_id TEXT NOT NULL REFERENCES batches(id), actor TEXT NOT NULL, at TEXT NOT NULL,
      reason TEXT NOT NULL, PRIMARY KEY (batch_id, actor));
    CREATE TABLE IF NOT EXISTS certificates (
      id TEXT PRIMARY KEY, issued_at TEXT NOT NULL, category TEXT NOT NULL, count INTEGER NOT NULL,
      sha256 TEXT NOT NULL, body BLOB NOT NULL);
    CREATE TABLE IF NOT EXISTS jobs (
      id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, done INTEGER NOT NULL,
      total INTEGER NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, error TEXT, result TEXT);`);
}
