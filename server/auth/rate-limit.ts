// Token buckets per (user, bucket) for costly actions (search, export): a burst is allowed,
// a sustained flood is answered 429 with the seconds until the next token.
import type { Clock } from '../../core/clock.ts';

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets untouched this long are full again and can be forgotten. */
const FORGET_AFTER_MS = 3_600_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly clock: Clock) {}

  /** Takes a token: 0 when allowed, else the seconds to wait. */
  take(key: string, capacity: number, perMinute: number): number {
    const now = this.clock.now().getTime();
    const ratePerMs = perMinute / 60_000;
    const b = this.buckets.get(key) ?? { tokens: capacity, at: now };
    b.tokens = Math.min(capacity, b.tokens + Math.max(0, now - b.at) * ratePerMs);
    b.at = now;
    this.buckets.set(key, b);
    if (this.buckets.size > 10_000) this.forgetIdle(now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / ratePerMs / 1000));
  }

  private forgetIdle(now: number): void {
    for (const [k, b] of this.buckets) if (now - b.at > FORGET_AFTER_MS) this.buckets.delete(k);
  }
}
