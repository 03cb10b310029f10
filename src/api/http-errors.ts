/**
 * How errors leave the API: `{ error: { code, message, details? } }` with a status mapped from
 * the CallsignError code. Anything that is not a CallsignError is an internal error whose text
 * stays in the log: a response never carries a stack trace or a driver's message.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';

import { CallsignError, type ErrorCode } from '../core/errors.ts';

/** Codes the HTTP layer adds to the engine's ErrorCode set. */
export const HttpErrorCode = {
  BadRequest: 'bad_request',
  Unauthorized: 'unauthorized',
  Forbidden: 'forbidden',
  TooManyRequests: 'too_many_requests',
  PayloadTooLarge: 'payload_too_large',
  NotFound: 'not_found',
} as const;

export type ApiErrorCode = ErrorCode | (typeof HttpErrorCode)[keyof typeof HttpErrorCode];

/** An error raised by the HTTP layer itself, with its status. */
export class HttpError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: ApiErrorCode;
  readonly details: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(o: {
    status: ContentfulStatusCode;
    code: ApiErrorCode;
    message: string;
    details?: Record<string, unknown>;
    headers?: Record<string, string>;
  }) {
    super(o.message);
    this.name = 'HttpError';
    this.status = o.status;
    this.code = o.code;
    this.details = o.details ?? {};
    this.headers = o.headers ?? {};
  }
}

/** A 400 naming the field that is wrong. */
export function badRequest(field: string, message: string): HttpError {
  return new HttpError({
    status: 400,
    code: HttpErrorCode.BadRequest,
    message,
    details: { field },
  });
}

// Engine failures that are not the caller's fault map to 5xx; a connector's refused
// credentials are a gateway problem, not the API caller's authentication.
const STATUS_BY_CODE: Record<ErrorCode, ContentfulStatusCode> = {
  config: 400,
  bad_record: 400,
  duplicate: 409,
  not_found: 404,
  missing_reference: 422,
  throttled: 503,
  unavailable: 503,
  auth: 502,
  rejected: 422,
  incomplete: 502,
  exhausted: 409,
  ambiguous: 409,
  state: 409,
  waiting: 409,
  internal: 500,
};

/** The response for anything thrown by a handler or middleware. */
export function errorResponse(err: unknown): {
  status: ContentfulStatusCode;
  body: { error: { code: string; message: string; details?: Record<string, unknown> } };
  headers: Record<string, string>;
  internal: boolean;
} {
  if (err instanceof HttpError) {
    return {
      status: err.status,
      body: bodyOf(err.code, err.message, err.details),
      headers: err.headers,
      internal: false,
    };
  }
  if (err instanceof CallsignError && err.code !== 'internal') {
    const headers: Record<string, string> = {};
    if (err.retryAfterMs !== undefined) {
      headers['Retry-After'] = String(Math.max(1, Math.ceil(err.retryAfterMs / 1000)));
    }
    return {
      status: STATUS_BY_CODE[err.code] ?? 500,
      body: bodyOf(err.code, err.message, safeDetails(err.details)),
      headers,
      internal: false,
    };
  }
  const message = 'Internal error: the server log has the details';
  return { status: 500, body: bodyOf('internal', message, {}), headers: {}, internal: true };
}

function bodyOf(code: string, message: string, details: Record<string, unknown>) {
  const error: { code: string; message: string; details?: Record<string, unknown> } = {
    code,
    message,
  };
  if (Object.keys(details).length > 0) error.details = details;
  return { error };
}

/** Details are documented as safe; a value that is not plain data is dropped all the same. */
function safeDetails(details: Record<string, unknown>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(details)) as Record<string, unknown>;
  } catch {
    return {};
  }
}
