// Server-side sessions behind an opaque cookie: idle and absolute timeouts, revocation, and
// rotation when a session gains privilege (after MFA), so a planted id never becomes a login.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Clock } from '../../core/clock.ts';
import type { SessionRow, SessionStage, SqliteCatalog } from '../catalog/sqlite-catalog.ts';

/** A session waiting for its second factor lives only long enough to type a code. */
export const MFA_PENDING_MS = 5 * 60_000;
/** 256 bits: unguessable, per OWASP's Session Management Cheat Sheet (at least 64 bits of entropy). */
const TOKEN_BYTES = 32;

export interface SessionSettings {
  idleMs: number;
  maxMs: number;
  secure: boolean;
}

export type Expiry = 'idle' | 'absolute';

export class Sessions {
  /** `__Host-` names make browsers refuse them unless Secure, host-only and Path=/ (RFC 6265bis §4.1.3.2). */
  readonly cookieName: string;
  readonly csrfCookieName: string;

  constructor(
    private readonly catalog: SqliteCatalog,
    private readonly clock: Clock,
    private readonly settings: SessionSettings,
  ) {
    const prefix = settings.secure ? '__Host-' : '';
    this.cookieName = `${prefix}stele_session`;
    this.csrfCookieName = `${prefix}stele_csrf`;
  }

  /** A new session; the token is for the cookie only and is never stored or logged. */
  create(username: string, stage: SessionStage, ip: string): { token: string; row: SessionRow } {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const now = this.clock.now().toISOString();
    const row: SessionRow = { id: hashToken(token), username, stage, csrf: randomBytes(TOKEN_BYTES).toString('base64url'), createdAt: now, lastSeenAt: now, ip };
    this.catalog.addSession(row);
    return { token, row };
  }

  /** The live session for a cookie value, or why there is none (an expired one is deleted). */
  resolve(token: string): { row: SessionRow } | { expired: Expiry } | null {
    const row = this.catalog.getSession(hashToken(token));
    if (!row) return null;
    const now = this.clock.now().getTime();
    const max = row.stage === 'mfa' ? MFA_PENDING_MS : this.settings.maxMs;
    const expired: Expiry | null = now - Date.parse(row.createdAt) >= max ? 'absolute' : now - Date.parse(row.lastSeenAt) >= this.settings.idleMs ? 'idle' : null;
    if (expired) {
      this.catalog.deleteSession(row.id);
      return { expired };
    }
    return { row };
  }

  touch(row: SessionRow): void {
    const now = this.clock.now().toISOString();
    this.catalog.touchSession(row.id, now);
    row.lastSeenAt = now;
  }

  /** Replaces a session by a fresh one at `stage`; the old id stops working at once. */
  rotate(old: SessionRow, stage: SessionStage, ip: string): { token: string; row: SessionRow } {
    this.catalog.deleteSession(old.id);
    return this.create(old.username, stage, ip);
  }

  revoke(id: string): boolean {
    return this.catalog.deleteSession(id);
  }

  revokeAllOf(username: string, exceptId?: string): number {
    return this.catalog.deleteSessionsOf(username, exceptId);
  }

  /** Drops every expired session (they are also dropped lazily when presented). */
  purge(): number {
    const now = this.clock.now().getTime();
    return this.catalog.purgeSessions(new Date(now - this.settings.idleMs).toISOString(), new Date(now - this.settings.maxMs).toISOString());
  }

  /** The session cookie is HttpOnly; the CSRF cookie is readable so the page can echo it in X-CSRF-Token. */
  setCookies(res: Response, token: string, csrf: string): void {
    const base = { secure: this.settings.secure, sameSite: 'strict' as const, path: '/', maxAge: this.settings.maxMs };
    res.cookie(this.cookieName, token, { ...base, httpOnly: true });
    res.cookie(this.csrfCookieName, csrf, { ...base, httpOnly: false });
  }

  clearCookies(res: Response): void {
    const base = { secure: this.settings.secure, sameSite: 'strict' as const, path: '/' };
    res.clearCookie(this.cookieName, { ...base, httpOnly: true });
    res.clearCookie(this.csrfCookieName, base);
  }

  tokenOf(req: Request): string | undefined {
    return readCookie(req, this.cookieName);
  }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** One cookie's value from the Cookie header (RFC 6265 §5.4), without a parser dependency. */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const v = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    try {
      return decodeURIComponent(v);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Compares two secrets in constant time (false when lengths differ). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
