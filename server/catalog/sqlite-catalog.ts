// The catalog on the embedded default: users, ingest tokens, sessions, login throttling,
// alerts and settings (later: holds, categories, matters, jobs) in one SQLite file. Secrets are
// stored only as hashes, or sealed (TOTP seeds, by server/auth/secret-box.ts).
import Database from 'better-sqlite3';

export interface UserRow {
  username: string;
  passwordHash: string;
  roles: string[];
  createdAt: string;
  disabled?: boolean;
  /** Sealed TOTP seed once enrolled. */
  totpSecret?: string | null;
  /** Sealed TOTP seed awaiting its first code. */
  totpPending?: string | null;
  /** The last TOTP step accepted: codes at or before it are replays. */
  totpLastStep?: number;
  /** SHA-256 of each unused recovery code. */
  recoveryCodes?: string[];
  /** Matters a legal user is confined to; null means no confinement. */
  matters?: string[] | null;
  passwordChangedAt?: string | null;
}

export interface TokenRow {
  id: string;
  sha256: string;
  label: string;
  createdAt: string;
}

export type SessionStage = 'full' | 'mfa' | 'enroll';

export interface SessionRow {
  /** SHA-256 of the cookie value: a copy of the catalog does not yield live sessions. */
  id: string;
  username: string;
  stage: SessionStage;
  csrf: string;
  createdAt: string;
  lastSeenAt: string;
  ip: string;
}

export interface FailureRow {
  /** "account:<name>" or "address:<ip>". */
  key: string;
  failures: number;
  lastFailureAt: string;
  lockedUntil: string | null;
  blockedUntil: string | null;
}

export interface AlertRow {
  id: number;
  time: string;
  kind: string;
  severity: 'info' | 'warning' | 'critical';
  summary: string;
  data: Record<string, unknown>;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
}

/** Columns added to `users` after its first release; added in place on open. */
const USER_COLUMNS: Record<string, string> = {
  disabled: 'INTEGER NOT NULL DEFAULT 0',
  totp_secret: 'TEXT',
  totp_pending: 'TEXT',
  totp_last_step: 'INTEGER NOT NULL DEFAULT 0',
  recovery_codes: "TEXT NOT NULL DEFAULT '[]'",
  matters: 'TEXT',
  password_changed_at: 'TEXT',
};

type Row = Record<string, unknown>;

export class SqliteCatalog {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS users (
        username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, roles TEXT NOT NULL, created_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS ingest_tokens (
        id TEXT PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, label TEXT NOT NULL, created_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY, username TEXT NOT NULL, stage TEXT NOT NULL, csrf TEXT NOT NULL,
        created_at TEXT NOT NULL, last_seen_at TEXT NOT NULL, ip TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS sessions_user ON sessions(username);
      CREATE TABLE IF NOT EXISTS login_failures (
        key TEXT PRIMARY KEY, failures INTEGER NOT NULL, last_failure_at TEXT NOT NULL,
        locked_until TEXT, blocked_until TEXT);
      CREATE TABLE IF NOT EXISTS user_addresses (
        username TEXT NOT NULL, address TEXT NOT NULL, first_seen TEXT NOT NULL, PRIMARY KEY (username, address));
      CREATE TABLE IF NOT EXISTS alerts (
        id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, kind TEXT NOT NULL, severity TEXT NOT NULL,
        summary TEXT NOT NULL, data TEXT NOT NULL, acknowledged_by TEXT, acknowledged_at TEXT);
      CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);`);
    const have = new Set((this.db.prepare('PRAGMA table_info(users)').all() as Array<{ name: string }>).map((c) => c.name));
    for (const [col, def] of Object.entries(USER_COLUMNS)) {
      if (!have.has(col)) this.db.exec(`ALTER TABLE users ADD COLUMN ${col} ${def}`);
    }
  }

  // --- users ---

  countUsers(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  }

  addUser(u: UserRow): void {
    this.db
      .prepare(
        `INSERT INTO users (username, password_hash, roles, created_at, disabled, totp_secret, totp_pending, totp_last_step, recovery_codes, matters, password_changed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        u.username, u.passwordHash, JSON.stringify(u.roles), u.createdAt, u.disabled ? 1 : 0, u.totpSecret ?? null, u.totpPending ?? null,
        u.totpLastStep ?? 0, JSON.stringify(u.recoveryCodes ?? []), u.matters ? JSON.stringify(u.matters) : null, u.passwordChangedAt ?? null,
      );
  }

