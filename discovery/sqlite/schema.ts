// The discovery catalog's SQLite schema: matters, members, saved searches, hold links, exports
// and each export's frozen selection (so a job pages from disk, not from memory).
import type Database from 'better-sqlite3';

export function applySchema(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.exec(`
    CREATE TABLE IF NOT EXISTS matters (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, custodians TEXT NOT NULL,
      created_by TEXT NOT NULL, created_at TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS matter_members (
      matter_id TEXT NOT NULL REFERENCES matters(id), username TEXT NOT NULL, PRIMARY KEY (matter_id, username));
    CREATE INDEX IF NOT EXISTS matter_members_user ON matter_members(username);
    CREATE TABLE IF NOT EXISTS saved_searches (
      id TEXT PRIMARY KEY, matter_id TEXT NOT NULL REFERENCES matters(id), name TEXT NOT NULL,
      query TEXT NOT NULL, run_by TEXT NOT NULL, run_at TEXT NOT NULL, hits INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS matter_holds (
      matter_id TEXT NOT NULL REFERENCES matters(id), hold_id TEXT NOT NULL, linked_by TEXT NOT NULL,
      linked_at TEXT NOT NULL, PRIMARY KEY (matter_id, hold_id));
    CREATE TABLE IF NOT EXISTS exports (
      id TEXT PRIMARY KEY, matter_id TEXT NOT NULL REFERENCES matters(id), source TEXT NOT NULL,
      options TEXT NOT NULL, requested_by TEXT NOT NULL, requested_at TEXT NOT NULL, status TEXT NOT NULL,
      total INTEGER NOT NULL DEFAULT 0, done INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,
      last_number INTEGER, parts TEXT NOT NULL DEFAULT '[]', manifest_sha256 TEXT, error TEXT, finished_at TEXT);
    CREATE TABLE IF NOT EXISTS export_items (
      export_id TEXT NOT NULL REFERENCES exports(id), seq INTEGER NOT NULL, sha256 TEXT NOT NULL,
      PRIMARY KEY (export_id, seq)) WITHOUT ROWID;
    CREATE UNIQUE INDEX IF NOT EXISTS export_items_sha ON export_items(export_id, sha256);
  `);
}
