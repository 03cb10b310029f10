/**
 * Cisco contact-center REST failures as CallsignErrors. Both the UCCE Configuration API and
 * the UCCX Admin API refuse a request with HTTP 400 and
 * `<apiErrors><apiError><errorType/><errorData/><errorMessage/><errorDetail/></apiError>…`,
 * where errorType is dotted (`invalidInput.outOfRange`) and errorData names the field.
 * The parsed list travels in `details.apiErrors` so a connector can tell a stale changeStamp
 * from a refused value.
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import { list, parseXml, textOf } from './cisco-xml.ts';

/** Where a failure happened, for messages that name the record and the field. */
export interface RestCall {
  target: string;
  product: string;
  method: string;
  path: string;
  /** The record: `agent jdoe`, `resource jdoe`. */
  subject: string;
}

/** One `apiError`, as the server said it. */
export interface ApiError {
  errorType: string;
  /** The field the error is about, when the server names one. */
  errorData: string;
  errorMessage: string;
}

/** Maps an answer that is not a success onto the engine's error type. */
export function statusError(
  call: RestCall,
  answer: { status: number; text: string; retryAfter?: string },
): CallsignError {
  const { status } = answer;
  const who = `${call.product} '${call.target}'`;
  const details = { target: call.target, method: call.method, path: call.path, status };
  const apiErrors = parseApiErrors(answer.text);
  if (apiErrors.length > 0 && status >= 400 && status < 500 && status !== 401) {
    return apiError(call, status, apiErrors);
  }
  if (status === 401) {
    const msg = `${who} refused the credentials (HTTP 401) on ${call.method} ${call.path}`;
    return new CallsignError(ErrorCode.Auth, msg, { details });
  }
  if (status === 403) {
    const msg = `${who}: the API user lacks the administrator role (HTTP 403) for ${call.path}`;
    return new CallsignError(ErrorCode.Auth, msg, { details });
  }
  if (status === 404) {
    const msg = `${who}: ${call.subject} not found (${call.method} ${call.path})`;
    return new CallsignError(ErrorCode.NotFound, msg, { details });
  }
  if (status === 429 || status === 503) {
    const msg = `${who} is busy (HTTP ${status}) on ${call.method} ${call.path}`;
    const wait = retryAfterMs(answer.retryAfter);
    return new CallsignError(ErrorCode.Throttled, msg, {
      details,
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
    });
  }
  const code = status >= 500 || status === 0 ? ErrorCode.Unavailable : ErrorCode.Rejected;
  const msg = `${who} answered HTTP ${status} on ${call.method} ${call.path} for ${call.subject}`;
  return new CallsignError(code, msg, { details });
}

/** The apiError list a CallsignError carries (empty when it came from elsewhere). */
export function apiErrorsOf(err: unknown): ApiError[] {
  if (!(err instanceof CallsignError)) return [];
  const found = err.details.apiErrors;
  return Array.isArray(found) ? (found as ApiError[]) : [];
}

/** Parses `apiErrors/apiError`; empty when the text holds none. */
export function parseApiErrors(text: string): ApiError[] {
  const doc = parseXml(text);
  if (doc === undefined) return [];
  const root = doc.apiErrors ?? doc.apierrors;
  return list(root, 'apiError').map((e) => ({
    errorType: textOf(e, 'errorType') ?? '',
    errorData: textOf(e, 'errorData') ?? '',
    errorMessage: textOf(e, 'errorMessage') ?? '',
  }));
}

function apiError(call: RestCall, status: number, errors: ApiError[]): CallsignError {
  const who = `${call.product} '${call.target}'`;
  const said = errors
    .map((e) => {
      const field = e.errorData === '' ? '' : ` field '${e.errorData}'`;
      return `${e.errorType}${field}: ${e.errorMessage}`;
    })
    .join('; ');
  const fields = errors.map((e) => e.errorData).filter((f) => f !== '');
  const details = {
    target: call.target,
    method: call.method,
    path: call.path,
    status,
    fields,
    apiErrors: errors,
  };
  const msg = `${who} refused ${call.method} for ${call.subject}: ${said}`;
  const duplicate = errors.some((e) => /duplicate|alreadyexists/i.test(e.errorType));
  const code = duplicate ? ErrorCode.Duplicate : ErrorCode.Rejected;
  return new CallsignError(code, msg, { retryable: false, details });
}

/** `Retry-After` in seconds or as an HTTP date; capped at 5 minutes. */
function retryAfterMs(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  return Math.min(ms, 300_000);
}
