// The catalog on the embedded default: users and ingest tokens (later: holds, categories,
// matters, jobs) in one SQLite file. Secrets are stored only as hashes.
import Database from 'better-sqlite3';

export interface UserRow {
  username: string;
  passwordHash: string;
  roles: string[];
  createdAt: string;
}

export interface TokenRow {
  id: string;
  sha256: string;
  label: string;
  createdAt: string;
}

export class SqliteCatalog {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS users (
        username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, roles TEXT NOT NULL, created_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS ingest_tokens (
        id TEXT PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, label TEXT NOT NULL, created_at TEXT NOT NULL);`);
  }

  countUsers(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  }

  addUser(u: UserRow): void {
    this.db.prepare('INSERT INTO users (username, password_hash, roles, created_at) VALUES (?, ?, ?, ?)').run(u.username, u.passwordHash, JSON.stringify(u.roles), u.createdAt);
  }

  getUser(username: string): UserRow | null {
    const r = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as { username: string; password_hash: string; roles: string; created_at: string } | undefined;
    return r ? { username: r.username, passwordHash: r.password_hash, roles: JSON.parse(r.roles), createdAt: r.created_at } : null;
  }

  addToken(t: TokenRow): void {
    this.db.prepare('INSERT OR IGNORE INTO ingest_tokens (id, sha256, label, created_at) VALUES (?, ?, ?, ?)').run(t.id, t.sha256, t.label, t.createdAt);
  }

  tokens(): TokenRow[] {
    return (this.db.prepare('SELECT * FROM ingest_tokens ORDER BY created_at').all() as Array<{ id: string; sha256: string; label: string; created_at: string }>).map(
      (r) => ({ id: r.id, sha256: r.sha256, label: r.label, createdAt: r.created_at }),
    );
  }

  close(): void {
    this.db.close();
  }
}
