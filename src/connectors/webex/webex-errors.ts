/**
 * Webex REST failures as CallsignErrors. Webex answers an error with an HTTP status and a JSON
 * body `{ message, errors: [{ description }], trackingId }` (developer.webex.com, REST API
 * Basics). The status decides the code; the body, read against the fields and references the
 * request carried, names the field. The trackingId is kept: Cisco support asks for it.
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';

/** What one request was about, for errors that name the record and the field. */
export interface WebexCallContext {
  target: string;
  /** `POST /v1/people`. */
  operation: string;
  /** The record: `person jane@example.com`. */
  subject: string;
  /** Body fields the request set, field → value, to name the one the answer refers to. */
  fields?: Record<string, string>;
  /** References the request made (locationId, licenses) → value, to name a missing one. */
  references?: Record<string, string>;
}

/** A Webex error body, as far as it could be read. */
export interface WebexErrorBody {
  message?: string;
  descriptions: string[];
  trackingId?: string;
}

/** Maps a non-2xx answer onto the engine's error type. */
export function httpError(
  ctx: WebexCallContext,
  answer: { status: number; body: WebexErrorBody; retryAfterMs?: number },
): CallsignError {
  const { status, body } = answer;
  const said = [body.message, ...body.descriptions].filter((s) => s !== undefined && s !== '');
  const text = [...new Set(said)].join('; ') || `HTTP ${status}`;
  const details: Record<string, unknown> = { target: ctx.target, operation: ctx.operation, status };
  if (body.trackingId !== undefined) details.trackingId = body.trackingId;
  const where = `Webex '${ctx.target}' refused ${ctx.operation} for ${ctx.subject}`;

  if (status === 401) {
    const msg = `Webex '${ctx.target}' refused the access token (HTTP 401) on ${ctx.operation}`;
    return new CallsignError(ErrorCode.Auth, msg, { details });
  }
  if (status === 403) {
    const msg =
      `Webex '${ctx.target}': the token lacks the admin scope for ${ctx.operation} ` +
      `(spark-admin:people_write, spark-admin:people_read): ${text}`;
    return new CallsignError(ErrorCode.Auth, msg, { details });
  }
  if (status === 429 || status === 423) {
    const wait = answer.retryAfterMs === undefined ? '' : ` for ${answer.retryAfterMs} ms`;
    const msg = `Webex '${ctx.target}' is rate limiting ${ctx.operation}${wait} (HTTP ${status})`;
    return new CallsignError(ErrorCode.Throttled, msg, {
      details,
      ...(answer.retryAfterMs === undefined ? {} : { retryAfterMs: answer.retryAfterMs }),
    });
  }
  if (status === 404)
    return new CallsignError(ErrorCode.NotFound, `${where}: not found (${text})`, { details });
  if (status === 409) {
    const field = namedField(text, ctx.fields ?? {})?.field;
    return new CallsignError(
      ErrorCode.Duplicate,
      `${where}: ${field ?? 'value'} already in use (${text})`,
      {
        details: { ...details, ...(field === undefined ? {} : { field }) },
      },
    );
  }
  if (status >= 500) {
    // Nothing says whether the write happened: the caller looks before it tries again.
    const msg =
      `Webex '${ctx.target}' failed on ${ctx.operation} for ${ctx.subject} ` +
      `(HTTP ${status}): ${text}`;
    return new CallsignError(ErrorCode.Unavailable, msg, { details });
  }

  const missing = namedField(text, ctx.references ?? {});
  if (missing !== undefined && NOT_THERE.test(text)) {
    const msg = `${where}: ${missing.field} '${missing.value}' does not exist (${text})`;
    return new CallsignError(ErrorCode.MissingReference, msg, {
      retryable: false,
      details: { ...details, field: missing.field, value: missing.value },
    });
  }
  const field = namedField(text, { ...(ctx.fields ?? {}), ...(ctx.references ?? {}) })?.field;
  const msg = `${where}: ${field === undefined ? '' : `${field}: `}${text}`;
  return new CallsignError(ErrorCode.Rejected, msg, {
    details: { ...details, ...(field === undefined ? {} : { field }) },
  });
}

/** Reads an error body; anything that is not Webex JSON gives an empty one. */
export function readErrorBody(text: string): WebexErrorBody {
  try {
    const json = JSON.parse(text) as { message?: unknown; errors?: unknown; trackingId?: unknown };
    const errors = Array.isArray(json.errors) ? (json.errors as { description?: unknown }[]) : [];
    return {
      ...(typeof json.message === 'string' ? { message: json.message } : {}),
      descriptions: errors.flatMap((e) =>
        typeof e?.description === 'string' ? [e.description] : [],
      ),
      ...(typeof json.trackingId === 'string' ? { trackingId: json.trackingId } : {}),
    };
  } catch {
    return { descriptions: [] };
  }
}

/**
 * `Retry-After` as milliseconds: delta-seconds or an HTTP-date (RFC 9110 §10.2.3), against the
 * injected clock. Absent or unreadable: undefined.
 */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/** Words Webex uses for a reference it does not have. */
const NOT_THERE = /not (found|valid)|does not exist|unknown|invalid/i;

/**
 * The field the answer is about: one whose value (an item of a comma-separated list) the text
 * quotes, else one whose name it mentions. Values first: a message naming `LOC-MARS` is about
 * that location even when it also mentions another field.
 */
function namedField(
  text: string,
  fields: Record<string, string>,
): { field: string; value: string } | undefined {
  for (const [field, list] of Object.entries(fields)) {
    const value = list.split(',').find((v) => v.trim().length > 2 && text.includes(v.trim()));
    if (value !== undefined) return { field, value: value.trim() };
  }
  const lower = text.toLowerCase();
  const field = Object.keys(fields).find((f) => lower.includes(f.toLowerCase()));
  return field === undefined ? undefined : { field, value: fields[field]! };
}