  getUser(username: string): UserRow | null {
    const r = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as Row | undefined;
    return r ? toUser(r) : null;
  }

  listUsers(): UserRow[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY username').all() as Row[]).map(toUser);
  }

  /** Changes the given fields of a user; false when there is no such user. */
  updateUser(username: string, patch: Partial<Omit<UserRow, 'username' | 'createdAt'>>): boolean {
    const cols: string[] = [];
    const args: unknown[] = [];
    const set = (col: string, v: unknown) => (cols.push(`${col} = ?`), args.push(v));
    if (patch.passwordHash !== undefined) set('password_hash', patch.passwordHash);
    if (patch.roles !== undefined) set('roles', JSON.stringify(patch.roles));
    if (patch.disabled !== undefined) set('disabled', patch.disabled ? 1 : 0);
    if (patch.totpSecret !== undefined) set('totp_secret', patch.totpSecret);
    if (patch.totpPending !== undefined) set('totp_pending', patch.totpPending);
    if (patch.totpLastStep !== undefined) set('totp_last_step', patch.totpLastStep);
    if (patch.recoveryCodes !== undefined) set('recovery_codes', JSON.stringify(patch.recoveryCodes));
    if (patch.matters !== undefined) set('matters', patch.matters === null ? null : JSON.stringify(patch.matters));
    if (patch.passwordChangedAt !== undefined) set('password_changed_at', patch.passwordChangedAt);
    if (cols.length === 0) return this.getUser(username) !== null;
    return this.db.prepare(`UPDATE users SET ${cols.join(', ')} WHERE username = ?`).run(...args, username).changes > 0;
  }

  /**
   * Accepts a TOTP step only if it is later than the last accepted one, atomically, so two
   * concurrent requests with the same code cannot both succeed.
   */
  claimTotpStep(username: string, step: number): boolean {
    return this.db.prepare('UPDATE users SET totp_last_step = ? WHERE username = ? AND totp_last_step < ?').run(step, username, step).changes > 0;
  }

  /** Removes one recovery code hash atomically; false when it was not (or no longer) there. */
  consumeRecoveryCode(username: string, hash: string): boolean {
    const tx = this.db.transaction(() => {
      const u = this.getUser(username);
      if (!u?.recoveryCodes?.includes(hash)) return false;
      this.updateUser(username, { recoveryCodes: u.recoveryCodes.filter((h) => h !== hash) });
      return true;
    });
    return tx();
  }

  knownAddresses(username: string): string[] {
    return (this.db.prepare('SELECT address FROM user_addresses WHERE username = ?').all(username) as Array<{ address: string }>).map((r) => r.address);
  }

  addAddress(username: string, address: string, at: string): void {
    this.db.prepare('INSERT OR IGNORE INTO user_addresses (username, address, first_seen) VALUES (?, ?, ?)').run(username, address, at);
  }

  // --- ingest tokens ---

  addToken(t: TokenRow): void {
    this.db.prepare('INSERT OR IGNORE INTO ingest_tokens (id, sha256, label, created_at) VALUES (?, ?, ?, ?)').run(t.id, t.sha256, t.label, t.createdAt);
  }

  tokens(): TokenRow[] {
    return (this.db.prepare('SELECT * FROM ingest_tokens ORDER BY created_at').all() as Array<{ id: string; sha256: string; label: string; created_at: string }>).map(
      (r) => ({ id: r.id, sha256: r.sha256, label: r.label, createdAt: r.created_at }),
    );
  }

  deleteToken(id: string): boolean {
    return this.db.prepare('DELETE FROM ingest_tokens WHERE id = ?').run(id).changes > 0;
  }

  // --- sessions ---

  addSession(s: SessionRow): void {
    this.db.prepare('INSERT INTO sessions (id, username, stage, csrf, created_at, last_seen_at, ip) VALUES (?, ?, ?, ?, ?, ?, ?)').run(s.id, s.username, s.stage, s.csrf, s.createdAt, s.lastSeenAt, s.ip);
  }

  getSession(id: string): SessionRow | null {
    const r = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as Row | undefined;
    return r
      ? { id: r.id as string, username: r.username as string, stage: r.stage as SessionStage, csrf: r.csrf as string, createdAt: r.created_at as string, lastSeenAt: r.last_seen_at as string, ip: r.ip as string }
      : null;
  }

  touchSession(id: string, lastSeenAt: string): void {
    this.db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id = ?').run(lastSeenAt, id);
  }

