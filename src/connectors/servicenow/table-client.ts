/**
 * A small client of the ServiceNow Table API (`/api/now/table/{table}`): paged GET by encoded
 * query, GET one record, PATCH one record. Errors in ServiceNow's shape
 * (`{"error":{"message","detail"},"status":"failure"}`) become CallsignErrors naming the table
 * and record; 429 keeps its Retry-After.
 */
import { CallsignError, type ErrorCode } from '../../core/errors.ts';

/** A record as the Table API returns it; with `sysparm_display_value=all` values are pairs. */
export type TableRecord = Record<string, unknown>;

export interface TableClientOptions {
  /** https://instance.service-now.com */
  url: string;
  /** The Authorization header value (`Basic …` or `Bearer …`); never logged. */
  authorization: string;
  timeoutMs: number;
  /** Records per page. */
  pageSize: number;
}

export interface ListQuery {
  query: string;
  fields?: string[];
  displayValue?: 'true' | 'false' | 'all';
}

export class TableClient {
  readonly #options: TableClientOptions;

  constructor(options: TableClientOptions) {
    this.#options = options;
  }

  /**
   * Every record matching the query, page by page (sysparm_limit and sysparm_offset). The
   * query must order by a stable field, or records may repeat or go missing between pages.
   */
  async *list(table: string, q: ListQuery, signal?: AbortSignal): AsyncGenerator<TableRecord> {
    let offset = 0;
    for (;;) {
      const params = new URLSearchParams({
        sysparm_query: q.query,
        sysparm_limit: String(this.#options.pageSize),
        sysparm_offset: String(offset),
        sysparm_exclude_reference_link: 'true',
      });
      if (q.fields) params.set('sysparm_fields', q.fields.join(','));
      if (q.displayValue) params.set('sysparm_display_value', q.displayValue);
      const res = await this.#call('GET', `${table}?${params}`, { table, signal });
      const page = resultOf(res.body, table);
      if (!Array.isArray(page)) throw bad(table, 'the list answer has no result array');
      for (const record of page) yield record as TableRecord;

      // The Link header names the next page; without one, a short page is the last.
      const next = /<[^>]*[?&]sysparm_offset=(\d+)[^>]*>;\s*rel="next"/.exec(res.link ?? '');
      if (next === null || page.length === 0) return;
      const nextOffset = Number(next[1]);
      if (nextOffset <= offset) return;
      offset = nextOffset;
    }
  }

  /** One record by sys_id; null when the instance says it does not exist. */
  async get(
    table: string,
    sysId: string,
    q: Omit<ListQuery, 'query'> = {},
  ): Promise<TableRecord | null> {
    const params = new URLSearchParams({ sysparm_exclude_reference_link: 'true' });
    if (q.fields) params.set('sysparm_fields', q.fields.join(','));
    if (q.displayValue) params.set('sysparm_display_value', q.displayValue);
    try {
      const res = await this.#call('GET', `${table}/${sysId}?${params}`, { table, sysId });
      return resultOf(res.body, table) as TableRecord;
    } catch (err) {
      if (err instanceof CallsignError && err.code === 'not_found') return null;
      throw err;
    }
  }

  /** Updates fields of one record. Reference fields must be sys_ids. */
  async patch(table: string, sysId: string, body: Record<string, string>): Promise<TableRecord> {
    const res = await this.#call('PATCH', `${table}/${sysId}`, { table, sysId, body });
    return resultOf(res.body, table) as TableRecord;
  }

  async #call(
    method: string,
    path: string,
    ctx: { table: string; sysId?: string; body?: unknown; signal?: AbortSignal },
  ): Promise<{ body: unknown; link: string | null }> {
    const url = `${this.#options.url}/api/now/table/${path}`;
    const what = ctx.sysId === undefined ? ctx.table : `${ctx.table}/${ctx.sysId}`;
    const timeout = AbortSignal.timeout(this.#options.timeoutMs);
    const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: this.#options.authorization,
          accept: 'application/json',
          ...(ctx.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: ctx.body === undefined ? undefined : JSON.stringify(ctx.body),
        signal,
      });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      // The request may have been committed before the answer was lost: callers that must
      // not repeat an effect (a work note) check before they retry.
      throw new CallsignError('unavailable', `ServiceNow ${method} ${what}: ${reason}`, {
        cause: err,
        details: { table: ctx.table, uncertain: method !== 'GET' },
      });
    }
    const text = await res.text().catch(() => '');
    const body = parseJson(text);
    if (res.ok) return { body, link: res.headers.get('link') };
    throw errorOf(res, body, { method, what, table: ctx.table });
  }
}

function errorOf(
  res: Response,
  body: unknown,
  ctx: { method: string; what: string; table: string },
): CallsignError {
  const error = (body as { error?: { message?: unknown; detail?: unknown } } | null)?.error;
  const message = typeof error?.message === 'string' ? error.message : res.statusText;
  const detail =
    typeof error?.detail === 'string' && error.detail !== '' ? `: ${error.detail}` : '';
  const code: ErrorCode =
    res.status === 401 || res.status === 403
      ? 'auth'
      : res.status === 404
        ? 'not_found'
        : res.status === 429
          ? 'throttled'
          : res.status >= 500
            ? 'unavailable'
            : 'rejected';
  const retryAfter = Number(res.headers.get('retry-after'));
  return new CallsignError(
    code,
    `ServiceNow ${ctx.method} ${ctx.what}: ${res.status} ${message}${detail}`,
    {
      details: { table: ctx.table, status: res.status },
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
    },
  );
}

function resultOf(body: unknown, table: string): unknown {
  if (body === null || typeof body !== 'object' || !('result' in body)) {
    throw bad(table, 'the answer has no result');
  }
  return (body as { result: unknown }).result;
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

function bad(table: string, message: string): CallsignError {
  return new CallsignError('unavailable', `ServiceNow ${table}: ${message}`);
}
