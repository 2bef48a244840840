// The SQLite index schema. Applied at every start-up with IF NOT EXISTS, so it is safe to re-run;
// a schema from another version is refused with a pointer to `stele reindex` (the index is a
// projection, invariant 7, so rebuilding is always possible).
import type Database from 'better-sqlite3';
import { SteleError } from '../../core/errors.ts';
import { FTS_COLUMNS } from './fts-text.ts';

export const SCHEMA_VERSION = '1';

const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  date_ms INTEGER NOT NULL,
  year INTEGER NOT NULL,
  size INTEGER NOT NULL,
  category TEXT NOT NULL,
  attachment_count INTEGER NOT NULL,
  flags TEXT NOT NULL,
  hit TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_date ON docs (date_ms, id);
CREATE INDEX IF NOT EXISTS docs_size ON docs (size);
CREATE INDEX IF NOT EXISTS docs_category ON docs (category COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS addrs (doc INTEGER NOT NULL, role TEXT NOT NULL, address TEXT NOT NULL, domain TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS addrs_address ON addrs (address, role);
CREATE INDEX IF NOT EXISTS addrs_domain ON addrs (domain);
CREATE INDEX IF NOT EXISTS addrs_doc ON addrs (doc);
-- Every dot-suffix of each address's domain (eu.acme.com -> eu.acme.com, acme.com, com), so
-- domain:acme.com with subdomains is an indexed equality instead of a scan.
CREATE TABLE IF NOT EXISTS domain_suffixes (doc INTEGER NOT NULL, role TEXT NOT NULL, suffix TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS domain_suffixes_suffix ON domain_suffixes (suffix, role);
CREATE INDEX IF NOT EXISTS domain_suffixes_doc ON domain_suffixes (doc);
CREATE TABLE IF NOT EXISTS terms (doc INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS terms_value ON terms (field, value);
CREATE INDEX IF NOT EXISTS terms_doc ON terms (doc);
CREATE TABLE IF NOT EXISTS links (doc INTEGER NOT NULL, mid TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS links_mid ON links (mid);
CREATE INDEX IF NOT EXISTS links_doc ON links (doc);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
  ${FTS_COLUMNS.join(', ')},
  tokenize = 'unicode61 remove_diacritics 2'
);
`;

export function applySchema(db: Database.Database, path: string): void {
  // WAL lets searches read while ingest writes. synchronous=NORMAL may lose the last commits on
  // power loss, which is safe here: the watermark lives in the same WAL, so catch-up from the
  // ledger re-adds exactly what was lost.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(DDL);
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get('schema') as { value: string } | undefined;
  if (row === undefined) {
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema', SCHEMA_VERSION);
  } else if (row.value !== SCHEMA_VERSION) {
    throw new SteleError(
      'conflict',
      `search index ${path} has schema ${row.value}, this version needs ${SCHEMA_VERSION}: move it aside and run stele reindex`,
    );
  }
}