  deleteSession(id: string): boolean {
    return this.db.prepare('DELETE FROM sessions WHERE id = ?').run(id).changes > 0;
  }

  /** Deletes a user's sessions (all, or all but one); returns how many. */
  deleteSessionsOf(username: string, exceptId?: string): number {
    return this.db.prepare('DELETE FROM sessions WHERE username = ? AND id != ?').run(username, exceptId ?? '').changes;
  }

  /** Drops sessions idle since before `idleBefore` or created before `createdBefore`. */
  purgeSessions(idleBefore: string, createdBefore: string): number {
    return this.db.prepare('DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?').run(idleBefore, createdBefore).changes;
  }

  // --- login throttling ---

  getFailures(key: string): FailureRow | null {
    const r = this.db.prepare('SELECT * FROM login_failures WHERE key = ?').get(key) as Row | undefined;
    return r
      ? { key: r.key as string, failures: r.failures as number, lastFailureAt: r.last_failure_at as string, lockedUntil: (r.locked_until as string | null) ?? null, blockedUntil: (r.blocked_until as string | null) ?? null }
      : null;
  }

  putFailures(f: FailureRow): void {
    this.db
      .prepare('INSERT OR REPLACE INTO login_failures (key, failures, last_failure_at, locked_until, blocked_until) VALUES (?, ?, ?, ?, ?)')
      .run(f.key, f.failures, f.lastFailureAt, f.lockedUntil, f.blockedUntil);
  }

  clearFailures(key: string): boolean {
    return this.db.prepare('DELETE FROM login_failures WHERE key = ?').run(key).changes > 0;
  }

  /** Rows whose block lasts beyond `now`. */
  blockedSince(now: string): FailureRow[] {
    return (this.db.prepare('SELECT key FROM login_failures WHERE blocked_until > ? ORDER BY key').all(now) as Array<{ key: string }>).map((r) => this.getFailures(r.key)!);
  }

  // --- alerts ---

  addAlert(a: Omit<AlertRow, 'id' | 'acknowledgedBy' | 'acknowledgedAt'>): AlertRow {
    const r = this.db.prepare('INSERT INTO alerts (time, kind, severity, summary, data) VALUES (?, ?, ?, ?, ?)').run(a.time, a.kind, a.severity, a.summary, JSON.stringify(a.data));
    return { ...a, id: Number(r.lastInsertRowid), acknowledgedBy: null, acknowledgedAt: null };
  }

  /** Newest first; `beforeId` pages back through older ones. */
  listAlerts(opts: { beforeId?: number; limit: number; open?: boolean }): AlertRow[] {
    const where = ['id < ?'];
    if (opts.open) where.push('acknowledged_at IS NULL');
    const rows = this.db.prepare(`SELECT * FROM alerts WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`).all(opts.beforeId ?? Number.MAX_SAFE_INTEGER, opts.limit) as Row[];
    return rows.map((r) => ({
      id: r.id as number, time: r.time as string, kind: r.kind as string, severity: r.severity as AlertRow['severity'], summary: r.summary as string,
      data: JSON.parse(r.data as string), acknowledgedBy: (r.acknowledged_by as string | null) ?? null, acknowledgedAt: (r.acknowledged_at as string | null) ?? null,
    }));
  }

  acknowledgeAlert(id: number, by: string, at: string): boolean {
    return this.db.prepare('UPDATE alerts SET acknowledged_by = ?, acknowledged_at = ? WHERE id = ? AND acknowledged_at IS NULL').run(by, at, id).changes > 0;
  }

  // --- settings ---

  getSetting<T>(key: string): T | undefined {
    const r = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return r ? (JSON.parse(r.value) as T) : undefined;
  }

  setSetting(key: string, value: unknown): void {
    this.db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)').run(key, JSON.stringify(value));
  }

  close(): void {
    this.db.close();
  }
}

function toUser(r: Row): UserRow {
  return {
    username: r.username as string,
    passwordHash: r.password_hash as string,
    roles: JSON.parse(r.roles as string),
    createdAt: r.created_at as string,
    disabled: r.disabled === 1,
    totpSecret: (r.totp_secret as string | null) ?? null,
    totpPending: (r.totp_pending as string | null) ?? null,
    totpLastStep: (r.totp_last_step as number) ?? 0,
    recoveryCodes: JSON.parse((r.recovery_codes as string) ?? '[]'),
    matters: r.matters ? JSON.parse(r.matters as string) : null,
    passwordChangedAt: (r.password_changed_at as string | null) ?? null,
  };
}
