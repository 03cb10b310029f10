/**
 * Translates what ldapts throws into CallsignError at the connector's edge. ldapts raises one
 * class per LDAP result code (with a numeric `code`) and plain Errors for socket trouble.
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';

/** Where the failure happened; goes into `details`. Never holds a password. */
export interface LdapErrorContext {
  /** What was being done, for the message: `bind`, `search`, `modify`. */
  action: string;
  url: string;
  dn?: string;
  attributes?: string[];
}

/** LDAP result codes (RFC 4511 §4.1.9) this connector treats specially. */
export const LdapResult = {
  TimeLimitExceeded: 3,
  SizeLimitExceeded: 4,
  StrongAuthRequired: 8,
  AdminLimitExceeded: 11,
  ConfidentialityRequired: 13,
  NoSuchAttribute: 16,
  UndefinedAttributeType: 17,
  ConstraintViolation: 19,
  InvalidAttributeSyntax: 21,
  NoSuchObject: 32,
  InvalidDnSyntax: 34,
  InappropriateAuthentication: 48,
  InvalidCredentials: 49,
  InsufficientAccessRights: 50,
  Busy: 51,
  Unavailable: 52,
  UnwillingToPerform: 53,
  ObjectClassViolation: 65,
} as const;

/** The LDAP result code of an ldapts error, if it carries one. */
export function ldapResultCode(err: unknown): number | undefined {
  if (err instanceof Error && 'code' in err && typeof err.code === 'number') return err.code;
  return undefined;
}

/** Maps any error from an LDAP call to a CallsignError with safe details. */
export function toLdapCallsignError(err: unknown, context: LdapErrorContext): CallsignError {
  if (err instanceof CallsignError) return err;

  const resultCode = ldapResultCode(err);
  const reason = err instanceof Error ? err.message : String(err);
  const details: Record<string, unknown> = { url: context.url };
  if (context.dn !== undefined) details.dn = context.dn;
  if (context.attributes !== undefined) details.attributes = context.attributes;
  if (resultCode !== undefined) details.resultCode = resultCode;

  const code = codeFor(err, resultCode);
  const subject = context.dn === undefined ? context.url : `'${context.dn}' on ${context.url}`;
  const what = context.attributes === undefined ? '' : ` (${context.attributes.join(', ')})`;
  const named = resultCode === undefined ? undefined : RESULT_NAMES[resultCode];
  const why = named === undefined ? reason : `${named} (result code ${resultCode})`;
  const message = `LDAP ${context.action} of ${subject}${what} failed: ${why}`;
  return new CallsignError(code, message, { cause: err, details });
}

/** True when the error means the connection is gone, so a new client may succeed. */
export function isConnectionError(err: unknown): boolean {
  if (ldapResultCode(err) !== undefined) return false;
  if (!(err instanceof Error)) return false;

  const errno = (err as NodeJS.ErrnoException).code;
  if (typeof errno === 'string' && SOCKET_ERRNOS.has(errno)) return true;
  return CONNECTION_MESSAGES.some((pattern) => pattern.test(err.message));
}

const SOCKET_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

const CONNECTION_MESSAGES = [
  /Connection timeout/,
  /Operation timed out/,
  /Connection closed/,
  /Socket error/,
  /Socket connection not established/,
];

const REJECTED: ReadonlySet<number> = new Set([
  LdapResult.UndefinedAttributeType,
  LdapResult.ConstraintViolation,
  LdapResult.InvalidAttributeSyntax,
  LdapResult.UnwillingToPerform,
  LdapResult.ObjectClassViolation,
  20, // attributeOrValueExists
  18, // inappropriateMatching
]);

function codeFor(err: unknown, resultCode: number | undefined): ErrorCode {
  if (resultCode === undefined) {
    return isConnectionError(err) ? ErrorCode.Unavailable : ErrorCode.Internal;
  }
  if (REJECTED.has(resultCode)) return ErrorCode.Rejected;

  switch (resultCode) {
    case LdapResult.StrongAuthRequired:
    case LdapResult.ConfidentialityRequired:
    case LdapResult.InvalidCredentials:
    case LdapResult.InappropriateAuthentication:
    case LdapResult.InsufficientAccessRights:
      return ErrorCode.Auth;
    case LdapResult.NoSuchObject:
      return ErrorCode.NotFound;
    case LdapResult.Busy:
    case LdapResult.Unavailable:
      return ErrorCode.Unavailable;
    case LdapResult.TimeLimitExceeded:
    case LdapResult.SizeLimitExceeded:
    case LdapResult.AdminLimitExceeded:
      return ErrorCode.Incomplete;
    case LdapResult.InvalidDnSyntax:
      return ErrorCode.Config;
    default:
      return ErrorCode.Internal;
  }
}

/** Words for the result codes an administrator meets; ldapts's own text can be empty. */
const RESULT_NAMES: Record<number, string> = {
  3: 'time limit exceeded',
  4: 'size limit exceeded',
  8: 'stronger authentication required',
  11: 'administrative limit exceeded',
  13: 'confidentiality required (use ldaps:// or startTls)',
  17: 'undefined attribute type',
  19: 'constraint violation',
  21: 'invalid attribute syntax',
  32: 'no such object',
  34: 'invalid DN syntax',
  48: 'inappropriate authentication',
  49: 'invalid credentials (bindDn or password)',
  50: 'insufficient access rights',
  51: 'server busy',
  52: 'server unavailable',
  53: 'unwilling to perform',
  65: 'object class violation',
};
