// The one place errors become SMTP replies (RFC 5321 section 4.2). A 4xx makes the journaling
// server keep the message and retry; a 5xx makes it bounce, so 5xx is only for what a retry
// cannot fix.
import { isSteleError } from '../../core/errors.ts';

/** RFC 5321 4.2.3: 451 "local error in processing", the sender retries later. */
export const SMTP_TRY_LATER = 451;
/** RFC 5321 4.2.3 / RFC 1870: 552 "exceeded storage allocation" for oversize mail. */
export const SMTP_TOO_BIG = 552;
/** RFC 5321 4.2.3: 554 "transaction failed", for sources that may not deliver here. */
export const SMTP_REFUSED = 554;

export interface SmtpReply {
  responseCode: number;
  message: string;
}

export function smtpReplyFor(err: unknown): SmtpReply {
  if (isSteleError(err, 'too_large')) return { responseCode: SMTP_TOO_BIG, message: '5.3.4 Message too big for this archive' };
  if (isSteleError(err, 'forbidden') || isSteleError(err, 'unauthorized')) {
    return { responseCode: SMTP_REFUSED, message: '5.7.1 Not authorised to journal to this archive' };
  }
  // Everything else, storage faults included, is temporary: never lose a message by bouncing it.
  return { responseCode: SMTP_TRY_LATER, message: '4.3.0 Archive temporarily unavailable, try again later' };
}

export function smtpError(reply: SmtpReply): Error & { responseCode: number } {
  return Object.assign(new Error(reply.message), { responseCode: reply.responseCode });
}
