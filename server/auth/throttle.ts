// Login throttling: exponential back-off per account and per source address after failed
// logins, and a block on addresses that keep failing. Kept in the catalog so a restart does not
// hand an attacker a fresh budget.
import type { Clock } from '../../core/clock.ts';
import type { FailureRow, SqliteCatalog } from '../catalog/sqlite-catalog.ts';

/**
 * NIST SP 800-63B §5.2.2 allows at most 100 consecutive failures per account; we start delaying
 * far sooner. An account's delays double from 30 s and stop at an hour, so an attacker cannot
 * lock a colleague out for long. An address (possibly a shared NAT) gets more free tries, and
 * is blocked for a day once it has failed 50 times in a day: no person mistypes that often.
 */
export const LOGIN_LIMITS = {
  accountFreeFailures: 5,
  accountBaseDelayMs: 30_000,
  accountMaxDelayMs: 3_600_000,
  addressFreeFailures: 20,
  addressBaseDelayMs: 1_000,
  addressMaxDelayMs: 15 * 60_000,
  addressBlockAfter: 50,
  addressBlockMs: 24 * 3_600_000,
  /** A counter whose last failure is older than this starts again from zero. */
  failureWindowMs: 24 * 3_600_000,
} as const;

export type Refusal =
  | { reason: 'address_blocked'; retryAfterSeconds: number }
  | { reason: 'address_backoff'; retryAfterSeconds: number }
  | { reason: 'account_locked'; retryAfterSeconds: number };

export interface FailureOutcome {
  accountFailures: number;
  addressFailures: number;
  /** Set when this failure started (or lengthened) a lock on the account. */
  accountLockedForMs?: number;
  /** True when this failure got the address blocked. */
  addressBlocked: boolean;
}

const accountKey = (username: string) => `account:${username.toLowerCase()}`;
const addressKey = (ip: string) => `address:${ip}`;

export class LoginThrottle {
  constructor(
    private readonly catalog: SqliteCatalog,
    private readonly clock: Clock,
  ) {}

  /** Why an attempt must be refused before its password is even checked, or null. */
  check(username: string, ip: string): Refusal | null {
    const now = this.clock.now().getTime();
    const addr = this.catalog.getFailures(addressKey(ip));
    const wait = (until: string | null) => (until ? Math.ceil((Date.parse(until) - now) / 1000) : 0);
    if (addr && wait(addr.blockedUntil) > 0) return { reason: 'address_blocked', retryAfterSeconds: wait(addr.blockedUntil) };
    if (addr && wait(addr.lockedUntil) > 0) return { reason: 'address_backoff', retryAfterSeconds: wait(addr.lockedUntil) };
    const acct = this.catalog.getFailures(accountKey(username));
    if (acct && wait(acct.lockedUntil) > 0) return { reason: 'account_locked', retryAfterSeconds: wait(acct.lockedUntil) };
    return null;
  }

  /**
   * Counts a failure. `username` is null for attempts refused before checking (during a
   * lock): those count against the address only, so a locked account's lock does not grow
   * while an attacker keeps knocking.
   */
  recordFailure(username: string | null, ip: string): FailureOutcome {
    const now = this.clock.now();
    const L = LOGIN_LIMITS;
    const addr = this.bump(addressKey(ip), now);
    if (addr.failures >= L.addressFreeFailures) addr.lockedUntil = iso(now, backoff(addr.failures - L.addressFreeFailures, L.addressBaseDelayMs, L.addressMaxDelayMs));
    const alreadyBlocked = !!addr.blockedUntil && Date.parse(addr.blockedUntil) > now.getTime();
    const addressBlocked = !alreadyBlocked && addr.failures >= L.addressBlockAfter;
    if (addressBlocked) addr.blockedUntil = iso(now, L.addressBlockMs);
    this.catalog.putFailures(addr);
    const out: FailureOutcome = { accountFailures: 0, addressFailures: addr.failures, addressBlocked };
    if (username !== null) {
      const acct = this.bump(accountKey(username), now);
      if (acct.failures >= L.accountFreeFailures) {
        out.accountLockedForMs = backoff(acct.failures - L.accountFreeFailures, L.accountBaseDelayMs, L.accountMaxDelayMs);
        acct.lockedUntil = iso(now, out.accountLockedForMs);
      }
      this.catalog.putFailures(acct);
      out.accountFailures = acct.failures;
    }
    return out;
  }

  /** A successful sign-in ends the account's run of failures (not the address's: see docs/security.md). */
  recordSuccess(username: string): void {
    this.catalog.clearFailures(accountKey(username));
  }

  /** Lifts an address block and its back-off (an admin's decision, audited by the caller). */
  unblock(ip: string): boolean {
    return this.catalog.clearFailures(addressKey(ip));
  }

  /** Lifts an account's lock (an admin's decision, e.g. with a password reset). */
  unlockAccount(username: string): boolean {
    return this.catalog.clearFailures(accountKey(username));
  }

  blockedAddresses(): Array<{ address: string; failures: number; blockedUntil: string }> {
    return this.catalog
      .blockedSince(this.clock.now().toISOString())
      .filter((r) => r.key.startsWith('address:'))
      .map((r) => ({ address: r.key.slice('address:'.length), failures: r.failures, blockedUntil: r.blockedUntil! }));
  }

  private bump(key: string, now: Date): FailureRow {
    const row = this.catalog.getFailures(key);
    const stale = !row || now.getTime() - Date.parse(row.lastFailureAt) > LOGIN_LIMITS.failureWindowMs;
    const failures = stale ? 1 : row.failures + 1;
    return { key, failures, lastFailureAt: now.toISOString(), lockedUntil: stale ? null : row.lockedUntil, blockedUntil: row?.blockedUntil ?? null };
  }
}

/** base * 2^n, capped. */
function backoff(n: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(n, 30));
}

function iso(from: Date, plusMs: number): string {
  return new Date(from.getTime() + plusMs).toISOString();
}
