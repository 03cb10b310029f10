/**
 * The OData v2 side of SuccessFactors as Callsign reads it: one GET with basic or bearer
 * auth, JSON answers (`d.results`, `__next`), `/Date(ms)/` literals, the OData error body
 * `{"error":{"code","message":{"value"}}}` turned into a CallsignError that says what the
 * server said, and 429/503 marked throttled with the server's Retry-After.
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import { fetchFailureReason, retryAfterMs } from '../hr/hr-api.ts';

export type SfAuth = { user: string; password: string } | { token: string };

export interface ODataPage {
  results: Record<string, unknown>[];
  next?: string;
  count?: number;
}

/** GETs one OData URL and returns its `d.results` (or `d` as one entity) and `__next`. */
export async function odataGet(
  url: string,
  auth: SfAuth,
  options: { timeoutMs: number; backoffMs: number; signal?: AbortSignal },
): Promise<ODataPage> {
  const authorization =
    'token' in auth
      ? `Bearer ${auth.token}`
      : `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json', authorization },
      signal: options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]),
    });
  } catch (err) {
    const reason = fetchFailureReason(err);
    throw new CallsignError(ErrorCode.Unavailable, `successfactors: ${reason}`, { cause: err });
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) throw statusError(res, body, options.backoffMs);
  const d = (body as { d?: unknown } | undefined)?.d;
  if (d === null || typeof d !== 'object') {
    throw new CallsignError(ErrorCode.Unavailable, 'successfactors: answer is not OData JSON', {
      retryable: false,
    });
  }
  const page = d as { results?: unknown; __next?: unknown; __count?: unknown };
  const results = Array.isArray(page.results) ? page.results : [d];
  const out: ODataPage = { results: results as Record<string, unknown>[] };
  if (typeof page.__next === 'string') out.next = page.__next;
  if (page.__count !== undefined) out.count = Number(page.__count);
  return out;
}

function statusError(res: Response, body: unknown, backoffMs: number): CallsignError {
  const error = (body as { error?: { code?: unknown; message?: { value?: unknown } } })?.error;
  const said =
    error === undefined
      ? ''
      : `: ${String(error.code ?? '')} ${String(error.message?.value ?? '')}`.trimEnd();
  const message = `successfactors: HTTP ${res.status}${said}`;
  const details = { status: res.status, ...(error?.code ? { odataCode: error.code } : {}) };
  if (res.status === 401 || res.status === 403) {
    return new CallsignError(ErrorCode.Auth, message, { details });
  }
  if (res.status === 429 || res.status === 503) {
    const wait = retryAfterMs(res.headers.get('retry-after'), backoffMs);
    return new CallsignError(ErrorCode.Throttled, message, { details, retryAfterMs: wait });
  }
  if (res.status >= 500) return new CallsignError(ErrorCode.Unavailable, message, { details });
  return new CallsignError(ErrorCode.Rejected, message, { details });
}

/** Open-ended effective records end on 9999-12-31 in SuccessFactors. */
const OPEN_END = '9999-12-31';

/**
 * `/Date(1704844800000)/` or `/Date(1704844800000+0000)/` to `2024-01-10` (UTC). Null for
 * absent or the open end; the text itself when it is no such literal, so the row rules hold
 * the worker and say why.
 */
export function odataDate(value: unknown): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const m = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(String(value));
  const ms = m === null ? NaN : Number(m[1]);
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return String(value);
  const iso = date.toISOString().slice(0, 10);
  return iso === OPEN_END ? undefined : iso;
}

/** `datetimeoffset'…'` literal for `$filter` of an ISO instant, with no fraction. */
export function datetimeOffset(iso: string): string {
  return `datetimeoffset'${new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z')}'`;
}
