/**
 * One Webex REST endpoint: JSON over HTTPS with an OAuth bearer token, a time limit per
 * request, 429 honoured (wait what `Retry-After` says, a few times, then hand `throttled` with
 * `retryAfterMs` to the engine), and list reads paged by following the RFC 5988 `Link` header's
 * rel="next" URL as given (Webex paging cursors are opaque).
 */
import { CallsignError, ErrorCode } from '../../core/errors.ts';
import { tlsTrustProblem } from '../target-config.ts';
import { httpError, readErrorBody, retryAfterMs, type WebexCallContext } from './webex-errors.ts';
import { httpExchange, type HttpAnswer } from './webex-http.ts';

export interface WebexClientOptions {
  /** Connector name, for messages. */
  target: string;
  /** `https://webexapis.com`. */
  url: string;
  token: string;
  /** PEM text of a CA to trust instead of the system's (a proxy's, a test server's). */
  ca?: string;
  timeoutMs: number;
  /** Tries of a request that meets 429 before `throttled` goes to the engine; default 3. */
  throttleAttempts?: number;
  /** Longest wait taken here; a longer `Retry-After` goes straight to the engine. */
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  clock?: () => Date;
}

/** What one call names, for errors. */
export type WebexCallSubject = Omit<WebexCallContext, 'target' | 'operation'>;

export interface WebexRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** `/v1/people`, or an absolute URL from a `Link` header. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
}

export class WebexClient {
  readonly #options: WebexClientOptions;
  readonly #base: URL;

  constructor(options: WebexClientOptions) {
    this.#options = options;
    this.#base = new URL(options.url);
  }

  /** Sends one request; returns the parsed JSON (undefined for 204). */
  async call(request: WebexRequest, subject: WebexCallSubject): Promise<unknown> {
    return (await this.#send(request, subject)).json;
  }

  /** Every item of a list, page by page, following `Link: <…>; rel="next"`. */
  async *pages<T>(request: WebexRequest, subject: WebexCallSubject): AsyncGenerator<T> {
    let next: WebexRequest | undefined = request;
    while (next !== undefined) {
      const answer = await this.#send(next, subject);
      const items = (answer.json as { items?: unknown } | undefined)?.items;
      if (!Array.isArray(items)) {
        throw this.#badAnswer(next, 'a list answer has no items array');
      }
      for (const item of items) yield item as T;
      const link = nextLink(answer.link);
      next = link === undefined ? undefined : { method: 'GET', path: link };
    }
  }

  async #send(
    request: WebexRequest,
    subject: WebexCallSubject,
  ): Promise<{ json: unknown; link: string | null }> {
    const attempts = this.#options.throttleAttempts ?? 3;
    const maxWait = this.#options.maxWaitMs ?? 60_000;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#once(request, subject);
      } catch (err) {
        const wait = err instanceof CallsignError ? err.retryAfterMs : undefined;
        const throttled = err instanceof CallsignError && err.code === ErrorCode.Throttled;
        if (!throttled || attempt >= attempts || (wait ?? 0) > maxWait) throw err;
        await (this.#options.sleep ?? delay)(wait ?? 1000);
      }
    }
  }

  async #once(
    request: WebexRequest,
    subject: WebexCallSubject,
  ): Promise<{ json: unknown; link: string | null }> {
    const url = this.#url(request);
    const ctx: WebexCallContext = {
      target: this.#options.target,
      operation: `${request.method} ${url.pathname}`,
      ...subject,
    };
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.#options.token}`,
      Accept: 'application/json',
    };
    if (request.body !== undefined) headers['Content-Type'] = 'application/json';

    let res: HttpAnswer;
    try {
      res = await httpExchange(url, {
        method: request.method,
        headers,
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        timeoutMs: this.#options.timeoutMs,
        ...(this.#options.ca === undefined ? {} : { ca: this.#options.ca }),
      });
    } catch (err) {
      throw unreachable(ctx, err);
    }
    const text = res.text;

    if (res.status < 200 || res.status > 299) {
      const clock = this.#options.clock ?? (() => new Date());
      const wait = retryAfterMs(res.headers.get('retry-after'), clock());
      throw httpError(ctx, {
        status: res.status,
        body: readErrorBody(text),
        ...(wait === undefined ? {} : { retryAfterMs: wait }),
      });
    }
    if (text === '') return { json: undefined, link: res.headers.get('link') };
    try {
      return { json: JSON.parse(text) as unknown, link: res.headers.get('link') };
    } catch {
      throw this.#badAnswer(request, `answer is not JSON (${res.headers.get('content-type')})`);
    }
  }

  #url(request: WebexRequest): URL {
    const url = new URL(request.path, this.#base);
    // A Link URL from the server must stay on the configured host: the token goes with it.
    if (url.origin !== this.#base.origin) {
      throw this.#badAnswer(request, `next page is on another host (${url.origin})`);
    }
    for (const [k, v] of Object.entries(request.query ?? {})) url.searchParams.set(k, v);
    return url;
  }

  #badAnswer(request: WebexRequest, reason: string): CallsignError {
    const msg = `Webex '${this.#options.target}' answered ${request.method} oddly: ${reason}`;
    return new CallsignError(ErrorCode.Incomplete, msg, {
      retryable: true,
      details: { target: this.#options.target, method: request.method },
    });
  }
}

/** The rel="next" URL of a `Link` header, if any. */
export function nextLink(header: string | null): string | undefined {
  for (const part of (header ?? '').split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]+)>(.*)$/.exec(part);
    if (match !== null && /;\s*rel="?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(match[2]!)) {
      return match[1];
    }
  }
  return undefined;
}

function unreachable(ctx: WebexCallContext, err: unknown): CallsignError {
  const tls = tlsTrustProblem(err);
  if (tls !== undefined) {
    // The handshake failed before anything was sent; a retry cannot help.
    const msg = `Webex '${ctx.target}' (${ctx.operation} for ${ctx.subject}): ${tls}`;
    return new CallsignError(ErrorCode.Auth, msg, {
      cause: err,
      retryable: false,
      details: { target: ctx.target, operation: ctx.operation, tls: true },
    });
  }
  // A write may have been made before the answer was lost: the caller looks before retrying.
  const reason =
    err instanceof Error
      ? err.cause instanceof Error
        ? err.cause.message
        : err.message
      : String(err);
  const msg = `Webex '${ctx.target}' did not answer ${ctx.operation} for ${ctx.subject}: ${reason}`;
  return new CallsignError(ErrorCode.Unavailable, msg, {
    cause: err,
    details: { target: ctx.target, operation: ctx.operation },
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
