// The one error type of Stele: a stable code for machines, a retryable flag for senders.
// HTTP statuses are chosen in server/http-errors.ts and SMTP replies in ingest/smtp/replies.ts;
// nothing else maps errors to protocol answers.

export type ErrorCode =
  | 'bad_request' // the input is malformed (config, query, body)
  | 'unauthorized' // no or wrong credentials
  | 'forbidden' // credentials fine, action not allowed for this role or source
  | 'not_found'
  | 'too_large' // over the configured size cap
  | 'object_exists' // put-once store refused an overwrite
  | 'retention_active' // delete refused: retain-until is in the future
  | 'legal_hold' // delete refused: a legal hold applies
  | 'retention_shorten' // a retain-until may only grow
  | 'storage_unavailable' // a region or the ledger could not be written: retry later
  | 'integrity' // stored bytes do not match their hash or fail authentication
  | 'conflict'
  | 'rate_limited' // too many requests or failed logins: details.retryAfterSeconds says when to retry
  | 'internal';

const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set(['storage_unavailable']);

export class SteleError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SteleError';
    this.code = code;
    this.retryable = opts.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.details = opts.details;
  }
}

export function isSteleError(err: unknown, code?: ErrorCode): err is SteleError {
  return err instanceof SteleError && (code === undefined || err.code === code);
}

/** Wraps an unknown failure of a storage backend as a retryable storage error. */
export function storageError(what: string, cause: unknown): SteleError {
  if (cause instanceof SteleError) return cause;
  return new SteleError('storage_unavailable', `${what}: ${describe(cause)}`, { cause });
}

export function describe(err: unknown): string {
  if (err instanceof Error) return (err as NodeJS.ErrnoException).code ? `${(err as NodeJS.ErrnoException).code} ${err.message}` : err.message;
  return String(err);
}
