/**
 * The one error type of Callsign. Connectors translate their protocol's failures (LDAP result
 * codes, SOAP faults, HTTP statuses, SQLite errors) into it at their edge; the engine decides
 * from `retryable` whether a retry can help, and the CLI and API map `code` to exit codes and
 * HTTP statuses.
 */
export const ErrorCode = {
  /** Configuration file is invalid. */
  Config: 'config',
  /** A record from a source lacks or malforms a field. */
  BadRecord: 'bad_record',
  /** The thing to create already exists and is not ours to adopt. */
  Duplicate: 'duplicate',
  NotFound: 'not_found',
  /** A referenced object (pool, partition, template) does not exist. */
  MissingReference: 'missing_reference',
  /** The remote side is busy; `retryAfterMs` may say for how long. */
  Throttled: 'throttled',
  /** Connection refused, reset, timed out: the system could not be reached. */
  Unavailable: 'unavailable',
  /** Credentials refused or insufficient rights. */
  Auth: 'auth',
  /** The remote side refused the value (syntax, constraint). */
  Rejected: 'rejected',
  /** A read came back partial (size limit, time limit, page error). */
  Incomplete: 'incomplete',
  /** No free number in a pool. */
  Exhausted: 'exhausted',
  /** Two records claim one identity, or one record matches two people. */
  Ambiguous: 'ambiguous',
  /**
   * The resource waits for data no source has given yet (a desk phone's MAC address); the rest
   * of the person's plan goes ahead and the operation is shown as waiting, not broken.
   */
  Waiting: 'waiting',
  /** A state transition that is not allowed (approve a run that is not braked). */
  State: 'state',
  Internal: 'internal',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set([
  ErrorCode.Throttled,
  ErrorCode.Unavailable,
]);

export interface CallsignErrorOptions {
  /** Overrides the default for the code. */
  retryable?: boolean;
  cause?: unknown;
  /** Safe details: never secrets. Shown in logs, API answers and the audit. */
  details?: Record<string, unknown>;
  retryAfterMs?: number;
}

export class CallsignError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: CallsignErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CallsignError';
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.details = options.details ?? {};
    this.retryAfterMs = options.retryAfterMs;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(Object.keys(this.details).length > 0 ? { details: this.details } : {}),
    };
  }
}

/** Wraps anything thrown into a CallsignError, keeping one that already is. */
export function toCallsignError(err: unknown, fallback: ErrorCode = ErrorCode.Internal) {
  if (err instanceof CallsignError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CallsignError(fallback, message, { cause: err });
}
