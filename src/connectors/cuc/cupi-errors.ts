/**
 * CUPI failures as CallsignErrors. Connection answers a refused request with a 4xx status and an
 * error body (`ErrorDetails/errors` with `code` and `message` in XML; the same without the root
 * element in JSON); 401 and 403 come from the web layer in front of CUPI with an HTML page, and
 * 503 from a busy server. The message is what names the field, so it is read for that.
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';

/** Where a failure happened, for messages that name the record and the field. */
export interface CupiCallContext {
  target: string;
  /** `POST /vmrest/users`, for messages and details. */
  request: string;
  /** The record: `mailbox jdoe`. */
  subject: string;
  /** Template the request creates from, to name it when it is missing. */
  templateAlias?: string;
}

/** A CUPI error body, when the answer carried one. */
export interface CupiErrorBody {
  code: string;
  message: string;
}

/** Maps a non-2xx answer onto the engine's error type. */
export function statusError(
  ctx: CupiCallContext,
  status: number,
  options: { error?: CupiErrorBody; retryAfterMs?: number } = {},
): CallsignError {
  const { error } = options;
  const details: Record<string, unknown> = { target: ctx.target, request: ctx.request, status };
  if (error !== undefined) details.cupiCode = error.code;
  const who = `Unity Connection '${ctx.target}'`;
  const said = error === undefined ? '' : ` (${error.code}: ${error.message})`;

  if (status === 401) {
    const msg = `${who} refused the CUPI credentials (HTTP 401) on ${ctx.request}`;
    return new CallsignError(ErrorCode.Auth, msg, { details });
  }
  if (status === 403) {
    const msg = `${who}: the CUPI user lacks an administrator role (HTTP 403) on ${ctx.request}`;
    return new CallsignError(ErrorCode.Auth, msg, { details });
  }
  if (status === 503 || status === 429) {
    const msg = `${who} is busy (HTTP ${status}) on ${ctx.request}`;
    const retry = options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs };
    return new CallsignError(ErrorCode.Throttled, msg, { details, ...retry });
  }
  if (status >= 500) {
    const msg = `${who} failed on ${ctx.request} for ${ctx.subject} (HTTP ${status})${said}`;
    return new CallsignError(ErrorCode.Unavailable, msg, { details });
  }

  const refused = `${who} refused ${ctx.request} for ${ctx.subject}`;
  const missing = missingTemplate(ctx, status, error);
  if (missing !== undefined) {
    const msg = `${refused}: user template '${missing}' does not exist${said}`;
    return new CallsignError(ErrorCode.MissingReference, msg, {
      details: { ...details, field: 'templateAlias', value: missing },
    });
  }
  if (error !== undefined && isDuplicate(error)) {
    const field = fieldNamed(error.message);
    const what = field === undefined ? 'a unique value' : field;
    const msg = `${refused}: ${what} is already in use${said}`;
    return new CallsignError(ErrorCode.Duplicate, msg, {
      details: field === undefined ? details : { ...details, field },
    });
  }
  if (status === 404) {
    return new CallsignError(ErrorCode.NotFound, `${refused}: not found${said}`, { details });
  }
  const field = error === undefined ? undefined : fieldNamed(error.message);
  return new CallsignError(ErrorCode.Rejected, `${refused} (HTTP ${status})${said}`, {
    details: field === undefined ? details : { ...details, field },
  });
}

/** An answer that is not CUPI JSON (a login page, a proxy's error, XML). */
export function notJsonError(
  ctx: CupiCallContext,
  answer: { status: number; contentType: string },
): CallsignError {
  const msg =
    `Unity Connection '${ctx.target}' answered ${ctx.request} with something that is not ` +
    `CUPI JSON (HTTP ${answer.status}, ${answer.contentType || 'no content type'}); ` +
    'check the url points at https://host/vmrest';
  return new CallsignError(ErrorCode.Unavailable, msg, {
    details: { target: ctx.target, request: ctx.request, status: answer.status },
  });
}

/** Reads `{errors: {code, message}}`, `{ErrorDetails: {errors: …}}`, or a list of errors. */
export function parseErrorBody(text: string): CupiErrorBody | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const root = record(value);
  const details = record(root?.ErrorDetails) ?? root;
  const errors = details?.errors;
  const first = record(Array.isArray(errors) ? errors[0] : errors);
  if (first === undefined) return undefined;
  return { code: String(first.code ?? ''), message: String(first.message ?? '') };
}

function isDuplicate(error: CupiErrorBody): boolean {
  if (/DUPLICATE/i.test(error.code)) return true;
  return /duplicate|already (exists|in use|assigned)|in use by/i.test(error.message);
}

/** The Callsign attribute a CUPI message names (`DtmfAccessId 1001 is already in use`). */
function fieldNamed(message: string): string | undefined {
  if (/dtmf|extension/i.test(message)) return 'dtmfAccessId';
  if (/alias/i.test(message)) return 'alias';
  if (/e-?mail/i.test(message)) return 'emailAddress';
  if (/\bpin\b|credential/i.test(message)) return 'pin';
  return undefined;
}

function missingTemplate(
  ctx: CupiCallContext,
  status: number,
  error: CupiErrorBody | undefined,
): string | undefined {
  if (ctx.templateAlias === undefined) return undefined;
  const text = `${error?.code ?? ''} ${error?.message ?? ''}`;
  if (/template/i.test(text) && /not found|invalid|does not exist|no such/i.test(text)) {
    return ctx.templateAlias;
  }
  return status === 404 ? ctx.templateAlias : undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
}
