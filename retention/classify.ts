// The retention clock: the default category's period (HIPAA, 45 CFR 164.316(b)(2)(i): six
// years from creation), when a message's period starts, and calendar-year arithmetic.

export const DEFAULT_CATEGORY = 'default';
export const DEFAULT_RETAIN_YEARS = 6;

/** Adds calendar years in UTC; 29 February rolls to 1 March in common years. */
export function addYears(from: Date, years: number): Date {
  const d = new Date(from.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

/**
 * The retention clock starts at the message's own date when it is plausible (not in the
 * future: a forged future Date must not stretch retention), else at receipt.
 */
export function retentionStart(messageDate: string | undefined, receivedAt: Date): Date {
  if (!messageDate) return receivedAt;
  const d = new Date(messageDate);
  return Number.isNaN(d.getTime()) || d.getTime() > receivedAt.getTime() ? receivedAt : d;
}
